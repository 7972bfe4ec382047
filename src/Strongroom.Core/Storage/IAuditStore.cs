namespace Strongroom.Core.Storage;

/// <summary>The audit trail: its chained rows and signed digests. Each call is its own durable transaction.</summary>
public interface IAuditStore
{
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
}
