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
    private readonly ConcurrentDictionary<string, (ResolvedCredential? Credential, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public StoreCredentialSource(IStore store, RootWrap root, TimeProvider time, string? devAdminArn)
    {
        _store = store;
        _root = root;
        _time = time;
        _devAdminArn = devAdminArn;
    }

    public async ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(accessKeyId, out var cached) && cached.Until > now)
        {
            return cached.Credential;
        }

        var record = await _store.FindAccessKeyAsync(accessKeyId, cancellationToken);
        ResolvedCredential? credential = null;
        if (record is not null && record.Status == "Active")
        {
            var secret = await _root.UnwrapAsync(_store, record.WrappedSecret, "access-key:" + accessKeyId, cancellationToken);
            credential = new ResolvedCredential(record.PrincipalArn, record.UserName, secret);
        }
        else if (record is null && _devAdminArn is not null)
        {
            credential = new ResolvedCredential(_devAdminArn, DataDirectory.AdminUser, null);
        }

        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[accessKeyId] = (credential, now + CacheTime);
        return credential;
    }
}
