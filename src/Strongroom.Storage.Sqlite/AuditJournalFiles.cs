using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Strongroom.Core.Audit;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The audit journal's two files beside the store (<c>strongroom-audit.journal-0</c> and <c>-1</c>): numbered, chained
/// audit rows appended one group at a time with one write and one fdatasync, written into one file until it holds
/// <see cref="SegmentBytes"/> and every row of the other file is in the audit tables, then into the other from its start
/// (so once both have grown, appends overwrite blocks the file already has and fdatasync writes no metadata).
/// <para>
/// An entry is <c>magic (4) | body length (4) | body | first 8 bytes of SHA-256(body)</c>, little-endian; the body holds
/// the row's sequence number, chain hash, time, read-only flag and its text columns. Reading a file stops at the first
/// entry that is torn, fails its checksum or does not continue the numbering, so stale bytes after the newest entry
/// (from an earlier pass over the file, or a write the process did not finish) are never read as records.
/// </para>
/// Not thread-safe: <see cref="AuditJournal"/> serialises every call.
/// </summary>
internal sealed class AuditJournalFiles : IDisposable
{
    /// <summary>Bytes a file takes before appends move to the other file.</summary>
    public const long SegmentBytes = 16L * 1024 * 1024;

    private const uint Magic = 0x314A5253; // "SRJ1"
    private const int HeaderBytes = 8;
    private const int ChecksumBytes = 8;
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private readonly SafeFileHandle[] _files = new SafeFileHandle[2];
    private readonly long[] _lastSeq = new long[2];
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private int _current;
    private long _position;

    private AuditJournalFiles(string databasePath)
    {
        for (var i = 0; i < 2; i++)
        {
            _files[i] = File.OpenHandle(PathFor(databasePath, i), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
    }

    /// <summary>The journal file <paramref name="index"/> (0 or 1) of the store at <paramref name="databasePath"/>.</summary>
    public static string PathFor(string databasePath, int index)
    {
        var full = Path.GetFullPath(databasePath);
        return Path.Combine(Path.GetDirectoryName(full)!, $"{Path.GetFileNameWithoutExtension(full)}-audit.journal-{index}");
    }

    /// <summary>Opens (creating when missing) both files of the store at <paramref name="databasePath"/>.</summary>
    public static AuditJournalFiles Open(string databasePath)
    {
        ArgumentNullException.ThrowIfNull(databasePath);
        return new AuditJournalFiles(databasePath);
    }

    /// <summary>Every readable entry of both files, ordered by sequence number (a number may appear twice, from a group that failed and was written again).</summary>
    public List<AuditRow> ReadAll()
    {
        var rows = new List<AuditRow>();
        foreach (var file in _files)
        {
            ReadFile(file, rows);
        }

        rows.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return rows;
    }

    /// <summary>From now on, appends start at the beginning of file 0: everything both files hold is in the audit tables.</summary>
    public void Restart()
    {
        _current = 0;
        _position = 0;
        Array.Clear(_lastSeq);
    }

    /// <summary>
    /// Appends <paramref name="rows"/> and makes them durable (one write, one fdatasync). On failure nothing is
    /// counted as written: the next append goes to the same place.
    /// </summary>
    /// <param name="indexedSeq">The newest sequence number the audit tables hold: the other file may be overwritten only when its rows are all there.</param>
    public void Append(IReadOnlyList<AuditRow> rows, long indexedSeq)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        _buffer.ResetWrittenCount();
        try
        {
            foreach (var row in rows)
            {
                Encode(row, _buffer);
            }

            var (file, position) = (_current, _position);
            if (position + _buffer.WrittenCount > SegmentBytes && _lastSeq[1 - file] <= indexedSeq)
            {
                (file, position) = (1 - file, 0);
            }

            RandomAccess.Write(_files[file], _buffer.WrittenSpan, position);
            Sync(_files[file]);
            (_current, _position) = (file, position + _buffer.WrittenCount);
            _lastSeq[file] = rows[^1].Seq;
        }
        finally
        {
            // Records name identities and resources: nothing of them stays in the buffer, and a rare huge group gives its memory back.
            _buffer.Clear();
        }
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file?.Dispose();
        }
    }

