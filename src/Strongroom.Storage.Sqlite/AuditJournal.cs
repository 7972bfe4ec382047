using System.Collections.Concurrent;
using Strongroom.Core.Audit;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The SQLite store's audit trail on its hot path (ADR 0039): records are numbered and chained here, in memory (one
/// server process writes a data directory), made durable by appending them to the journal files with one fdatasync per
/// group (<see cref="AuditJournalFiles"/>), and only then acknowledged; the audit tables — what LookupEvents, digests,
/// verification, archiving and export read — are filled behind, in large transactions, by one indexing loop. Every
/// read of the trail first waits until the tables hold every acknowledged record (<see cref="WhenIndexedAsync"/>), so
/// readers see what they saw before. At start, whatever the journal holds beyond the tables (a process killed before
/// its indexing caught up) is verified link by link and stored before anything else runs. Thread-safe.
/// </summary>
internal sealed class AuditJournal : IAsyncDisposable
{
    /// <summary>Most rows one indexing transaction stores (it holds the store's writer meanwhile).</summary>
    private const int MaxIndexBatch = 1024;

    /// <summary>How long an acknowledged record may wait for the tables when nobody reads the trail.</summary>
    private static readonly TimeSpan IndexInterval = TimeSpan.FromMilliseconds(200);

    private readonly AuditJournalFiles _files;
    private readonly Func<IReadOnlyList<AuditRow>, CancellationToken, Task<int>> _store;
    private readonly Lock _appendGate = new();
    private readonly ConcurrentQueue<AuditRow> _unindexed = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<(long Seq, TaskCompletionSource Done)> _waiters = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _indexer;
    private long _headSeq;
    private byte[] _headHash;
    private long _appendedSeq;
    private long _indexedSeq;
    private int _queued;
    private bool _closed;

    private AuditJournal(AuditJournalFiles files, Func<IReadOnlyList<AuditRow>, CancellationToken, Task<int>> store, long headSeq, byte[] headHash)
    {
        _files = files;
        _store = store;
        (_headSeq, _headHash) = (headSeq, headHash);
        (_appendedSeq, _indexedSeq) = (headSeq, headSeq);
        _indexer = Task.Run(IndexLoopAsync);
    }

    /// <summary>
    /// Opens the journal of the store at <paramref name="databasePath"/>: the rows it holds past the tables' head that
    /// continue the chain are stored first (through <paramref name="store"/>), then appends start over.
    /// </summary>
    /// <param name="store">Stores chained rows in one write transaction, skipping rows the tables already hold.</param>
    /// <param name="readHead">The tables' head: the newest row's number and hash (or where the archive ends).</param>
    public static async Task<AuditJournal> OpenAsync(
        string databasePath,
        Func<IReadOnlyList<AuditRow>, CancellationToken, Task<int>> store,
        Func<CancellationToken, Task<(long Seq, byte[] Hash)>> readHead,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(readHead);
        var files = AuditJournalFiles.Open(databasePath);
        try
        {
            var (seq, hash) = await readHead(ct);
            var recovered = new List<AuditRow>();
            foreach (var row in files.ReadAll())
            {
                // Rows the tables hold are skipped; of a number written twice (a group whose write failed, then written
                // again) only the one that links to the chain so far is taken; after a gap nothing links any more.
                if (row.Seq <= seq || !AuditChain.Follows(seq, hash, row))
                {
                    continue;
                }

                recovered.Add(row);
                (seq, hash) = (row.Seq, row.Hash);
            }

            for (var i = 0; i < recovered.Count; i += MaxIndexBatch)
            {
                await store(recovered.GetRange(i, Math.Min(MaxIndexBatch, recovered.Count - i)), ct);
            }

            files.Restart();
            return new AuditJournal(files, store, seq, hash);
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Numbers and chains <paramref name="entries"/> after the head, and returns once they are durable in the journal.
    /// On failure nothing is appended and the head stays where it was.
    /// </summary>
    public IReadOnlyList<AuditRow> Append(IReadOnlyList<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        AuditRow[] rows;
        lock (_appendGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            rows = AuditChain.Link(_headSeq, _headHash, entries);
            if (rows.Length == 0)
            {
                return rows;
            }

            _files.Append(rows, Volatile.Read(ref _indexedSeq));
            (_headSeq, _headHash) = (rows[^1].Seq, rows[^1].Hash);
            foreach (var row in rows)
            {
                _unindexed.Enqueue(row);
            }

            Volatile.Write(ref _appendedSeq, rows[^1].Seq);
        }

        if (Interlocked.Add(ref _queued, rows.Length) >= MaxIndexBatch)
        {
            Wake();
        }

        return rows;
    }

    /// <summary>Completes once the audit tables hold every record acknowledged before this call.</summary>
    public ValueTask WhenIndexedAsync(CancellationToken ct)
    {
        var target = Volatile.Read(ref _appendedSeq);
        if (Volatile.Read(ref _indexedSeq) >= target)
        {
            return ValueTask.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Volatile.Read(ref _indexedSeq) >= target)
            {
                return ValueTask.CompletedTask;
            }

            _waiters.Add((target, done));
        }

        Wake();
        return new ValueTask(done.Task.WaitAsync(ct));
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task IndexLoopAsync()
    {
        var batch = new List<AuditRow>(MaxIndexBatch);
        var stopping = false;
        while (true)
        {
            try
            {
                await _wake.WaitAsync(IndexInterval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                stopping = true;
            }

            // Everything queued now is stored, a transaction per batch; a failed batch is kept and tried again on the
            // next pass (its records are durable in the journal meanwhile), and whoever waits for it is told.
            while (batch.Count > 0 || !_unindexed.IsEmpty)
            {
                while (batch.Count < MaxIndexBatch && _unindexed.TryDequeue(out var row))
                {
                    batch.Add(row);
                }

                try
                {
                    await _store(batch, CancellationToken.None);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    FailWaiters(e);
                    break;
                }

                Interlocked.Add(ref _queued, -batch.Count);
                Volatile.Write(ref _indexedSeq, batch[^1].Seq);
                batch.Clear();
                ReleaseWaiters();
            }

            if (stopping)
            {
                return;
            }
        }
    }

    private void ReleaseWaiters()
    {
        var indexed = Volatile.Read(ref _indexedSeq);
        lock (_waiters)
        {
            _waiters.RemoveAll(w =>
            {
                if (w.Seq > indexed)
                {
                    return false;
                }

                w.Done.TrySetResult();
                return true;
            });
        }
    }

    private void FailWaiters(Exception e)
    {
        lock (_waiters)
        {
            foreach (var (_, done) in _waiters)
            {
                done.TrySetException(new AuditUnavailableException("The audit trail cannot be read: its records cannot be stored in the audit tables.", e));
            }

            _waiters.Clear();
        }
    }

    /// <summary>Stops appends, stores what is still unindexed (a last pass), and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_appendGate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        await _stop.CancelAsync();
        await _indexer;
        _files.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }
}
