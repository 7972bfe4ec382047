using System.Data;
using System.Globalization;
using Npgsql;
using Strongroom.Core.Storage;
using Strongroom.Storage.Relational;

namespace Strongroom.Storage.PostgreSql;

/// <summary>
/// The scale-out store: several stateless server nodes share one PostgreSQL database. The SQL is the shared relational
/// store's (<see cref="RelationalStore"/>); this class keeps what is PostgreSQL's own: the connection pool, the
/// cluster-wide write lock, the retry of a read or a transaction start after a dead connection, the mapping of outages
/// to <see cref="StoreUnavailableException"/>, and the schema history. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// Writers are serialised cluster-wide, as SQLite's single writer serialises them in one process: every write
/// transaction (READ COMMITTED) first takes the transaction-level advisory lock <see cref="WriteLockKey"/>, so
/// the read-check-write that use cases do inside <see cref="WriteAsync{T}"/> sees every earlier commit of every
/// node and no other writer runs meanwhile. No serialisation failures can occur, so work is never retried (it may
/// have side effects on the records it was given). The lock is released by COMMIT or ROLLBACK, also when a node
/// dies (the server ends its session).
/// </para>
/// <para>
/// Reads outside transactions take a pooled connection each. Connection string keywords set the timeouts and the
/// pool; when absent, this store uses a 30 s command timeout (which also bounds the wait for the write lock),
/// a 15 s connect timeout, at most 20 connections per node, and Application Name "strongroom".
/// </para>
/// <para>Backups: <see cref="BackupAsync"/> is not supported; use pg_dump (or the server's own backup tooling).</para>
/// </remarks>
public sealed class PostgresStore : RelationalStore
{
    /// <summary>The schema version this build writes; a store at a higher version is refused, a lower one migrated at start.</summary>
    public static int SchemaVersion => Schema.History.Length + SchemaMigrations.Shared.Count;

    /// <summary>Advisory lock key held by the transaction that applies migrations ("Strngrm" + 1).</summary>
    public const long MigrationLockKey = 0x5374_726E_6772_6D01;

    /// <summary>Advisory lock key held by every write transaction ("Strngrm" + 2).</summary>
    public const long WriteLockKey = 0x5374_726E_6772_6D02;

    private readonly NpgsqlDataSource _dataSource;

