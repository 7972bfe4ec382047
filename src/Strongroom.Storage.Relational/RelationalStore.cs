using System.Globalization;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Relational;

/// <summary>
/// The storage port over a relational database, written once for SQLite and PostgreSQL: every read runs on a connection
/// the concrete store lends (<see cref="OpenReaderAsync"/>), every write in a transaction it serialises
/// (<see cref="WriteTransactionAsync{T}"/>), and the store-level operations that combine statements (audit appends with
/// their index pass, digests, rotation runs) are composed here. The concrete store keeps what is its own: connections
/// and pooling, how writers are serialised, schema creation, backups. Thread-safe when the concrete store is.
/// </summary>
public abstract class RelationalStore : IStore
{
    /// <summary>Where this process's last audit resource-index pass left the index (the setting is read only when a pass may be due).</summary>
    private long _auditResourcesIndexedTo;

    /// <summary>The hot path's rows in memory, for a store this process alone writes (null otherwise).</summary>
    private readonly SecretReadCache? _cache;

    /// <param name="soleWriter">
    /// True when no other process writes the database (SQLite: one server per data directory): secrets and versions
    /// are then served from memory until the next write (<see cref="SecretReadCache"/>).
    /// </param>
    protected RelationalStore(bool soleWriter = false) => _cache = soleWriter ? new SecretReadCache() : null;

    public abstract Task InitializeAsync(CancellationToken cancellationToken);

    public abstract Task BackupAsync(string path, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>A connection for one read (outside any transaction), given back with <see cref="CloseReaderAsync"/>.</summary>
    protected abstract ValueTask<RelationalAccess> OpenReaderAsync(CancellationToken cancellationToken);

    /// <summary>Gives back a connection from <see cref="OpenReaderAsync"/> (to the pool, or closes it).</summary>
    protected abstract ValueTask CloseReaderAsync(RelationalAccess reader);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction, serialised with every other writer of the database: all of
    /// it commits, or none of it when it throws. The caller returns only after the commit.
    /// </summary>
    protected abstract Task<T> WriteTransactionAsync<T>(Func<RelationalAccess, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// True when <paramref name="e"/> means the reader's connection itself broke (not the statement), so that the same
    /// read, which has no effect, may be run once more on a fresh connection; the store drops its pooled connections
    /// first (<see cref="DropPooledConnections"/>). False by default.
    /// </summary>
    protected virtual bool IsBrokenConnection(Exception e) => false;

    protected virtual void DropPooledConnections()
    {
    }

    /// <summary>The exception to throw instead of <paramref name="e"/> when the database cannot answer now, or null to let it pass.</summary>
    protected virtual Exception? Unavailable(Exception e) => null;

    /// <summary>Runs <paramref name="read"/> on a lent connection; once more on a fresh one after a broken connection.</summary>
    protected async ValueTask<T> ReadAsync<TState, T>(Func<RelationalAccess, TState, CancellationToken, ValueTask<T>> read, TState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var reader = await OpenReaderAsync(cancellationToken);
                try
                {
                    return await read(reader, state, cancellationToken);
                }
                finally
                {
                    await CloseReaderAsync(reader);
                }
            }
            catch (Exception e) when (attempt == 1 && !cancellationToken.IsCancellationRequested && IsBrokenConnection(e))
            {
                // After a database restart every idle pooled connection is dead, and the first use of each would fail.
                DropPooledConnections();
            }
            catch (Exception e) when (Unavailable(e) is { } unavailable)
            {
                throw unavailable;
            }
        }
    }