    private static void Encode(AuditRow row, ArrayBufferWriter<byte> buffer)
    {
        var strings = new[] { row.EventId, row.EventName, row.EventSource, row.Username, row.AccessKeyId, row.ResourceName, row.ResourceType, row.Record };
        var bodyLength = 8 + 32 + 8 + 1;
        foreach (var s in strings)
        {
            bodyLength += 4 + (s is null ? 0 : Encoding.UTF8.GetByteCount(s));
        }

        var span = buffer.GetSpan(HeaderBytes + bodyLength + ChecksumBytes)[..(HeaderBytes + bodyLength + ChecksumBytes)];
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], bodyLength);
        var body = span.Slice(HeaderBytes, bodyLength);
        BinaryPrimitives.WriteInt64LittleEndian(body, row.Seq);
        row.Hash.AsSpan().CopyTo(body[8..40]);
        BinaryPrimitives.WriteInt64LittleEndian(body[40..], row.EventTime.ToUnixTimeMilliseconds());
        body[48] = row.ReadOnly ? (byte)1 : (byte)0;
        var at = 49;
        foreach (var s in strings)
        {
            if (s is null)
            {
                BinaryPrimitives.WriteInt32LittleEndian(body[at..], -1);
                at += 4;
            }
            else
            {
                var written = Encoding.UTF8.GetBytes(s, body[(at + 4)..]);
                BinaryPrimitives.WriteInt32LittleEndian(body[at..], written);
                at += 4 + written;
            }
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(body, digest);
        digest[..ChecksumBytes].CopyTo(span[(HeaderBytes + bodyLength)..]);
        buffer.Advance(span.Length);
    }

    /// <summary>Adds the entries of <paramref name="file"/> up to the first that is torn, corrupt or out of sequence.</summary>
    private static void ReadFile(SafeFileHandle file, List<AuditRow> rows)
    {
        var length = RandomAccess.GetLength(file);
        var bytes = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(file, bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        var span = bytes.AsSpan(0, read);
        long previous = -1;
        while (TryDecode(span, out var row, out var consumed) && (previous < 0 || row.Seq == previous + 1))
        {
            rows.Add(row);
            previous = row.Seq;
            span = span[consumed..];
        }
    }

    private static bool TryDecode(ReadOnlySpan<byte> span, out AuditRow row, out int consumed)
    {
        row = null!;
        consumed = 0;
        if (span.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic)
        {
            return false;
        }

        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        if (bodyLength < 49 || bodyLength > MaxBodyBytes || span.Length < HeaderBytes + bodyLength + ChecksumBytes)
        {
            return false;
        }

        var body = span.Slice(HeaderBytes, bodyLength);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(body, digest);
        if (!digest[..ChecksumBytes].SequenceEqual(span.Slice(HeaderBytes + bodyLength, ChecksumBytes)))
        {
            return false;
        }

        var strings = new string?[8];
        var at = 49;
        for (var i = 0; i < strings.Length; i++)
        {
            if (at + 4 > body.Length)
            {
                return false;
            }

            var n = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
            at += 4;
            if (n < -1 || n > body.Length - at)
            {
                return false;
            }

            strings[i] = n < 0 ? null : Encoding.UTF8.GetString(body.Slice(at, n));
            at += Math.Max(n, 0);
        }

        if (strings[0] is null || strings[1] is null || strings[2] is null || strings[7] is null)
        {
            return false;
        }

        row = new AuditRow(
            BinaryPrimitives.ReadInt64LittleEndian(body),
            strings[0]!,
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(body[40..])),
            strings[1]!,
            strings[2]!,
            strings[3],
            strings[4],
            body[48] != 0,
            strings[5],
            strings[6],
            strings[7]!,
            body[8..40].ToArray());
        consumed = HeaderBytes + bodyLength + ChecksumBytes;
        return true;
    }

    /// <summary>fdatasync(2) on Linux (the data and the size, not the times); elsewhere the platform's flush to disk.</summary>
    private static void Sync(SafeFileHandle file)
    {
        if (OperatingSystem.IsLinux())
        {
            var added = false;
            file.DangerousAddRef(ref added);
            try
            {
                if (FDataSync((int)file.DangerousGetHandle()) != 0)
                {
                    throw new IOException($"fdatasync of the audit journal failed (errno {Marshal.GetLastPInvokeError()}).");
                }
            }
            finally
            {
                if (added)
                {
                    file.DangerousRelease();
                }
            }
        }
        else
        {
            RandomAccess.FlushToDisk(file);
        }
    }

    // DllImport, not LibraryImport: the generated stub needs AllowUnsafeBlocks, and one int needs no marshalling.
#pragma warning disable SYSLIB1054 // Use LibraryImport: see above
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(int fd);
#pragma warning restore SYSLIB1054
}
