using System.Collections.Concurrent;
using System.Threading.Channels;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Rotation;

/// <summary>
/// Decides when rotations run and runs them in the background: RotateSecret requests at once, each
/// secret's scheduled rotation at its planned moment inside its window (or at once when the window
/// was missed while the server was down), retries of failed runs with backoff, and — at start —
/// runs an earlier process left unfinished. With several nodes on one store only the holder of the
/// background lease ticks (<see cref="Cluster.IClusterView"/>), and takes up runs of dead nodes; the store
/// refuses a second Running run of a secret, so one secret never rotates twice at once. One run per secret at a time; at most
/// <see cref="RotationOptions.Concurrency"/> at once. Time comes from the <see cref="TimeProvider"/>,
/// so tests drive it with a fake clock through <see cref="TickAsync"/>. Thread-safe.
/// </summary>
public sealed class RotationScheduler : IRotationStarter
{
    private readonly IStore _store;
    private readonly Func<SecretsService> _secrets;
    private readonly Func<RotationRunner> _runner;
    private readonly IRotationObserver _observer;
    private readonly RotationOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<RotationStartRequest> _queue = Channel.CreateUnbounded<RotationStartRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Task> _active = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();

    private readonly Cluster.IClusterView _cluster;
    private readonly Events.IEventOutbox _events;

    public RotationScheduler(IStore store, Func<SecretsService> secrets, Func<RotationRunner> runner, IRotationObserver observer, RotationOptions options, TimeProvider time, Cluster.IClusterView? cluster = null, Events.IEventOutbox? events = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cluster = cluster ?? new Cluster.SingleNode();
        _events = events ?? Events.NoEventOutbox.Instance;
        _store = store;
        _secrets = secrets;
        _runner = runner;
        _observer = observer;
        _options = options;
        _time = time;
        _slots = new SemaphoreSlim(Math.Max(1, options.Concurrency));
    }

    /// <summary>Rotations running now.</summary>
    public int Running => _active.Count;

    public void Start(RotationStartRequest request) => _queue.Writer.TryWrite(request);

    public Task CheckStartAsync(string region, string secretArn, string functionArn, string? versionId, bool rotateNow, CancellationToken ct) =>
        _runner().CheckStartAsync(region, secretArn, functionArn, versionId, rotateNow, ct);

    /// <summary>Runs until <paramref name="ct"/> is cancelled: recovery, then the queue and the periodic tick.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        var token = linked.Token;
        await RecoverOwnAsync(token);
        var queue = Task.Run(async () =>
        {
            await foreach (var request in _queue.Reader.ReadAllAsync(token))
            {
                Dispatch(request, token);
            }
        }, token);
        using var timer = new PeriodicTimer(_options.Tick, _time);
        try
        {
            do
            {
                try
                {
                    await TickAsync(token);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    // A failed tick (store briefly unavailable) is retried at the next one.
                }
            }
            while (await timer.WaitForNextTickAsync(token));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        try
        {
            await queue;
        }
        catch (OperationCanceledException)
        {
        }

        await WhenIdleAsync();
    }

    /// <summary>Dispatches what <see cref="Start"/> queued (the run loop does this as requests arrive).</summary>
    internal void DispatchQueued(CancellationToken ct)
    {
        while (_queue.Reader.TryRead(out var request))
        {
            Dispatch(request, ct);
        }
    }

    /// <summary>Completes when no rotation is running (runs started meanwhile included).</summary>
    public async Task WhenIdleAsync()
    {
        while (!_active.IsEmpty)
        {
            try
            {
                await Task.WhenAll(_active.Values);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Runs record their own failures.
            }
        }
    }

    /// <summary>
    /// Marks runs this node left "Running" when it stopped (same node id; or runs recorded before nodes were) as
    /// interrupted and plans their retry now. Called at start, before this node runs anything.
    /// </summary>
    public async Task RecoverOwnAsync(CancellationToken ct)
    {
        foreach (var run in await _store.FindRunningRotationRunsAsync(ct))
        {
            if ((run.Node is null || run.Node == _cluster.NodeId) && !_active.ContainsKey(run.SecretArn))
            {
                await InterruptAsync(run, ct);
            }
        }
    }

