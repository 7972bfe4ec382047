using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Audit;

/// <summary>
/// Retention: records older than the window move, one signed digest range at a time, from the store to
/// JSON-lines files ("audit-&lt;from&gt;-&lt;to&gt;.jsonl", format 1) that keep each record with its chain hash.
/// The digests stay in the store, so verification runs across the archive boundary. Thread-safe (serialised).
/// </summary>
public sealed class AuditArchive
{
    private readonly IStore _store;
    private readonly string _directory;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public AuditArchive(IStore store, string directory, TimeSpan retention, TimeProvider time)
    {
        _store = store;
        _directory = directory;
        _retention = retention;
        _time = time;
    }

    public static string FileName(long from, long to) => $"audit-{from.ToString("D12", CultureInfo.InvariantCulture)}-{to.ToString("D12", CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>Archives every digest range whose last record is older than the retention window. Returns how many records moved.</summary>
    public async Task<long> ArchiveDueAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var cutoff = _time.GetUtcNow() - _retention;
            var archivedTo = long.Parse(await _store.GetSettingAsync("audit_archived_to_seq", ct) ?? "0", CultureInfo.InvariantCulture);
            long moved = 0;
            foreach (var digest in await _store.ListAuditDigestsAsync(ct))
            {
                if (digest.ToSeq <= archivedTo)
                {
                    continue;
                }

                var rows = await _store.ReadAuditAsync(digest.FromSeq - 1, (int)(digest.ToSeq - digest.FromSeq + 1), ct);
                if (rows.Count == 0 || rows[^1].Seq != digest.ToSeq || rows[^1].EventTime >= cutoff)
                {
                    break;
                }

                Directory.CreateDirectory(_directory);
                var path = Path.Combine(_directory, FileName(digest.FromSeq, digest.ToSeq));
                var temp = path + ".tmp";
                await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
                await using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
                {
                    foreach (var row in rows)
                    {
                        await writer.WriteLineAsync($"{{\"seq\":{row.Seq},\"hash\":\"{Convert.ToHexStringLower(row.Hash)}\",\"record\":{row.Record}}}");
                    }

                    await writer.FlushAsync(ct);
                    stream.Flush(flushToDisk: true);
                }

                File.Move(temp, path, overwrite: true);
                await _store.RemoveArchivedAuditAsync(digest.FromSeq, digest.ToSeq, rows[^1].Hash, ct);
                archivedTo = digest.ToSeq;
                moved += rows.Count;
            }

            return moved;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads archived rows in sequence order from <paramref name="directory"/>.</summary>
    public static IEnumerable<AuditRow> Read(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "audit-*.jsonl").Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var record = root.GetProperty("record").GetRawText();
                yield return new AuditRow(root.GetProperty("seq").GetInt64(), string.Empty, default, string.Empty, string.Empty, null, null, false, null, null, record, Convert.FromHexString(root.GetProperty("hash").GetString()!));
            }
        }
    }
}
