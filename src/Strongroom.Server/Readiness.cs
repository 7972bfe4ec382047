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

    /// <summary>How long the readiness probe waits for the store.</summary>
    public static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(3);

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

        // One cheap read, bounded: a load balancer's probe must get an answer even when the database hangs.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StoreTimeout);
        try
        {
            var fingerprint = await _store.GetSettingAsync(RootWrap.FingerprintSetting, timeout.Token);
            if (fingerprint is not null && fingerprint != _root.Fingerprint)
            {
                return "root key does not match the store";
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"store unavailable: no answer within {StoreTimeout.TotalSeconds:0} s";
        }
        catch (StoreUnavailableException e)
        {
            return "store unavailable: " + e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return "store unavailable: " + e.GetType().Name;
        }

        return null;
    }
}
