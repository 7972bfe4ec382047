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
        ArgumentNullException.ThrowIfNull(entries);
        var (seq, hash) = await HeadAsync(tx, last, ct);
        return Link(seq, hash, entries);
    }

    /// <summary>
    /// The trail's head: the sequence number and hash of <paramref name="last"/>, the newest stored row; when no row is
    /// stored (all archived, or none yet), where the archive ends (settings audit_archived_to_seq / audit_archived_hash),
    /// else (0, genesis).
    /// </summary>
    public static async Task<(long Seq, byte[] Hash)> HeadAsync(Storage.ISettingsReader settings, AuditRow? last, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (last is not null)
        {
            return (last.Seq, last.Hash);
        }

        if (await settings.GetSettingAsync("audit_archived_to_seq", ct) is { } archivedTo)
        {
            return (long.Parse(archivedTo, System.Globalization.CultureInfo.InvariantCulture),
                Convert.FromHexString(await settings.GetSettingAsync("audit_archived_hash", ct) ?? throw new InvalidOperationException("audit_archived_hash is missing while audit_archived_to_seq is set")));
        }

        return (0, Genesis);
    }

    /// <summary>Numbers and chains <paramref name="entries"/> after the head (<paramref name="seq"/>, <paramref name="hash"/>).</summary>
    /// <returns>The rows, in order, each with its sequence number and hash.</returns>
    public static AuditRow[] Link(long seq, byte[] hash, IReadOnlyList<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
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

    /// <summary>True when <paramref name="row"/> follows the head (<paramref name="seq"/>, <paramref name="hash"/>): the next number, its hash linked to the head's.</summary>
    public static bool Follows(long seq, ReadOnlySpan<byte> hash, AuditRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Seq == seq + 1 && Link(hash, row.Seq, row.Record).AsSpan().SequenceEqual(row.Hash);
    }
}
