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

    /// <summary>Appends audit rows (already numbered and chained) in one durable transaction.</summary>
    Task AppendAuditAsync(IReadOnlyList<Audit.AuditRow> rows, CancellationToken cancellationToken);

    /// <summary>The newest audit row, or null when the trail is empty.</summary>
    Task<Audit.AuditRow?> LastAuditAsync(CancellationToken cancellationToken);

    /// <summary>Audit rows with sequence greater than <paramref name="afterSeq"/>, oldest first.</summary>
    Task<IReadOnlyList<Audit.AuditRow>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Audit rows matching a LookupEvents query, newest first.</summary>
    Task<IReadOnlyList<Audit.AuditRow>> QueryAuditAsync(Audit.AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes audit rows FromSeq..ToSeq (after they were archived) and records where the archive ends.</summary>
    Task RemoveArchivedAuditAsync(long fromSeq, long toSeq, byte[] lastHash, CancellationToken cancellationToken);

    Task InsertAuditDigestAsync(Audit.AuditDigest digest, CancellationToken cancellationToken);

    /// <summary>All digests, oldest first.</summary>
    Task<IReadOnlyList<Audit.AuditDigest>> ListAuditDigestsAsync(CancellationToken cancellationToken);

    /// <summary>Secrets whose scheduled deletion date is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
