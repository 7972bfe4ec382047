using Strongroom.Core.Audit;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;

namespace Strongroom.Server;

/// <summary>/health/ready: the store answers, the root key in memory is the one the store is under, and the audit writer runs.</summary>
public sealed class Readiness
{
    private readonly IStore _store;
    private readonly RootWrap _root;
    private readonly AuditLog _audit;

    public Readiness(IStore store, RootWrap root, AuditLog audit)
    {
        _store = store;
        _root = root;
        _audit = audit;
    }

    public volatile bool Started;

    /// <summary>Null when ready; otherwise what is wrong (no secrets in it).</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        if (!Started)
        {
            return "starting";
        }

        if (!_audit.IsRunning)
        {
            return "audit writer stopped";
        }

        try
        {
            var fingerprint = await _store.GetSettingAsync(RootWrap.FingerprintSetting, ct);
            if (fingerprint is not null && fingerprint != _root.Fingerprint)
            {
                return "root key does not match the store";
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return "store unavailable: " + e.GetType().Name;
        }

        return null;
    }
}
