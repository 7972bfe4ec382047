using Microsoft.Data.Sqlite;
using Strongroom.Storage.Relational;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The store's one writer connection and its group commit: writes that arrive while one is committing are queued, and
/// the next writer to hold the lock runs every queued work (up to <see cref="MaxGroup"/>) in one transaction (BEGIN
/// IMMEDIATE), each inside its own SAVEPOINT, then commits once — one fsync for the group. A work that throws is rolled
/// back to its savepoint and gets its exception alone; the others commit. Every caller returns only after the commit
/// that holds its work (a failed COMMIT fails every work of the group). Works run one after another in arrival order,
/// each seeing the effects of those before it, exactly as separate transactions would. Thread-safe.
/// </summary>
internal sealed class GroupCommit : IAsyncDisposable
{
    private const int MaxGroup = 64;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly StatementCache _statements = new();
    private readonly Queue<PendingWrite> _queue = new();
    private bool _disposed;

    /// <param name="writer">An open connection with the writer's pragmas; this instance owns it from now on.</param>
    public GroupCommit(SqliteConnection writer) => _writer = writer;

    public async Task<T> WriteAsync<T>(Func<RelationalAccess, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingWrite<T>(work, cancellationToken);
        lock (_queue)
        {
            _queue.Enqueue(pending);
        }

        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Holding the lock, this work is either done (an earlier holder's group took it) or still queued.
            while (!pending.Task.IsCompleted)
            {
                await RunGroupAsync();
            }
        }
        finally
        {
            _writeLock.Release();
        }

        return await pending.Task;
    }

    private async Task RunGroupAsync()
    {
        var group = new List<PendingWrite>();
        lock (_queue)
        {
            while (group.Count < MaxGroup && _queue.TryDequeue(out var next))
            {
                group.Add(next);
            }
        }

        var done = new List<PendingWrite>(group.Count);
        using var tx = _writer.BeginTransaction(deferred: false);
        var access = new RelationalAccess(SqliteDialect.Instance, _writer, tx, _statements);
        for (var i = 0; i < group.Count; i++)
        {
            var item = group[i];
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Cancel();
                continue;
            }

            tx.Save("w");
            try
            {
                await item.RunAsync(access);
                tx.Release("w");
                done.Add(item);
            }
            catch (Exception e)
            {
                try
                {
                    tx.Rollback("w");
                    tx.Release("w");
                }
                catch (SqliteException fatal)
                {
                    // SQLite ended the whole transaction (an I/O error, say): nothing of the group is kept.
                    item.Fail(e);
                    foreach (var rest in done.Concat(group.Skip(i + 1)))
                    {
                        rest.Fail(fatal);
                    }

                    return;
                }

                item.Fail(e);
            }
        }

        try
        {
            tx.Commit();
        }
        catch (Exception e)
        {
            foreach (var item in done)
            {
                item.Fail(e);
            }

            return;
        }

        foreach (var item in done)
        {
            item.Complete();
        }
    }

    /// <summary>Waits for the write in progress, then checkpoints the WAL into the file and closes the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _statements.Dispose();
            SqliteStore.Exec(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
            await _writer.DisposeAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>One queued write: its work, and the caller's task, completed after the commit.</summary>
    private abstract class PendingWrite
    {
        public abstract CancellationToken CancellationToken { get; }

        public abstract Task RunAsync(RelationalAccess access);

        public abstract void Complete();

        public abstract void Fail(Exception e);

        public abstract void Cancel();
    }

    private sealed class PendingWrite<T>(Func<RelationalAccess, Task<T>> work, CancellationToken cancellationToken) : PendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _done.Task;

        public override CancellationToken CancellationToken => cancellationToken;

        public override async Task RunAsync(RelationalAccess access) => _result = await work(access);

        public override void Complete() => _done.TrySetResult(_result);

        public override void Fail(Exception e) => _done.TrySetException(e);

        public override void Cancel() => _done.TrySetCanceled(cancellationToken);
    }
}
