using System.Data;
using System.Globalization;
using Npgsql;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Storage.PostgreSql.Sql;

namespace Strongroom.Storage.PostgreSql;

/// <summary>
/// The scale-out store: several stateless server nodes share one PostgreSQL database. Thread-safe.
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
public sealed class PostgresStore : IStore
{
    /// <summary>The schema version this build writes; a store at a higher version is refused, a lower one migrated at start.</summary>
    public static int SchemaVersion => Schema.Migrations.Length;

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

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // One transaction under an advisory lock: nodes starting together apply each migration exactly once, and
        // a node that waited sees the finished schema (READ COMMITTED: each statement after the lock sees every commit).
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1)", cancellationToken, P(MigrationLockKey));
        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)", cancellationToken);
        long version;
        await using (var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection, tx))
        {
            version = (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        }

        if (version > Schema.Migrations.Length)
        {
            throw new InvalidOperationException($"The database's schema is version {version}, newer than this build ({Schema.Migrations.Length}). Upgrade Strongroom.");
        }

        for (var i = (int)version; i < Schema.Migrations.Length; i++)
        {
            await ExecuteAsync(connection, tx, Schema.Migrations[i], cancellationToken);
            await ExecuteAsync(connection, tx, "INSERT INTO schema_version (version) VALUES ($1)", cancellationToken, P(i + 1));
        }

        await tx.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.Parameters.AddRange(parameters);
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

    private static StoreUnavailableException Unavailable(Exception e) =>
        // The type and SQLSTATE only: Npgsql's messages name host and user, which operators find in the server log's start line.
        new($"The PostgreSQL database cannot be reached or cannot answer now ({(e is PostgresException p ? "SQLSTATE " + p.SqlState : e.InnerException?.GetType().Name ?? e.GetType().Name)}).", e);

    /// <summary>
    /// Reads are retried once after a connection failure (a read has no effect, so this is safe): after the
    /// database restarted, the pool's idle connections are dead, and the first call on each would fail.
    /// </summary>
    private async Task<T> Read<T>(Func<PostgresAccess, Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                return await read(new PostgresAccess(connection, null));
            }
            catch (Exception e) when (attempt == 1 && IsBrokenConnection(e) && !cancellationToken.IsCancellationRequested)
            {
                _dataSource.Clear();
            }
            catch (Exception e) when (IsUnavailable(e))
            {
                throw Unavailable(e);
            }
        }
    }

    /// <summary>A failure of the connection itself (not of a statement), after which a fresh connection may work.</summary>
    private static bool IsBrokenConnection(Exception e) =>
        e is NpgsqlException { IsTransient: true } and not PostgresException
        || e is PostgresException p && (p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal));

    public async Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return await WriteCoreAsync(work, cancellationToken);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    private async Task<T> WriteCoreAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var (connection, tx) = await BeginWriteAsync(cancellationToken);
        await using var disposeConnection = connection;
        await using var disposeTx = tx;
        var result = await work(new PostgresAccess(connection, tx));

        // Not cancellable once the work is done, as in the SQLite store: a cancelled COMMIT would leave the
        // caller unsure whether it happened. Disposing the transaction without a commit rolls it back.
        await tx.CommitAsync(CancellationToken.None);
        return result;
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
                await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1)", cancellationToken, P(WriteLockKey));
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

    private Task Write(Func<PostgresAccess, Task> work, CancellationToken cancellationToken) =>
        WriteAsync(
            async tx =>
            {
                await work((PostgresAccess)tx);
                return true;
            },
            cancellationToken);

    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken) => Read(a => a.GetSettingAsync(key, cancellationToken), cancellationToken);

    public Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken) => Read(a => a.FindSecretByNameAsync(region, name, cancellationToken), cancellationToken);

    public Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken) => Read(a => a.FindSecretByArnAsync(arn, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken) => Read(a => a.FindSecretsByPartialArnAsync(partialArn, cancellationToken), cancellationToken);

    public Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken) => Read(a => a.FindVersionByIdAsync(secretId, versionId, cancellationToken), cancellationToken);

    public Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken) => Read(a => a.FindVersionByStageAsync(secretId, stage, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken) => Read(a => a.ListVersionsAsync(secretId, cancellationToken), cancellationToken);

    public Task<KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) => Read(a => a.FindKmsKeyAsync(keyId, cancellationToken), cancellationToken);

    public Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) => Read(a => a.FindKmsAliasAsync(region, aliasName, cancellationToken), cancellationToken);

    public Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken) => Read(a => a.GetKmsKeyMaterialAsync(keyId, version, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken) => Read(a => a.ListKmsKeysAsync(region, afterKeyId, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken) => Read(a => a.ListKmsAliasesAsync(region, keyId, afterAlias, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken) => Read(a => a.ListKmsKeyVersionsAsync(keyId, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => Read(a => a.FindKmsKeysDueAsync(now, limit, cancellationToken), cancellationToken);

    public Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) => Read(a => a.FindAccessKeyAsync(accessKeyId, cancellationToken), cancellationToken);

    public Task<IamEntityRow?> FindIamEntityAsync(string kind, string name, CancellationToken cancellationToken) => Read(a => a.FindIamEntityAsync(kind, name, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(string? kind, CancellationToken cancellationToken) => Read(a => a.ListIamEntitiesAsync(kind, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken) => Read(a => a.ListAccessKeysAsync(userName, cancellationToken), cancellationToken);

    public Task<ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken) => Read(a => a.FindParameterAsync(region, key, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken) =>
        Read(a => a.ScanParametersAsync(region, keyPrefix, afterKey, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken) => Read(a => a.ListParameterRegionsAsync(cancellationToken), cancellationToken);

    public Task<IReadOnlyList<ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken) => Read(a => a.ListParameterVersionsAsync(region, key, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken) => Read(a => a.ScanSecretsAsync(scan, cancellationToken), cancellationToken);

    public Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken) =>
        Read(a => a.GetStageMapsAsync(secretIds, cancellationToken), cancellationToken);

    public Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken) =>
        Read(async a =>
        {
            await a.RecordAccessAsync(secretId, versionId, day, cancellationToken);
            return true;
        }, cancellationToken);

    public Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) => Read(a => a.StatisticsAsync(cancellationToken), cancellationToken);

    /// <summary>Not supported for PostgreSQL: back up the database with pg_dump (or continuous archiving) instead.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public Task BackupAsync(string path, CancellationToken cancellationToken) =>
        throw new NotSupportedException(
            "Backing up a PostgreSQL store is not done by Strongroom: use pg_dump on the database (for example pg_dump --format=custom --file=<path> <database>), " +
            "or PostgreSQL's continuous archiving. The root key is not in the database; keep it backed up separately.");

    public Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Read(a => a.FindSecretsDueForDeletionAsync(now, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<SecretRecord>> FindSecretsDueForRotationAsync(DateTimeOffset windowEndsBy, int limit, CancellationToken cancellationToken) =>
        Read(a => a.FindSecretsDueForRotationAsync(windowEndsBy, limit, cancellationToken), cancellationToken);

    public Task<bool> InsertRotationRunAsync(RotationRun run, CancellationToken cancellationToken) =>
        WriteAsync(tx => ((PostgresAccess)tx).InsertRotationRunAsync(run, cancellationToken), cancellationToken);

    public Task UpdateRotationRunAsync(RotationRun run, CancellationToken cancellationToken) => Write(a => a.UpdateRotationRunAsync(run, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<RotationRun>> ListRotationRunsAsync(string? secretArn, long? beforeRunId, int limit, CancellationToken cancellationToken) =>
        Read(a => a.QueryRotationRunsAsync("($1 IS NULL OR secret_arn = $1) AND ($2 IS NULL OR run_id < $2) ORDER BY run_id DESC LIMIT $3", cancellationToken, P(secretArn), P(beforeRunId), P(limit)), cancellationToken);

    public Task<IReadOnlyList<RotationRun>> FindRunningRotationRunsAsync(CancellationToken cancellationToken) =>
        Read(a => a.QueryRotationRunsAsync("outcome = 'Running' ORDER BY run_id", cancellationToken), cancellationToken);

    public Task<IReadOnlyList<RotationRun>> FindRotationRetriesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Read(a => a.QueryRotationRunsAsync("retry_ms IS NOT NULL AND retry_ms <= $1 ORDER BY retry_ms LIMIT $2", cancellationToken, Ms(now), P(limit)), cancellationToken);

    private long _auditResourcesIndexedTo;

    public Task<IReadOnlyList<AuditRow>> AppendAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) =>
        WriteAsync(
            async tx =>
            {
                // Under the cluster-wide write lock: the head read here is the newest of every node's commits.
                var access = (PostgresAccess)tx;
                var rows = await AuditChain.LinkAfterHeadAsync(access, await access.LastAuditAsync(cancellationToken), entries, cancellationToken);
                await access.AppendAuditAsync(rows, cancellationToken);

                // The resource-name index is filled behind the trail (AuditResourceIndex); the setting is read only
                // when this node's last pass is a whole interval behind.
                if (rows.Count > 0 && rows[^1].Seq - Interlocked.Read(ref _auditResourcesIndexedTo) >= AuditResourceIndex.IndexEvery)
                {
                    Interlocked.Exchange(ref _auditResourcesIndexedTo, await access.IndexAuditResourcesAsync(rows[^1].Seq, cancellationToken));
                }

                return rows;
            },
            cancellationToken);

    public Task<AuditRow?> LastAuditAsync(CancellationToken cancellationToken) => Read(a => a.LastAuditAsync(cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AuditRow>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken) => Read(a => a.ReadAuditAsync(afterSeq, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AuditRow>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken) => Read(a => a.QueryAuditAsync(query, cancellationToken), cancellationToken);

    public Task RemoveArchivedAuditAsync(long fromSeq, long toSeq, byte[] lastHash, CancellationToken cancellationToken) =>
        Write(
            async a =>
            {
                await a.DeleteAuditRangeAsync(fromSeq, toSeq, cancellationToken);
                await a.SetSettingAsync("audit_archived_to_seq", toSeq.ToString(CultureInfo.InvariantCulture), cancellationToken);
                await a.SetSettingAsync("audit_archived_hash", Convert.ToHexStringLower(lastHash), cancellationToken);
            },
            cancellationToken);

    public Task<bool> InsertAuditDigestAsync(AuditDigest digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return WriteAsync(
            async tx =>
            {
                // Under the cluster-wide write lock: only the digest that follows the newest one is kept.
                var access = (PostgresAccess)tx;
                if (await access.LastDigestToSeqAsync(cancellationToken) != digest.FromSeq - 1)
                {
                    return false;
                }

                await access.InsertAuditDigestAsync(digest, cancellationToken);
                return true;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<AuditDigest>> ListAuditDigestsAsync(CancellationToken cancellationToken) => Read(a => a.ListAuditDigestsAsync(cancellationToken), cancellationToken);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
