using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Strongroom.Core.Audit;
using Strongroom.Storage.Relational;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged write survives a crash,
/// and the audit trail in a second such file beside it, attached to every connection (<see cref="AuditFile"/>). The
/// SQL is the shared relational store's (<see cref="RelationalStore"/>); this class keeps what is SQLite's own: one
/// writer connection whose concurrent writes share one transaction and one commit (<see cref="GroupCommit"/>), a pool
/// of reader connections that keep their prepared statements (<see cref="StatementCache"/>) and never block writers,
/// the schema history, the audit file, and backups. Thread-safe.
/// </summary>
public sealed class SqliteStore : RelationalStore
{
    /// <summary>The schema version this build writes; a store at a higher version is refused, a lower one migrated at start.</summary>
    public static int SchemaVersion => Schema.History.Length + SchemaMigrations.Shared.Count;

    /// <summary>
    /// Reader connections kept open. Each holds its own page cache, so this bounds the memory they take
    /// (<see cref="MaxPooledReaders"/> × <see cref="ReaderCacheKiB"/> at most); a read beyond it opens a connection
    /// for that read alone.
    /// </summary>
    private const int MaxPooledReaders = 16;

    /// <summary>
    /// Page cache per reader connection (SQLite's default is 2 MiB). With the trail in its own file, a reader's
    /// cache stays valid between secret writes, so it can hold the pages of the secrets read most — with a
    /// million secrets, the pages of a thousand hot ones spread over the table take ~16 MiB. Measured
    /// (bench/run.sh scale, 100,000 secrets): hot reads 3,069 -> 4,151 req/s, cold reads unchanged within noise;
    /// mmap instead measured hot 4,350–4,676 but cold (reads that also record the day's access) 2,713 -> 1,439–1,546.
    /// </summary>
    private const int ReaderCacheKiB = 16 * 1024;

    private readonly string _connectionString;
    private readonly string _databasePath;
    private readonly ConcurrentBag<RelationalAccess> _readers = new();
    private GroupCommit? _writes;
    private AuditJournal? _journal;
    private int _pooledReaders;
    private volatile bool _disposed;

    /// <param name="databasePath">The main database file (the audit file lives beside it).</param>
    /// <remarks>One server process writes a data directory (as the documentation says), so this store serves the hot
    /// path's secret and version rows from memory between writes (see SecretReadCache).</remarks>
    public SqliteStore(string databasePath)
        : base(soleWriter: true)
    {
        _databasePath = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,

            // The store keeps its own connections (the writer, the reader pool), each with the audit file attached.
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The audit trail's file beside <paramref name="databasePath"/> (part of the data, like the main file).</summary>
    public static string AuditFilePath(string databasePath) => AuditFile.PathFor(databasePath);

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var writer = Open();
        try
        {
            Exec(writer, "PRAGMA journal_mode=WAL; PRAGMA audit.journal_mode=WAL;");
            using (var tx = writer.BeginTransaction(deferred: false))
            {
                await SchemaMigrations.ApplyAsync(
                    new RelationalAccess(SqliteDialect.Instance, writer, tx), SchemaMigrations.For(SqliteDialect.Instance, Schema.History), "data directory", cancellationToken);
                tx.Commit();
            }

            // The trail's file: its tables, then the trail moved there if the main file still holds it.
            Exec(writer, AuditFile.Ddl(AuditFile.Schema));
            AuditFile.MoveOutOfMain(writer);
        }
        catch
        {
            writer.Dispose();
            throw;
        }

        _writes = new GroupCommit(writer);

        // The trail's hot path: records durable in the journal, the audit tables filled behind (ADR 0039). Whatever the
        // journal holds past the tables is stored now, before anything reads or appends.
        _journal = await AuditJournal.OpenAsync(_databasePath, InsertChainedAuditAsync, ReadAuditHeadAsync, cancellationToken);
    }

    /// <summary>The journal files beside <paramref name="databasePath"/> (part of the data, like the main and audit files).</summary>
    public static IReadOnlyList<string> AuditJournalPaths(string databasePath) => [AuditJournalFiles.PathFor(databasePath, 0), AuditJournalFiles.PathFor(databasePath, 1)];

