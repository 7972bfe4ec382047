using Microsoft.Data.Sqlite;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged write
/// survives a crash, and the audit trail in a second such file beside it, attached to every connection
/// (<see cref="AuditFile"/>). Writers are serialised by a semaphore and BEGIN IMMEDIATE, and concurrent writes share
/// one transaction and one commit (group commit, see <see cref="WriteAsync{T}"/>); readers use the store's own pool
/// of connections and never block writers. Thread-safe.
/// </summary>
public sealed class SqliteStore : IStore
{
    /// <summary>The schema version this build writes; a store at a higher version is refused, a lower one migrated at start.</summary>
    public static int SchemaVersion => Schema.Migrations.Length;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writer;

    private readonly string _databasePath;

    public SqliteStore(string databasePath)
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

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _writer = Open();
        Exec(_writer, "PRAGMA journal_mode=WAL; PRAGMA audit.journal_mode=WAL;");
        Exec(_writer, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
        using var tx = _writer.BeginTransaction(deferred: false);
        long version;
        using (var cmd = _writer.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
            version = (long)(cmd.ExecuteScalar() ?? 0L);
        }

        if (version > Schema.Migrations.Length)
        {
            throw new InvalidOperationException($"The data directory's schema is version {version}, newer than this build ({Schema.Migrations.Length}). Upgrade Strongroom.");
        }

        for (var i = (int)version; i < Schema.Migrations.Length; i++)
        {
            using var cmd = _writer.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Schema.Migrations[i] + $"\nINSERT INTO schema_version (version) VALUES ({i + 1});";
            cmd.ExecuteNonQuery();
        }

        tx.Commit();

        // The trail's file: its tables, then the trail moved there if the main file still holds it.
        Exec(_writer, AuditFile.Ddl(AuditFile.Schema));
        AuditFile.MoveOutOfMain(_writer);
        await Task.CompletedTask;
    }