    /// <param name="connectionString">An Npgsql connection string to the database that holds (or will hold) the store.</param>
    public PostgresStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Mentions(params string[] keywords) => keywords.Any(given.ContainsKey);
        if (!Mentions("Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = 30;
        }

        if (!Mentions("Timeout"))
        {
            builder.Timeout = 15;
        }

        if (!Mentions("Maximum Pool Size", "Max Pool Size", "MaxPoolSize"))
        {
            builder.MaxPoolSize = 20;
        }

        // The store's statements are few and repeated: prepared once per connection, PostgreSQL parses and plans
        // them once (set Max Auto Prepare=0 behind a pooler in transaction mode that cannot keep them).
        if (!Mentions("Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        // The store leaves no session state on a connection (its locks end with their transactions), so a pooled
        // connection needs no reset when it is returned.
        if (!Mentions("No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!Mentions("Application Name", "ApplicationName"))
        {
            builder.ApplicationName = "strongroom";
        }

        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>The database a connection string names, for logs: host, port, database and user, never the password.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}");
    }

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // One transaction under an advisory lock: nodes starting together apply each migration exactly once, and
        // a node that waited sees the finished schema (READ COMMITTED: each statement after the lock sees every commit).
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await LockAsync(connection, tx, MigrationLockKey, cancellationToken);
        await SchemaMigrations.ApplyAsync(
            new RelationalAccess(PostgresDialect.Instance, connection, tx), SchemaMigrations.For(PostgresDialect.Instance, Schema.History), "database", cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Takes the transaction-level advisory lock <paramref name="key"/>; COMMIT or ROLLBACK (or the session's end) releases it.</summary>
    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long key, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, tx) { Parameters = { new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = key } } };
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// True for the errors that mean "the database cannot answer now" rather than "this statement is wrong": no
    /// connection (refused, reset, timed out), the server shutting down or out of resources, authentication refused.
    /// Those become <see cref="StoreUnavailableException"/>; the caller may retry later. Npgsql's own pool drops
    /// broken connections, so a node recovers by itself once the database is back.
    /// </summary>
    internal static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("28", StringComparison.Ordinal)
            || p.SqlState.StartsWith("53", StringComparison.Ordinal) || p.SqlState.StartsWith("57", StringComparison.Ordinal) || p.SqlState.StartsWith("58", StringComparison.Ordinal),
        NpgsqlException => true, // not a server error: the connection itself failed or timed out
        _ => false,
    };

    protected override Exception? Unavailable(Exception e) =>
        // The type and SQLSTATE only: Npgsql's messages name host and user, which operators find in the server log's start line.
        IsUnavailable(e)
            ? new StoreUnavailableException(
                $"The PostgreSQL database cannot be reached or cannot answer now ({(e is PostgresException p ? "SQLSTATE " + p.SqlState : e.InnerException?.GetType().Name ?? e.GetType().Name)}).", e)
            : null;

    /// <summary>
    /// A failure of the connection itself (not of a statement), after which a fresh connection may work. Reads are
    /// retried once after one (a read has no effect): after the database restarted, the pool's idle connections are
    /// dead, and the first call on each would fail.
    /// </summary>
    protected override bool IsBrokenConnection(Exception e) =>
        e is NpgsqlException { IsTransient: true } and not PostgresException
        || e is PostgresException p && (p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal));

    protected override void DropPooledConnections() => _dataSource.Clear();

    /// <summary>Reads take a pooled connection each (Npgsql prepares the store's statements per connection, see the constructor).</summary>
    protected override async ValueTask<RelationalAccess> OpenReaderAsync(CancellationToken cancellationToken) =>
        new(PostgresDialect.Instance, await _dataSource.OpenConnectionAsync(cancellationToken), null);

    protected override ValueTask CloseReaderAsync(RelationalAccess reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.Connection.DisposeAsync();
    }

    /// <summary>
    /// True: the two statements run each in its own implicit transaction on a read connection, outside the write
    /// lock. An access date only ever moves forward, so no lock is needed, and holding one row while waiting for the
    /// other could deadlock with a writer.
    /// </summary>
    protected override bool RecordsAccessOutsideWrites => true;

    protected override async Task<T> WriteTransactionAsync<T>(Func<RelationalAccess, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            var (connection, tx) = await BeginWriteAsync(cancellationToken);
            await using var disposeConnection = connection;
            await using var disposeTx = tx;
            var result = await work(new RelationalAccess(PostgresDialect.Instance, connection, tx));

            // Not cancellable once the work is done, as in the SQLite store: a cancelled COMMIT would leave the
            // caller unsure whether it happened. Disposing the transaction without a commit rolls it back.
            await tx.CommitAsync(CancellationToken.None);
            return result;
        }
        catch (Exception e) when (Unavailable(e) is { } unavailable)
        {
            throw unavailable;
        }
    }

    /// <summary>
    /// Opens a connection, begins the transaction and takes the write lock. A connection failure here is retried
    /// once on a fresh connection: nothing of the write has been sent yet (after this point writes are never
    /// retried, since the outcome of a failed COMMIT is unknown).
    /// </summary>
    private async Task<(NpgsqlConnection, NpgsqlTransaction)> BeginWriteAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? connection = null;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
                await LockAsync(connection, tx, WriteLockKey, cancellationToken);
                return (connection, tx);
            }
            catch (Exception e) when (attempt == 1 && IsBrokenConnection(e) && !cancellationToken.IsCancellationRequested)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }

                _dataSource.Clear();
            }
            catch
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }

                throw;
            }
        }
    }

    /// <summary>Not supported for PostgreSQL: back up the database with pg_dump (or continuous archiving) instead.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Task BackupAsync(string path, CancellationToken cancellationToken) =>
        throw new NotSupportedException(
            "Backing up a PostgreSQL store is not done by Strongroom: use pg_dump on the database (for example pg_dump --format=custom --file=<path> <database>), " +
            "or PostgreSQL's continuous archiving. The root key is not in the database; keep it backed up separately.");

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
