using System.Threading.Channels;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Audit;

/// <summary>
/// The append-only, hash-chained audit trail with group commit: callers enqueue an event and wait; one
/// writer hands whatever is queued to the store, which numbers, chains and stores it in a single durable
/// transaction (so several nodes on one database extend one chain), then releases every waiter. A failed write fails every waiting call (fail closed) and leaves the chain where it was.
/// Thread-safe.
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly IAuditStore _store;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _seq;
    private int _lastBatchFailed;

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource Done);

    private readonly Action<IReadOnlyList<AuditRow>>? _afterCommit;

    private AuditLog(IAuditStore store, long seq, Action<IReadOnlyList<AuditRow>>? afterCommit)
    {
        _store = store;
        _afterCommit = afterCommit;
        _seq = seq;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Calls waiting for their record to be written (counted here: a single-reader channel cannot count itself).</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    private int _backlog;

    /// <summary>
    /// False while the last batch the writer tried could not be stored (until one is): the host then refuses writes
    /// before their effect, so no effect is left without its record while the trail is known to be unwritable.
    /// </summary>
    public bool IsWritable => Volatile.Read(ref _lastBatchFailed) == 0 && IsRunning;

    /// <summary>False once the writer has stopped (shut down or crashed).</summary>
    public bool IsRunning => !_writer.IsCompleted;

    /// <summary>Sequence number of the last record this process made durable (other nodes may have added more).</summary>
    public long LastSeq => Interlocked.Read(ref _seq);

    public static Task<AuditLog> StartAsync(IAuditStore store, CancellationToken ct) => StartAsync(store, null, ct);

    /// <param name="store">Where records are kept.</param>
    /// <param name="afterCommit">Called with each durable batch, in order (a file sink for a SIEM); its failures are its own.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<AuditLog> StartAsync(IAuditStore store, Action<IReadOnlyList<AuditRow>>? afterCommit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var last = await store.LastAuditAsync(ct);
        return new AuditLog(store, last?.Seq ?? 0, afterCommit);
    }

    /// <summary>Completes once the event's record is durable; throws <see cref="AuditUnavailableException"/> if it cannot be.</summary>
    public Task AppendAsync(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The record is rendered here, on the caller's thread, in parallel with other calls; the one writer
        // only numbers, chains and stores (it is the serial part of every call's latency).
        AuditEntry entry;
        try
        {
            entry = AuditEntry.From(auditEvent);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            done.SetException(new AuditUnavailableException("The audit record cannot be written.", e));
            return done.Task;
        }

        Interlocked.Increment(ref _backlog);
        if (!_queue.Writer.TryWrite(new Pending(entry, done)))
        {
            Interlocked.Decrement(ref _backlog);
            done.SetException(new AuditUnavailableException("The audit trail is shut down."));
        }

        return done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                Interlocked.Decrement(ref _backlog);
                batch.Add(pending);
            }

            try
            {
                var entries = new List<AuditEntry>(batch.Count);
                foreach (var pending in batch)
                {
                    entries.Add(pending.Entry);
                }

                // The store numbers and chains the batch inside its write transaction (one chain across nodes).
                var rows = await _store.AppendAuditAsync(entries, CancellationToken.None);
                if (rows.Count > 0)
                {
                    Interlocked.Exchange(ref _seq, rows[^1].Seq);
                }

                Volatile.Write(ref _lastBatchFailed, 0);
                foreach (var pending in batch)
                {
                    pending.Done.SetResult();
                }

                _afterCommit?.Invoke(rows);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Volatile.Write(ref _lastBatchFailed, 1);
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(new AuditUnavailableException("The audit trail cannot be written.", e));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }
}