    /// <summary>
    /// Numbers and chains the records in memory and returns once they are durable in the journal (one write and one
    /// fdatasync for the group); the audit tables get them behind (<see cref="AuditJournal"/>).
    /// </summary>
    public override Task<IReadOnlyList<AuditRow>> AppendAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        var journal = _journal ?? throw new InvalidOperationException("The store is not initialised.");
        try
        {
            return Task.FromResult(journal.Append(entries));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Task.FromException<IReadOnlyList<AuditRow>>(e);
        }
    }

    protected override ValueTask AuditReadBarrierAsync(CancellationToken cancellationToken) =>
        _journal is { } journal ? journal.WhenIndexedAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>A connection with the writer's pragmas: full durability, foreign keys, and waiting for locks.</summary>
    private SqliteConnection Open()
    {
        var connection = OpenAttached();
        Exec(connection, "PRAGMA synchronous=FULL; PRAGMA audit.synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");
        return connection;
    }

    private SqliteConnection OpenAttached()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        try
        {
            AuditFile.Attach(connection, _databasePath);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return connection;
    }

    /// <summary>
    /// A read-only connection to the store at <paramref name="databasePath"/> for tools that read its tables
    /// directly (migration to PostgreSQL, schema checks): the audit file attached, and <c>settings</c> a temporary
    /// view over both files' settings, so every table reads by its plain name as one store.
    /// </summary>
    public static SqliteConnection OpenReadOnly(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        try
        {
            AuditFile.Attach(connection, databasePath);
            Exec(connection, "CREATE TEMP VIEW settings AS SELECT key, value FROM main.settings UNION ALL SELECT key, value FROM audit.settings");
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return connection;
    }

    internal static void Exec(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// A reader connection of this store's own pool, which keeps each connection open with its prepared statements, so
    /// a point read neither opens a connection nor parses SQL. Readers need none of the writer's pragmas (durability
    /// and foreign keys concern writes; the connection string's timeout already retries on SQLITE_BUSY).
    /// </summary>
    protected override ValueTask<RelationalAccess> OpenReaderAsync(CancellationToken cancellationToken)
    {
        if (_readers.TryTake(out var reader))
        {
            Interlocked.Decrement(ref _pooledReaders);
            return new(reader);
        }

        var connection = OpenAttached();
        try
        {
            Exec(connection, $"PRAGMA main.cache_size=-{ReaderCacheKiB};");
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new(new RelationalAccess(SqliteDialect.Instance, connection, null, new StatementCache()));
    }

    protected override ValueTask CloseReaderAsync(RelationalAccess reader)
    {
        // Counted here rather than by ConcurrentBag.Count, which locks every thread's list.
        var keep = false;
        if (!_disposed)
        {
            keep = Interlocked.Increment(ref _pooledReaders) <= MaxPooledReaders;
            if (!keep)
            {
                Interlocked.Decrement(ref _pooledReaders);
            }
        }

        if (keep)
        {
            _readers.Add(reader);

            // A store disposed meanwhile has already emptied the pool: close what came back late.
            while (_disposed && _readers.TryTake(out var late))
            {
                Close(late);
            }
        }
        else
        {
            Close(reader);
        }

        return ValueTask.CompletedTask;
    }

    private static void Close(RelationalAccess reader)
    {
        (reader.Statements as StatementCache)?.Dispose();
        reader.Connection.Dispose();
    }

    protected override Task<T> WriteTransactionAsync<T>(Func<RelationalAccess, Task<T>> work, CancellationToken cancellationToken) =>
        (_writes ?? throw new InvalidOperationException("The store is not initialised.")).WriteAsync(work, cancellationToken);

    public override async Task BackupAsync(string path, CancellationToken cancellationToken)
    {
        // The copy holds every record acknowledged before it started.
        await AuditReadBarrierAsync(cancellationToken);
        // VACUUM INTO reads one consistent snapshot (a read transaction in WAL mode) and writes a compact copy;
        // writers go on meanwhile. The target must not exist.
        using (var connection = Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "VACUUM main INTO $path";
            command.Parameters.AddWithValue("$path", path);
            command.ExecuteNonQuery();
        }

        // The trail joins the copy's main file: a backup stays one file (the restored store moves it out again).
        AuditFile.CopyIntoBackup(_databasePath, path);
    }

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_readers.TryTake(out var reader))
        {
            Close(reader);
        }

        // The journal's last indexing pass needs the writer: it closes first.
        if (_journal is { } journal)
        {
            await journal.DisposeAsync();
            _journal = null;
        }

        if (_writes is { } writes)
        {
            await writes.DisposeAsync();
            _writes = null;
        }

        SqliteConnection.ClearAllPools();
    }
}