    public Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return ChangingAsync(work, cancellationToken);
    }

    /// <summary>
    /// A write that may change secrets or versions: every write but the audit trail's own (appends, digests), which
    /// touch no row the read cache holds and run with every call.
    /// </summary>
    private Task<T> ChangingAsync<T>(Func<RelationalAccess, Task<T>> work, CancellationToken cancellationToken) =>
        _cache is null ? WriteTransactionAsync(work, cancellationToken) : _cache.AroundWriteAsync(() => WriteTransactionAsync(work, cancellationToken));

    private Task WriteStatementsAsync(Func<RelationalAccess, CancellationToken, ValueTask> work, CancellationToken cancellationToken) =>
        ChangingAsync(
            async a =>
            {
                await work(a, cancellationToken);
                return true;
            },
            cancellationToken);

    // ------------------------------------------------------------ reads (IStoreReader, IStore)

    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(static (a, key, ct) => SettingsSql.GetAsync(a, key, ct), key, cancellationToken).AsTask();

    public Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken)
    {
        Task<SecretRecord?> Read() => ReadAsync(static (a, s, ct) => SecretsSql.FindByNameAsync(a, s.region, s.name, ct), (region, name), cancellationToken).AsTask();
        return _cache is null ? Read() : _cache.SecretAsync('n', region + ":" + name, Read);
    }

    public Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken)
    {
        Task<SecretRecord?> Read() => ReadAsync(static (a, arn, ct) => SecretsSql.FindByArnAsync(a, arn, ct), arn, cancellationToken).AsTask();
        return _cache is null ? Read() : _cache.SecretAsync('a', arn, Read);
    }

    public Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken) =>
        ReadAsync(static (a, partialArn, ct) => SecretsSql.FindByPartialArnAsync(a, partialArn, ct), partialArn, cancellationToken).AsTask();

    public Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken)
    {
        Task<SecretVersionRecord?> Read() => ReadAsync(static (a, s, ct) => VersionsSql.FindByIdAsync(a, s.secretId, s.versionId, ct), (secretId, versionId), cancellationToken).AsTask();
        return _cache is null ? Read() : _cache.VersionAsync('v', versionId, secretId, Read);
    }

    public Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken)
    {
        Task<SecretVersionRecord?> Read() => ReadAsync(static (a, s, ct) => VersionsSql.FindByStageAsync(a, s.secretId, s.stage, ct), (secretId, stage), cancellationToken).AsTask();
        return _cache is null ? Read() : _cache.VersionAsync('s', stage, secretId, Read);
    }

    public Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken) =>
        ReadAsync(static (a, secretId, ct) => VersionsSql.ListAsync(a, secretId, ct), secretId, cancellationToken).AsTask();

    public Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken) =>
        ReadAsync(static (a, scan, ct) => SecretsSql.ScanAsync(a, scan, ct), scan, cancellationToken).AsTask();

    public Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken) =>
        ReadAsync(static (a, ids, ct) => VersionsSql.StageMapsAsync(a, ids, ct), secretIds, cancellationToken).AsTask();

    public Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => SecretsSql.DueForDeletionAsync(a, s.now, s.limit, ct), (now, limit), cancellationToken).AsTask();

    public Task<IReadOnlyList<SecretRecord>> FindSecretsDueForRotationAsync(DateTimeOffset windowEndsBy, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => SecretsSql.DueForRotationAsync(a, s.windowEndsBy, s.limit, ct), (windowEndsBy, limit), cancellationToken).AsTask();

    public Task<KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) =>
        ReadAsync(static (a, keyId, ct) => KmsSql.FindKeyAsync(a, keyId, ct), keyId, cancellationToken).AsTask();

    public Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => KmsSql.FindAliasAsync(a, s.region, s.aliasName, ct), (region, aliasName), cancellationToken).AsTask();

    public Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => KmsSql.GetMaterialAsync(a, s.keyId, s.version, ct), (keyId, version), cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => KmsSql.ListKeysAsync(a, s.region, s.afterKeyId, s.limit, ct), (region, afterKeyId, limit), cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => KmsSql.ListAliasesAsync(a, s.region, s.keyId, s.afterAlias, s.limit, ct), (region, keyId, afterAlias, limit), cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken) =>
        ReadAsync(static (a, keyId, ct) => KmsSql.ListVersionsAsync(a, keyId, ct), keyId, cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => KmsSql.DueAsync(a, s.now, s.limit, ct), (now, limit), cancellationToken).AsTask();

    public Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) =>
        ReadAsync(static (a, id, ct) => IdentitySql.FindAccessKeyAsync(a, id, ct), accessKeyId, cancellationToken).AsTask();

    public Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken) =>
        ReadAsync(static (a, userName, ct) => IdentitySql.ListAccessKeysAsync(a, userName, ct), userName, cancellationToken).AsTask();

    public Task<IamEntityRow?> FindIamEntityAsync(IamEntityKind kind, string name, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => IdentitySql.FindEntityAsync(a, s.kind, s.name, ct), (kind, name), cancellationToken).AsTask();

    public Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(IamEntityKind? kind, CancellationToken cancellationToken) =>
        ReadAsync(static (a, kind, ct) => IdentitySql.ListEntitiesAsync(a, kind, ct), kind, cancellationToken).AsTask();

    public Task<ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => ParametersSql.FindAsync(a, s.region, s.key, ct), (region, key), cancellationToken).AsTask();

    public Task<IReadOnlyList<ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => ParametersSql.ScanAsync(a, s.region, s.keyPrefix, s.afterKey, s.limit, ct), (region, keyPrefix, afterKey, limit), cancellationToken).AsTask();

    public Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken) =>
        ReadAsync(static (a, _, ct) => ParametersSql.ListRegionsAsync(a, ct), 0, cancellationToken).AsTask();

    public Task<IReadOnlyList<ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => ParametersSql.ListVersionsAsync(a, s.region, s.key, ct), (region, key), cancellationToken).AsTask();

    public Task<IReadOnlyList<RotationRun>> ListRotationRunsAsync(string? secretArn, long? beforeRunId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => RotationRunsSql.ListAsync(a, s.secretArn, s.beforeRunId, s.limit, ct), (secretArn, beforeRunId, limit), cancellationToken).AsTask();

    public Task<IReadOnlyList<RotationRun>> FindRunningRotationRunsAsync(CancellationToken cancellationToken) =>
        ReadAsync(static (a, _, ct) => RotationRunsSql.RunningAsync(a, ct), 0, cancellationToken).AsTask();

    public Task<IReadOnlyList<RotationRun>> FindRotationRetriesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => RotationRunsSql.RetriesDueAsync(a, s.now, s.limit, ct), (now, limit), cancellationToken).AsTask();

    /// <summary>
    /// Completes once every audit record this store has acknowledged can be read from the audit tables (a store that
    /// makes records durable elsewhere first and fills the tables behind, as SQLite's journal does, waits for it here).
    /// Every read of the trail passes here first.
    /// </summary>
    protected virtual ValueTask AuditReadBarrierAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async Task<AuditRow?> LastAuditAsync(CancellationToken cancellationToken)
    {
        await AuditReadBarrierAsync(cancellationToken);
        return await ReadAsync(static (a, _, ct) => AuditSql.LastAsync(a, ct), 0, cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRow>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        await AuditReadBarrierAsync(cancellationToken);
        return await ReadAsync(static (a, s, ct) => AuditSql.ReadAsync(a, s.afterSeq, s.limit, ct), (afterSeq, limit), cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRow>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await AuditReadBarrierAsync(cancellationToken);
        return await ReadAsync(static (a, query, ct) => AuditSql.QueryAsync(a, query, ct), query, cancellationToken);
    }

    public async Task<IReadOnlyList<AuditDigest>> ListAuditDigestsAsync(CancellationToken cancellationToken)
    {
        await AuditReadBarrierAsync(cancellationToken);
        return await ReadAsync(static (a, _, ct) => AuditSql.ListDigestsAsync(a, ct), 0, cancellationToken);
    }

    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        await AuditReadBarrierAsync(cancellationToken);
        return await ReadAsync(static (a, _, ct) => AuditSql.StatisticsAsync(a, ct), 0, cancellationToken);
    }

    /// <summary>The head of the stored trail (<see cref="AuditChain.HeadAsync"/>): its newest row's number and hash, or where the archive ends.</summary>
    protected Task<(long Seq, byte[] Hash)> ReadAuditHeadAsync(CancellationToken cancellationToken) =>
        ReadAsync(static async (a, _, ct) => await AuditChain.HeadAsync(a, await AuditSql.LastAsync(a, ct), ct), 0, cancellationToken).AsTask();

    // ------------------------------------------------------------ writes composed of statements

    /// <summary>
    /// True when <see cref="RecordAccessAsync"/> runs on a reader connection, statement by statement, outside the
    /// writers' serialisation (its statements only move dates forward); false to run it as a write transaction.
    /// </summary>
    protected virtual bool RecordsAccessOutsideWrites => false;

    public Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken) =>
        RecordsAccessOutsideWrites
            ? ReadAsync(
                static async (a, s, ct) =>
                {
                    await SecretsSql.RecordAccessAsync(a, s.secretId, s.versionId, s.day, ct);
                    return true;
                },
                (secretId, versionId, day),
                cancellationToken).AsTask()
            : WriteStatementsAsync((a, ct) => SecretsSql.RecordAccessAsync(a, secretId, versionId, day, ct), cancellationToken);

    public Task<bool> InsertRotationRunAsync(RotationRun run, CancellationToken cancellationToken) =>
        ChangingAsync(a => RotationRunsSql.InsertAsync(a, run, cancellationToken).AsTask(), cancellationToken);

    public Task UpdateRotationRunAsync(RotationRun run, CancellationToken cancellationToken) =>
        WriteStatementsAsync((a, ct) => RotationRunsSql.UpdateAsync(a, run, ct), cancellationToken);

    public Task<IReadOnlyList<Core.Events.OutboxEntry>> FindOutboxDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => OutboxSql.DueAsync(a, s.now, s.limit, ct), (now, limit), cancellationToken).AsTask();

    public Task<IReadOnlyList<Core.Events.OutboxEntry>> ListOutboxAsync(string? state, int limit, CancellationToken cancellationToken) =>
        ReadAsync(static (a, s, ct) => OutboxSql.ListAsync(a, s.state, s.limit, ct), (state, limit), cancellationToken).AsTask();

    public Task<Core.Events.OutboxCounts> CountOutboxAsync(CancellationToken cancellationToken) =>
        ReadAsync(static (a, _, ct) => OutboxSql.CountAsync(a, ct), 0, cancellationToken).AsTask();

    public Task UpdateOutboxEntryAsync(Core.Events.OutboxEntry entry, CancellationToken cancellationToken) =>
        WriteStatementsAsync((a, ct) => OutboxSql.UpdateAsync(a, entry, ct), cancellationToken);

    public Task<int> RedeliverOutboxAsync(string eventId, DateTimeOffset now, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        WriteTransactionAsync(a => OutboxSql.RedeliverAsync(a, eventId, now, deadline, cancellationToken).AsTask(), cancellationToken);

    public Task PruneOutboxAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        WriteStatementsAsync((a, ct) => OutboxSql.PruneAsync(a, before, ct), cancellationToken);

    public virtual Task<IReadOnlyList<AuditRow>> AppendAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) =>
        WriteTransactionAsync(
            async a =>
            {
                // Under the store's writer serialisation: the head read here is the newest of every writer's commits.
                var rows = await AuditChain.LinkAfterHeadAsync(a, await AuditSql.LastAsync(a, cancellationToken), entries, cancellationToken);
                await InsertAuditRowsAsync(a, rows, cancellationToken);
                return rows;
            },
            cancellationToken);

    /// <summary>
    /// Stores rows numbered and chained before (by a store that made them durable first, such as SQLite's journal) in
    /// one write transaction: rows the trail already holds are skipped, so storing the same rows twice stores them once;
    /// the first new row must follow the stored head (<see cref="AuditChain.Follows"/>), else nothing is stored.
    /// </summary>
    /// <returns>How many rows were new.</returns>
    protected Task<int> InsertChainedAuditAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return WriteTransactionAsync(
            async a =>
            {
                var (seq, hash) = await AuditChain.HeadAsync(a, await AuditSql.LastAsync(a, cancellationToken), cancellationToken);
                var skip = 0;
                while (skip < rows.Count && rows[skip].Seq <= seq)
                {
                    skip++;
                }

                if (skip == rows.Count)
                {
                    return 0;
                }

                if (!AuditChain.Follows(seq, hash, rows[skip]))
                {
                    throw new InvalidOperationException($"The audit records to store do not continue the trail after record {seq}.");
                }

                var fresh = skip == 0 ? rows : rows.Skip(skip).ToList();
                await InsertAuditRowsAsync(a, fresh, cancellationToken);
                return fresh.Count;
            },
            cancellationToken);
    }

    private async Task InsertAuditRowsAsync(RelationalAccess a, IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken)
    {
        await AuditSql.AppendAsync(a, rows, cancellationToken);

        // The resource-name index is filled behind the trail (AuditResourceIndex); the setting is read only when
        // this process's last pass is a whole interval behind.
        if (rows.Count > 0 && rows[^1].Seq - Interlocked.Read(ref _auditResourcesIndexedTo) >= AuditResourceIndex.IndexEvery)
        {
            Interlocked.Exchange(ref _auditResourcesIndexedTo, await AuditSql.IndexResourcesAsync(a, rows[^1].Seq, cancellationToken));
        }
    }

    public async Task RemoveArchivedAuditAsync(long fromSeq, long toSeq, byte[] lastHash, CancellationToken cancellationToken)
    {
        await AuditReadBarrierAsync(cancellationToken);
        await WriteStatementsAsync(
            async (a, ct) =>
            {
                await AuditSql.DeleteRangeAsync(a, fromSeq, toSeq, ct);
                await SettingsSql.SetAsync(a, "audit_archived_to_seq", toSeq.ToString(CultureInfo.InvariantCulture), ct);
                await SettingsSql.SetAsync(a, "audit_archived_hash", Convert.ToHexStringLower(lastHash), ct);
            },
            cancellationToken);
    }

    public Task<bool> InsertAuditDigestAsync(AuditDigest digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return WriteTransactionAsync(
            async a =>
            {
                // Under the writer serialisation: only the digest that follows the newest one is kept.
                if (await AuditSql.LastDigestToSeqAsync(a, cancellationToken) != digest.FromSeq - 1)
                {
                    return false;
                }

                await AuditSql.InsertDigestAsync(a, digest, cancellationToken);
                return true;
            },
            cancellationToken);
    }
}
