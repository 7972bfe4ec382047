using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>
/// The storage port. Implementations are thread-safe. Nothing above this interface knows which
/// database runs; one conformance suite is run against every implementation.
/// </summary>
public interface IStore : IStoreReader, IAsyncDisposable
{
    /// <summary>Creates or migrates the schema (forward only).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one write transaction; writers are serialised.</summary>
    Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken);

    Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken);

    /// <summary>Stage maps (version id → stages) of many secrets at once, for listings.</summary>
    Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken);

    /// <summary>Sets LastAccessedDate of a secret and one version to <paramref name="day"/>. Outside any transaction; idempotent.</summary>
    Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken);

    /// <summary>Counts for operators' gauges. May scan; call at scrape time, not per request.</summary>
    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken);

    /// <summary>Writes a consistent snapshot of the whole store to <paramref name="path"/> while writes go on.</summary>
    Task BackupAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Appends audit records in one durable write transaction, numbering and chaining them after the trail's head as
    /// read in that transaction (<see cref="Audit.AuditChain.LinkAfterHeadAsync"/>): every writer sharing the store,
    /// in this process or on other nodes, extends one gap-free chain. All or nothing.
    /// </summary>
    /// <returns>The stored rows, in order.</returns>
    Task<IReadOnlyList<Audit.AuditRow>> AppendAuditAsync(IReadOnlyList<Audit.AuditEntry> entries, CancellationToken cancellationToken);

    /// <summary>The newest audit row, or null when the trail is empty.</summary>
    Task<Audit.AuditRow?> LastAuditAsync(CancellationToken cancellationToken);

    /// <summary>Audit rows with sequence greater than <paramref name="afterSeq"/>, oldest first.</summary>
    Task<IReadOnlyList<Audit.AuditRow>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Audit rows matching a LookupEvents query, newest first.</summary>
    Task<IReadOnlyList<Audit.AuditRow>> QueryAuditAsync(Audit.AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes audit rows FromSeq..ToSeq (after they were archived) and records where the archive ends.</summary>
    Task RemoveArchivedAuditAsync(long fromSeq, long toSeq, byte[] lastHash, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="digest"/> if it follows the newest stored digest (its FromSeq is one past that digest's
    /// ToSeq, or 1 when there is none), checked inside the write transaction; otherwise stores nothing and returns
    /// false (another writer, such as another node, signed a digest meanwhile). Keeps the digests one chain.
    /// </summary>
    Task<bool> InsertAuditDigestAsync(Audit.AuditDigest digest, CancellationToken cancellationToken);

    /// <summary>All digests, oldest first.</summary>
    Task<IReadOnlyList<Audit.AuditDigest>> ListAuditDigestsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Secrets (not replicas, not deleted) with rotation on whose NextRotationDate (the end of the next
    /// rotation window) is at or before <paramref name="windowEndsBy"/>, earliest first.
    /// </summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsDueForRotationAsync(DateTimeOffset windowEndsBy, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records a new rotation run and sets its <see cref="Rotation.RotationRun.RunId"/> — unless a run of the same
    /// secret is still Running (on this node or another), checked in the write transaction: then records nothing and
    /// returns false. So one secret never has two runs at once, whichever nodes start them.
    /// </summary>
    Task<bool> InsertRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);

    Task UpdateRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);

    /// <summary>Runs newest first (of one secret when <paramref name="secretArn"/> is given), with RunId below <paramref name="beforeRunId"/>.</summary>
    Task<IReadOnlyList<Rotation.RotationRun>> ListRotationRunsAsync(string? secretArn, long? beforeRunId, int limit, CancellationToken cancellationToken);

    /// <summary>Runs still marked Running (after a crash: interrupted ones), oldest first.</summary>
    Task<IReadOnlyList<Rotation.RotationRun>> FindRunningRotationRunsAsync(CancellationToken cancellationToken);

    /// <summary>Failed runs whose retry time is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<Rotation.RotationRun>> FindRotationRetriesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Secrets whose scheduled deletion date is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Pending outbox entries whose next attempt is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<Events.OutboxEntry>> FindOutboxDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Writes an entry's delivery state (attempts, next attempt, state, error, delivery date, deadline).</summary>
    Task UpdateOutboxEntryAsync(Events.OutboxEntry entry, CancellationToken cancellationToken);

    /// <summary>Outbox entries (in one <paramref name="state"/>, or every state when null), newest first.</summary>
    Task<IReadOnlyList<Events.OutboxEntry>> ListOutboxAsync(string? state, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Makes every entry of <paramref name="eventId"/> pending again, due at <paramref name="now"/> with no attempts and
    /// a new <paramref name="deadline"/>. Returns how many entries it changed (0: no such event).
    /// </summary>
    Task<int> RedeliverOutboxAsync(string eventId, DateTimeOffset now, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Deletes delivered entries delivered before <paramref name="before"/>.</summary>
    Task PruneOutboxAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Pending and dead-lettered entries, counted.</summary>
    Task<Events.OutboxCounts> CountOutboxAsync(CancellationToken cancellationToken);
}
