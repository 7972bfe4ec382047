using System.Collections.Concurrent;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Protocol.Aws.Auth;

namespace Strongroom.Server;

/// <summary>
/// Access keys from the store, checked and resolved to their principal by <see cref="IamPrincipals.ResolveAccessKeyAsync"/>
/// (row integrity, the secret's binding to its principal), and kept in memory for a short time (so a key changed by
/// another process is seen within <see cref="CacheTime"/>). In dev mode any unknown key id that does not look issued
/// is accepted as the administrator, with its signature parsed but not checked.
/// </summary>
public sealed class StoreCredentialSource : ICredentialSource
{
    private static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(5);
    private readonly IamService _iam;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly bool _dev;
    private readonly ConcurrentDictionary<string, (ResolvedCredential? Credential, DateTimeOffset Until, long Generation)> _cache = new(StringComparer.Ordinal);

    public StoreCredentialSource(IamService iam, ServerIdentity identity, TimeProvider time, bool dev)
    {
        _iam = iam;
        _identity = identity;
        _time = time;
        _dev = dev;
    }

    public async ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var generation = _iam.Generation;
        if (_cache.TryGetValue(accessKeyId, out var cached) && cached.Until > now && cached.Generation == generation)
        {
            return cached.Credential;
        }

        ResolvedCredential? credential = null;
        if (await _iam.Principals.ResolveAccessKeyAsync(accessKeyId, cancellationToken) is { } key)
        {
            credential = new ResolvedCredential(key.PrincipalArn, key.UserName, key.Secret, key.SessionTokenHash, key.Expiration, key.PrincipalId, key.Kind);
        }
        else if (_dev && _identity.AdminUserId is { } admin && !LooksIssued(accessKeyId) && !await _iam.AccessKeys.AccessKeyStoredAsync(accessKeyId, cancellationToken))
        {
            credential = new ResolvedCredential(IdentityBootstrap.AdminArn(_identity.AccountId), IamService.AdminUserName, null, PrincipalId: admin, Kind: PrincipalKind.User);
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
