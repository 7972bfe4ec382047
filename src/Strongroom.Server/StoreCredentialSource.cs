using System.Collections.Concurrent;
using Strongroom.Core.Storage;
using Strongroom.Core.Kms;
using Strongroom.Protocol.Aws.Auth;

namespace Strongroom.Server;

/// <summary>
/// Access keys from the store, their secrets unwrapped with the root key and kept in memory for a short
/// time (so a key changed by another process is seen within <see cref="CacheTime"/>). In dev mode any
/// unknown key id is accepted as the admin, with its signature parsed but not checked.
/// </summary>
public sealed class StoreCredentialSource : ICredentialSource
{
    private static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(5);
    private readonly IStore _store;
    private readonly RootWrap _root;
    private readonly TimeProvider _time;
    private readonly string? _devAdminArn;
    private readonly ConcurrentDictionary<string, (ResolvedCredential? Credential, DateTimeOffset Until, long Generation)> _cache = new(StringComparer.Ordinal);
    private readonly Core.Identity.IamService? _iam;

    public StoreCredentialSource(IStore store, RootWrap root, TimeProvider time, string? devAdminArn, Core.Identity.IamService? iam = null)
    {
        _iam = iam;
        _store = store;
        _root = root;
        _time = time;
        _devAdminArn = devAdminArn;
    }

    public async ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var generation = _iam?.Generation ?? 0;
        if (_cache.TryGetValue(accessKeyId, out var cached) && cached.Until > now && cached.Generation == generation)
        {
            return cached.Credential;
        }

        var record = await _store.FindAccessKeyAsync(accessKeyId, cancellationToken);
        ResolvedCredential? credential = null;
        if (record is not null && record.Status == "Active")
        {
            var secret = await _root.UnwrapAsync(_store, record.WrappedSecret, "access-key:" + accessKeyId, cancellationToken);
            var session = record.UserName.StartsWith("session:", StringComparison.Ordinal) && _iam is not null ? await _iam.FindSessionAsync(accessKeyId, cancellationToken) : null;
            // A user's own session (GetSessionToken) acts as that user: its policies, its GetCallerIdentity.
            credential = session is null && record.UserName.StartsWith("session:", StringComparison.Ordinal)
                ? null
                : new ResolvedCredential(record.PrincipalArn, session is { IsUserSession: true, UserName: { } owner } ? owner : record.UserName, secret, session?.TokenHash, session?.Expiration);
        }
        else if (record is null && _devAdminArn is not null && !LooksIssued(accessKeyId))
        {
            credential = new ResolvedCredential(_devAdminArn, DataDirectory.AdminUser, null);
        }

        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[accessKeyId] = (credential, now + CacheTime, generation);
        return credential;
    }

    /// <summary>AKIA/ASIA + 16 of A-Z2-7: the shape of keys this server issues. Dev mode never lets such a key stand in for the admin.</summary>
    private static bool LooksIssued(string id) =>
        id.Length == 20 && (id.StartsWith("AKIA", StringComparison.Ordinal) || id.StartsWith("ASIA", StringComparison.Ordinal))
        && id.AsSpan(4).IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") < 0;
}
