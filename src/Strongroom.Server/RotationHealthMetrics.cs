using Prometheus;
using Strongroom.Core.Rotation;

namespace Strongroom.Server;

/// <summary>
/// Rotation health at /metrics with bounded cardinality (ADR 0030): totals for every secret with rotation on, and a
/// per-secret series (label <c>secret_arn</c>) only for secrets that are failing, overdue or have never run — at most
/// <see cref="MaxPerSecretSeries"/> of each, the worst first; the rest are counted in
/// <c>strongroom_rotation_series_omitted</c>. A healthy secret has no series of its own, so the series count follows
/// the number of broken rotations, not the number of secrets. Computed from the store every <see cref="Interval"/> in
/// the background (not in a scrape: prometheus-net cannot add a labelled series while it collects), so scrapes stay
/// cheap and every node reports the same. Thread-safe.
/// </summary>
public sealed class RotationHealthMetrics
{
    /// <summary>Per-secret series per gauge, at most.</summary>
    public const int MaxPerSecretSeries = 50;

    /// <summary>How often the gauges are computed.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static readonly Gauge Enabled = Metrics.CreateGauge(
        "strongroom_rotation_enabled_secrets", "Secrets with rotation on (primaries, not deleted).");

    private static readonly Gauge Unhealthy = Metrics.CreateGauge(
        "strongroom_rotation_unhealthy_secrets",
        "Secrets with rotation on, by condition (not exclusive): failing (its newest runs failed), overdue (its window ended over an hour ago), never_ran (its window ended with no run ever started).",
        new GaugeConfiguration { LabelNames = ["condition"] });

    private static readonly Gauge Failures = Metrics.CreateGauge(
        "strongroom_rotation_secret_consecutive_failures", "Failed runs in a row of a failing secret (only failing secrets have a series).",
        new GaugeConfiguration { LabelNames = ["secret_arn"] });

    private static readonly Gauge Overdue = Metrics.CreateGauge(
        "strongroom_rotation_secret_overdue_seconds", "How long past the end of its rotation window an overdue secret is (only overdue secrets have a series).",
        new GaugeConfiguration { LabelNames = ["secret_arn"] });

    private static readonly Gauge NeverRan = Metrics.CreateGauge(
        "strongroom_rotation_secret_never_ran", "1 for a secret whose rotation window ended with no run ever started (only those have a series).",
        new GaugeConfiguration { LabelNames = ["secret_arn"] });

    private static readonly Gauge StoreUp = Metrics.CreateGauge(
        "strongroom_store_up", "1 when the store answered the last probe (every 5 s, a read bounded to 3 s), else 0.");

    private static readonly Gauge Omitted = Metrics.CreateGauge(
        "strongroom_rotation_series_omitted", "Unhealthy secrets left without a per-secret series (over the per-gauge limit).");

    private static readonly Gauge OldestSuccess = Metrics.CreateGauge(
        "strongroom_rotation_oldest_success_timestamp_seconds", "The oldest of the rotation-enabled secrets' last successful rotations (Unix time); 0 when none has one.");

    private readonly RotationHealth _health;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<Gauge, HashSet<string>> _published = new() { [Failures] = [], [Overdue] = [], [NeverRan] = [] };

    private readonly Core.Storage.IStore _store;

    public RotationHealthMetrics(Core.Storage.IStore store, RotationHealth health, TimeProvider time)
    {
        _store = store;
        _health = health;
        _time = time;
    }

    /// <summary>Probes the store and refreshes the gauges every <see cref="Interval"/> until <paramref name="ct"/> is cancelled; a store that fails leaves the last rotation values (strongroom_store_up says why).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                StoreUp.Set(await ProbeStoreAsync(ct) ? 1 : 0);
                try
                {
                    await RefreshAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    // Tried again at the next tick.
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One cheap read, bounded: a store that hangs counts as down.</summary>
    private async Task<bool> ProbeStoreAsync(CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Readiness.StoreTimeout);
        try
        {
            await _store.GetSettingAsync(Core.Kms.RootWrap.FingerprintSetting, bounded.Token);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Computes the gauges once.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var all = await _health.ComputeAsync(ct);
            Enabled.Set(all.Count);
            var failing = all.Where(h => h.Failing).OrderByDescending(h => h.ConsecutiveFailures).ThenBy(h => h.SecretArn, StringComparer.Ordinal).ToList();
            var overdue = all.Where(h => h.Overdue).OrderByDescending(h => h.OverdueBy).ThenBy(h => h.SecretArn, StringComparer.Ordinal).ToList();
            var neverRan = all.Where(h => h.NeverRan).OrderBy(h => h.SecretArn, StringComparer.Ordinal).ToList();
            Unhealthy.WithLabels("failing").Set(failing.Count);
            Unhealthy.WithLabels("overdue").Set(overdue.Count);
            Unhealthy.WithLabels("never_ran").Set(neverRan.Count);
            Publish(Failures, failing.Take(MaxPerSecretSeries).Select(h => (h.SecretArn, (double)h.ConsecutiveFailures)));
            Publish(Overdue, overdue.Take(MaxPerSecretSeries).Select(h => (h.SecretArn, h.OverdueBy!.Value.TotalSeconds)));
            Publish(NeverRan, neverRan.Take(MaxPerSecretSeries).Select(h => (h.SecretArn, 1.0)));
            Omitted.Set(Math.Max(0, failing.Count - MaxPerSecretSeries) + Math.Max(0, overdue.Count - MaxPerSecretSeries) + Math.Max(0, neverRan.Count - MaxPerSecretSeries));
            var successes = all.Where(h => h.LastSuccess is not null).Select(h => h.LastSuccess!.Value).ToList();
            OldestSuccess.Set(successes.Count == 0 ? 0 : successes.Min().ToUnixTimeSeconds());
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Publish(Gauge gauge, IEnumerable<(string Arn, double Value)> series)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (arn, value) in series)
        {
            gauge.WithLabels(arn).Set(value);
            now.Add(arn);
        }

        foreach (var gone in _published[gauge].Where(arn => !now.Contains(arn)))
        {
            gauge.RemoveLabelled(gone);
        }

        _published[gauge] = now;
    }
}