    /// <summary>
    /// Marks runs left "Running" by nodes that are no longer alive (their heartbeat ran out) as interrupted and
    /// plans their retry now; the lease holder does this on every tick. A run of a live node is left alone.
    /// </summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        foreach (var run in await _store.FindRunningRotationRunsAsync(ct))
        {
            if (run.Node is null || run.Node == _cluster.NodeId ? _active.ContainsKey(run.SecretArn) : await _cluster.IsNodeAliveAsync(run.Node, ct))
            {
                continue;
            }

            await InterruptAsync(run, ct);
        }
    }

    private async Task InterruptAsync(RotationRun run, CancellationToken ct)
    {
        // Read again just before: a run that ended meanwhile keeps its outcome.
        if (!await RotationRunner.IsStillRunningAsync(_store, run, ct))
        {
            return;
        }

        var now = _time.GetUtcNow();
        var where = run.Node is null || run.Node == _cluster.NodeId ? "The server" : $"Node {run.Node}";
        run.Outcome = RotationOutcome.Interrupted;
        run.Error = run.StepReached is null ? $"{where} stopped before the first step." : $"{where} stopped during {run.StepReached}.";
        run.FinishedDate = now;
        run.RetryAt = run.IsTest ? null : now;
        await RotationRunner.RecordEndAsync(_store, _events, run, ct);
        await _observer.RunFinishedAsync(run);
    }

    /// <summary>One pass: retries that are due, then secrets whose planned rotation moment has come.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        if (!_cluster.HoldsLease)
        {
            // Another node schedules; this one runs what RotateSecret asks it to.
            return;
        }

        await RecoverAsync(ct);
        var now = _time.GetUtcNow();
        foreach (var failed in await _store.FindRotationRetriesDueAsync(now, 100, ct))
        {
            if (_active.ContainsKey(failed.SecretArn))
            {
                continue;
            }

            failed.RetryAt = null;
            await _store.UpdateRotationRunAsync(failed, ct);
            var secret = await _store.FindSecretByArnAsync(failed.SecretArn, ct);
            if (secret is null || secret.DeletedDate is not null || secret.RotationEnabled != true)
            {
                continue;
            }

            var version = await _store.FindVersionByIdAsync(secret.Id, failed.VersionId, ct);
            if (version is null || !version.Stages.Contains(StagingLabels.Pending) || version.Stages.Contains(StagingLabels.Current))
            {
                // Someone finished or cleaned up the rotation by hand; nothing to retry.
                continue;
            }

            Dispatch(new RotationStartRequest(secret.Region, secret.Arn, failed.VersionId, RotationTrigger.Retry, failed.Attempt + 1), ct);
        }

        // A window lasts at most 24 hours, so every secret whose window has begun ends within a day.
        foreach (var secret in await _store.FindSecretsDueForRotationAsync(now + TimeSpan.FromHours(25), 200, ct))
        {
            if (_active.ContainsKey(secret.Arn) || secret.NextRotationDate is not { } end)
            {
                continue;
            }

            var start = RotationSchedule.WindowStart(secret.RotationRules, end);
            if (now < start)
            {
                continue;
            }

            // Inside the window, wait for this secret's planned moment; a window missed entirely (the
            // server was down) is made up at once.
            if (now <= end && now < RotationSchedule.PlannedMoment(secret.Arn, start, end))
            {
                continue;
            }

            var latest = await _store.ListRotationRunsAsync(secret.Arn, null, 1, ct);
            if (latest.Count > 0 && (latest[0].RetryAt is not null || latest[0].Outcome == RotationOutcome.Running))
            {
                continue;
            }

            var versionId = await _secrets().Rotation.BeginScheduledRotationAsync(secret.Arn, ct);
            if (versionId is not null)
            {
                Dispatch(new RotationStartRequest(secret.Region, secret.Arn, versionId, RotationTrigger.Schedule, 1), ct);
            }
        }
    }

    private void Dispatch(RotationStartRequest request, CancellationToken ct)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = RunOneAsync(request, gate.Task, ct);
        if (!_active.TryAdd(request.SecretArn, run))
        {
            // One run per secret: a second request while one runs is dropped (the first one's outcome decides).
            gate.SetCanceled(CancellationToken.None);
            return;
        }

        gate.SetResult();
    }

    private async Task RunOneAsync(RotationStartRequest request, Task gate, CancellationToken ct)
    {
        try
        {
            await gate;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await _slots.WaitAsync(ct);
            try
            {
                await _runner().RunAsync(request, ct);
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Recorded by the runner (or, when the server stops, taken up as interrupted at the next start).
        }
        finally
        {
            _active.TryRemove(request.SecretArn, out _);
        }
    }

    public void Stop() => _stopping.Cancel();
}
