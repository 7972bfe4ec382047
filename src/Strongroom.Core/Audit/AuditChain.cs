using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Core.Audit;

/// <summary>
/// The hash chain: hash(n) = SHA-256(hash(n-1) || seq(n) as 8 bytes big-endian || UTF-8 record(n)), with
/// hash(0) = 32 zero bytes. Editing, removing, inserting or reordering a record breaks every later link.
/// </summary>
public static class AuditChain
{
    public static readonly byte[] Genesis = new byte[32];

    public static byte[] Link(ReadOnlySpan<byte> previous, long seq, string record)
    {
        ArgumentNullException.ThrowIfNull(record);

        // One pass: the record is encoded straight into a pooled buffer behind the previous hash and the sequence
        // number, and hashed there (no intermediate copies; a call costs one 32-byte array).
        var length = 40 + Encoding.UTF8.GetMaxByteCount(record.Length);
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            previous.CopyTo(rented);
            BinaryPrimitives.WriteInt64BigEndian(rented.AsSpan(32, 8), seq);
            var written = Encoding.UTF8.GetBytes(record, rented.AsSpan(40));
            return SHA256.HashData(rented.AsSpan(0, 40 + written));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Numbers and chains <paramref name="entries"/> after the trail's current head. Every store calls this inside
    /// its write transaction, after its writers are serialised (SQLite's single writer; PostgreSQL's cluster-wide
    /// write lock), with the newest stored row read in that transaction: so however many nodes append, the trail
    /// stays one gap-free chain. The head is <paramref name="last"/>; when no row is stored (all archived, or none
    /// yet) it is where the archive ends (settings audit_archived_to_seq / audit_archived_hash), else genesis.
    /// </summary>
    /// <param name="tx">The write transaction, for the archive settings.</param>
    /// <param name="last">The newest stored row, read in <paramref name="tx"/>; null when none is stored.</param>
    /// <param name="entries">Records in the order they are to be chained.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The rows to insert, in order, each with its sequence number and hash.</returns>
    public static async Task<IReadOnlyList<AuditRow>> LinkAfterHeadAsync(Storage.ISettingsReader tx, AuditRow? last, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(entries);
        long seq;
        byte[] hash;
        if (last is not null)
        {
            (seq, hash) = (last.Seq, last.Hash);
        }
        else if (await tx.GetSettingAsync("audit_archived_to_seq", ct) is { } archivedTo)
        {
            seq = long.Parse(archivedTo, System.Globalization.CultureInfo.InvariantCulture);
            hash = Convert.FromHexString(await tx.GetSettingAsync("audit_archived_hash", ct) ?? throw new InvalidOperationException("audit_archived_hash is missing while audit_archived_to_seq is set"));
        }
        else
        {
            (seq, hash) = (0, Genesis);
        }

        var rows = new AuditRow[entries.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var e = entries[i];
            seq++;
            hash = Link(hash, seq, e.Record);
            rows[i] = new AuditRow(seq, e.EventId, e.EventTime, e.EventName, e.EventSource, e.Username, e.AccessKeyId, e.ReadOnly, e.ResourceName, e.ResourceType, e.Record, hash);
        }

        return rows;
    }
}