    internal SqliteConnection Open()
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
    /// Runs a read on a reader connection of this store's own pool, which keeps each connection open with its
    /// prepared statements (<see cref="StatementCache"/>), so a point read neither opens a connection nor parses SQL.
    /// Readers need none of the writer's pragmas (durability and foreign keys concern writes; the connection
    /// string's timeout already retries on SQLITE_BUSY). <paramref name="read"/> must be done with the
    /// connection when it returns.
    /// </summary>
    private T Read<T>(Func<SqliteAccess, T> read)
    {
        if (_readers.TryTake(out var reader))
        {
            Interlocked.Decrement(ref _pooledReaders);
        }
        else
        {
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

            reader = new ReaderConnection(connection);
        }

        try
        {
            return read(new SqliteAccess(reader.Connection, null, reader.Statements));
        }
        finally
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
                    late.Dispose();
                }
            }
            else
            {
                reader.Dispose();
            }
        }
    }

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

    private long _auditResourcesIndexedTo;

    private int _pooledReaders;

    private readonly System.Collections.Concurrent.ConcurrentBag<ReaderConnection> _readers = new();
    private readonly StatementCache _writerStatements = new();
    private volatile bool _disposed;

    private sealed class ReaderConnection(SqliteConnection connection) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public StatementCache Statements { get; } = new();

        public void Dispose()
        {
            Statements.Dispose();
            Connection.Dispose();
        }
    }

    /// <summary>
    /// Group commit: writes that arrive while one is committing are queued, and the next writer to hold the lock
    /// runs every queued work (up to <see cref="MaxGroup"/>) in one transaction, each inside its own SAVEPOINT,
    /// then commits once — one fsync for the group. A work that throws is rolled back to its savepoint and gets its
    /// exception alone; the others commit. Every caller returns only after the commit that holds its work (a failed
    /// COMMIT fails every work of the group). Works run one after another in arrival order, each seeing the
    /// effects of those before it, exactly as separate transactions would.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var writer = _writer ?? throw new InvalidOperationException("The store is not initialised.");
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingWrite<T>(work, cancellationToken);
        lock (_queue)
        {
            _queue.Enqueue(pending);
        }

        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            // Holding the lock, this work is either done (an earlier holder's group took it) or still queued.
            while (!pending.Task.IsCompleted)
            {
                await RunGroupAsync(writer);
            }
        }
        finally
        {
            _writeLock.Release();
        }

        return await pending.Task;
    }

    private const int MaxGroup = 64;

    private readonly Queue<PendingWrite> _queue = new();

    private async Task RunGroupAsync(SqliteConnection writer)
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
        using var tx = writer.BeginTransaction(deferred: false);
        var access = new SqliteAccess(writer, tx, _writerStatements);
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

    /// <summary>One queued write: its work, and the caller's task, completed after the commit.</summary>
    private abstract class PendingWrite
    {
        public abstract CancellationToken CancellationToken { get; }

        public abstract Task RunAsync(SqliteAccess access);

        public abstract void Complete();

        public abstract void Fail(Exception e);

        public abstract void Cancel();
    }

    private sealed class PendingWrite<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken) : PendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _done.Task;

        public override CancellationToken CancellationToken => cancellationToken;

        public override async Task RunAsync(SqliteAccess access) => _result = await work(access);

        public override void Complete() => _done.TrySetResult(_result);

        public override void Fail(Exception e) => _done.TrySetException(e);

        public override void Cancel() => _done.TrySetCanceled(cancellationToken);
    }

    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.GetSetting(key)));

    public Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindSecretByName(region, name)));

    public Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindSecretByArn(arn)));

    public Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindSecretsByPartialArn(partialArn)));

    public Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindVersionById(secretId, versionId)));

    public Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindVersionByStage(secretId, stage)));

    public Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ListVersions(secretId)));

    public Task<Core.Kms.KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindKmsKey(keyId)));

    public Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindKmsAlias(region, aliasName)));

    public Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.GetKmsKeyMaterial(keyId, version)));

    public Task<Core.Identity.AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindAccessKey(accessKeyId)));

    public Task<IReadOnlyList<Core.Kms.KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ListKmsKeys(region, afterKeyId, limit)));

    public Task<IReadOnlyList<Core.Kms.KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ListKmsAliases(region, keyId, afterAlias, limit)));

    public Task<IReadOnlyList<Core.Kms.KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ListKmsKeyVersions(keyId)));

    public Task<IReadOnlyList<Core.Kms.KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.FindKmsKeysDue(now, limit)));

    public Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ScanSecrets(scan)));

    public Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken) =>
        Task.FromResult(Read(a => a.GetStageMaps(secretIds)));

    public Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(Read(a => a.FindSecretsDueForDeletion(now, limit)));

    public Task<IReadOnlyList<SecretRecord>> FindSecretsDueForRotationAsync(DateTimeOffset windowEndsBy, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(Read(a => a.FindSecretsDueForRotation(windowEndsBy, limit)));

    public Task<bool> InsertRotationRunAsync(Core.Rotation.RotationRun run, CancellationToken cancellationToken) =>
        WriteAsync(tx => Task.FromResult(((SqliteAccess)tx).InsertRotationRun(run)), cancellationToken);

    public Task UpdateRotationRunAsync(Core.Rotation.RotationRun run, CancellationToken cancellationToken) =>
        WriteAsync(tx => { ((SqliteAccess)tx).UpdateRotationRun(run); return Task.FromResult(true); }, cancellationToken);

    public Task<IReadOnlyList<Core.Rotation.RotationRun>> ListRotationRunsAsync(string? secretArn, long? beforeRunId, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(Read(a => a.QueryRotationRuns(
            "($a IS NULL OR secret_arn = $a) AND ($b IS NULL OR run_id < $b) ORDER BY run_id DESC LIMIT $l", ("$a", secretArn), ("$b", beforeRunId), ("$l", limit))));

    public Task<IReadOnlyList<Core.Rotation.RotationRun>> FindRunningRotationRunsAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Read(a => a.QueryRotationRuns("outcome = 'Running' ORDER BY run_id")));

    public Task<IReadOnlyList<Core.Rotation.RotationRun>> FindRotationRetriesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(Read(a => a.QueryRotationRuns("retry_ms IS NOT NULL AND retry_ms <= $n ORDER BY retry_ms LIMIT $l", ("$n", now.ToUnixTimeMilliseconds()), ("$l", limit))));

    public Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken) =>
        WriteAsync(tx => { ((SqliteAccess)tx).RecordAccess(secretId, versionId, day); return Task.FromResult(true); }, cancellationToken);

    public Task<Core.Parameters.ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken) => Read(a => a.FindParameterAsync(region, key, cancellationToken));

    public Task<IReadOnlyList<Core.Parameters.ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken) => Read(a => a.ScanParametersAsync(region, keyPrefix, afterKey, limit, cancellationToken));

    public Task<IReadOnlyList<Core.Parameters.ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken) => Read(a => a.ListParameterVersionsAsync(region, key, cancellationToken));

    public Task<Core.Identity.IamEntityRow?> FindIamEntityAsync(string kind, string name, CancellationToken cancellationToken) => Read(a => a.FindIamEntityAsync(kind, name, cancellationToken));

    public Task<IReadOnlyList<Core.Identity.IamEntityRow>> ListIamEntitiesAsync(string? kind, CancellationToken cancellationToken) => Read(a => a.ListIamEntitiesAsync(kind, cancellationToken));

    public Task<IReadOnlyList<Core.Identity.AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken) => Read(a => a.ListAccessKeysAsync(userName, cancellationToken));

    public Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken) => Read(a => a.ListParameterRegionsAsync(cancellationToken));

    public Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) => Task.FromResult(Read(a => a.Statistics()));

    public async Task BackupAsync(string path, CancellationToken cancellationToken)
    {
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
        await Task.CompletedTask;
    }

    public Task<IReadOnlyList<Core.Audit.AuditRow>> AppendAuditAsync(IReadOnlyList<Core.Audit.AuditEntry> entries, CancellationToken cancellationToken) =>
        WriteAsync(
            async tx =>
            {
                var access = (SqliteAccess)tx;
                var rows = await Core.Audit.AuditChain.LinkAfterHeadAsync(access, access.LastAudit(), entries, cancellationToken);
                access.AppendAudit(rows);

                // The resource-name index is filled behind the trail (Core.Audit.AuditResourceIndex); the setting is
                // read only when this store's last pass is a whole interval behind.
                if (rows.Count > 0 && rows[^1].Seq - Interlocked.Read(ref _auditResourcesIndexedTo) >= Core.Audit.AuditResourceIndex.IndexEvery)
                {
                    Interlocked.Exchange(ref _auditResourcesIndexedTo, access.IndexAuditResources(rows[^1].Seq));
                }

                return rows;
            },
            cancellationToken);

    public Task<Core.Audit.AuditRow?> LastAuditAsync(CancellationToken cancellationToken) => Task.FromResult(Read(a => a.LastAudit()));

    public Task<IReadOnlyList<Core.Audit.AuditRow>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ReadAudit(afterSeq, limit)));

    public Task<IReadOnlyList<Core.Audit.AuditRow>> QueryAuditAsync(Core.Audit.AuditQuery query, CancellationToken cancellationToken) => Task.FromResult(Read(a => a.QueryAudit(query)));

    public Task RemoveArchivedAuditAsync(long fromSeq, long toSeq, byte[] lastHash, CancellationToken cancellationToken) =>
        WriteAsync(async tx =>
        {
            ((SqliteAccess)tx).DeleteAuditRange(fromSeq, toSeq);
            await tx.SetSettingAsync("audit_archived_to_seq", toSeq.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            await tx.SetSettingAsync("audit_archived_hash", Convert.ToHexStringLower(lastHash), cancellationToken);
            return true;
        }, cancellationToken);

    public Task<bool> InsertAuditDigestAsync(Core.Audit.AuditDigest digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return WriteAsync(
            tx =>
            {
                var access = (SqliteAccess)tx;
                if (access.LastDigestToSeq() != digest.FromSeq - 1)
                {
                    return Task.FromResult(false);
                }

                access.InsertAuditDigest(digest);
                return Task.FromResult(true);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<Core.Audit.AuditDigest>> ListAuditDigestsAsync(CancellationToken cancellationToken) => Task.FromResult(Read(a => a.ListAuditDigests()));

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            _disposed = true;
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }

            if (_writer is not null)
            {
                _writerStatements.Dispose();
                Exec(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
                await _writer.DisposeAsync();
                _writer = null;
            }

            SqliteConnection.ClearAllPools();
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
