using System.Globalization;
using Microsoft.Data.Sqlite;
using Strongroom.Core.Audit;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The SQLite trail's journal (ADR 0039): what is acknowledged is in the journal, the tables are filled behind, and a
/// store opened after a crash stores what the journal holds past the tables — only rows that continue the chain, and
/// never the stale or torn bytes a file may hold after its newest entry.
/// </summary>
public sealed class SqliteAuditJournalTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-journal-").FullName;

    private string DatabasePath => Path.Combine(_dir, "strongroom.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AuditEntry Entry(long n, string record = "") =>
        new("e" + n.ToString(CultureInfo.InvariantCulture), T0.AddMilliseconds(n), "GetSecretValue", "secretsmanager.amazonaws.com", n % 2 == 0 ? "alice" : null, "AKIA" + n, n % 3 == 0, "arn:s" + n, n % 2 == 0 ? "AWS::SecretsManager::Secret" : null, "{\"n\":" + n + record + "}");

    private static AuditRow[] Chain(long afterSeq, byte[] afterHash, long from, int count, string record = "") =>
        AuditChain.Link(afterSeq, afterHash, [.. Enumerable.Range(0, count).Select(i => Entry(from + i, record))]);

    private long CountRows()
    {
        using var audit = new SqliteConnection($"Data Source={SqliteStore.AuditFilePath(DatabasePath)};Pooling=False");
        audit.Open();
        using var cmd = audit.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM audit_events";
        return (long)cmd.ExecuteScalar()!;
    }

    private async Task<SqliteStore> OpenStoreAsync()
    {
        var store = new SqliteStore(DatabasePath);
        await store.InitializeAsync(Ct);
        return store;
    }

    [Fact]
    public async Task Acknowledged_IsInTheJournalAtOnce_AndInTheTablesWhenTheTrailIsRead()
    {
        await using var store = await OpenStoreAsync();
        var rows = await store.AppendAuditAsync([Entry(1), Entry(2), Entry(3)], Ct);
        Assert.Equal([1L, 2, 3], rows.Select(r => r.Seq));

        // Read from disk while the store has the files open, as a crash would leave them.
        var journal = ReadJournal();
        Assert.Equal([1L, 2, 3], journal.Select(r => r.Seq));
        Assert.Equal(rows.Select(r => Convert.ToHexString(r.Hash)), journal.Select(r => Convert.ToHexString(r.Hash)));
        Assert.Equal(rows[1] with { Hash = [] }, journal[1] with { Hash = [] });

        var last = await store.LastAuditAsync(Ct);
        Assert.Equal(3, last!.Seq);
        Assert.Equal(3, CountRows());
    }

    [Fact]
    public async Task AStoreOpenedAfterACrash_StoresWhatTheJournalHoldsPastTheTables_AndContinuesTheChain()
    {
        byte[] head;
        await using (var store = await OpenStoreAsync())
        {
            head = (await store.AppendAuditAsync([Entry(1), Entry(2)], Ct))[^1].Hash;
        }

        // As if the process died after acknowledging 3..7 but before its tables got them.
        var tail = Chain(2, head, 3, 5);
        using (var files = AuditJournalFiles.Open(DatabasePath))
        {
            files.Append(tail, indexedSeq: 2);
        }

        await using (var reopened = await OpenStoreAsync())
        {
            Assert.Equal(7, CountRows());
            var read = await reopened.ReadAuditAsync(0, 100, Ct);
            Assert.Equal(Enumerable.Range(1, 7).Select(n => (long)n), read.Select(r => r.Seq));
            Assert.Equal(tail[^1].Hash, read[^1].Hash);
            var next = await reopened.AppendAuditAsync([Entry(8)], Ct);
            Assert.True(AuditChain.Follows(7, tail[^1].Hash, next[0]));
            var (seq, hash) = (0L, AuditChain.Genesis);
            foreach (var row in await reopened.ReadAuditAsync(0, 100, Ct))
            {
                Assert.True(AuditChain.Follows(seq, hash, row), $"record {row.Seq} does not follow {seq}");
                (seq, hash) = (row.Seq, row.Hash);
            }

            Assert.Equal(8, seq);
        }
    }

    [Fact]
    public async Task RowsThatDoNotContinueTheChain_AreNotStored_NorAnythingAfterThem()
    {
        byte[] head;
        await using (var store = await OpenStoreAsync())
        {
            head = (await store.AppendAuditAsync([Entry(1)], Ct))[^1].Hash;
        }

        var good = Chain(1, head, 2, 2);
        var forged = Chain(3, new byte[32], 4, 2); // numbered right, linked to another chain
        using (var files = AuditJournalFiles.Open(DatabasePath))
        {
            files.Append([.. good, .. forged], indexedSeq: 1);
        }

        await using var reopened = await OpenStoreAsync();
        Assert.Equal(3, CountRows());
        Assert.Equal(3, (await reopened.LastAuditAsync(Ct))!.Seq);
        Assert.Equal(4, (await reopened.AppendAuditAsync([Entry(4)], Ct))[0].Seq);
    }

    [Fact]
    public void AFile_IsReadUpToItsFirstTornOrCorruptEntry()
    {
        var rows = Chain(0, AuditChain.Genesis, 1, 6);
        using (var files = AuditJournalFiles.Open(DatabasePath))
        {
            files.Append(rows[..3], indexedSeq: 0);
            files.Append(rows[3..], indexedSeq: 0);
        }

        var path = AuditJournalFiles.PathFor(DatabasePath, 0);
        var bytes = File.ReadAllBytes(path);
        var entry = bytes.Length / 6;

        // Torn: the last entry half written.
        File.WriteAllBytes(path, bytes[..(bytes.Length - (entry / 2))]);
        Assert.Equal([1L, 2, 3, 4, 5], ReadJournal().Select(r => r.Seq));

        // Corrupt: one byte of the fourth entry's record changed.
        var corrupt = (byte[])bytes.Clone();
        corrupt[(3 * entry) + (entry / 2)] ^= 0x20;
        File.WriteAllBytes(path, corrupt);
        Assert.Equal([1L, 2, 3], ReadJournal().Select(r => r.Seq));
    }

    [Fact]
    public void AfterARestart_TheStaleEntriesBehindTheNewestAreNotRead()
    {
        var old = Chain(0, AuditChain.Genesis, 1, 10);
        using (var files = AuditJournalFiles.Open(DatabasePath))
        {
            files.Append(old, indexedSeq: 0);
            files.Restart();

            // Same-sized entries: the fourth entry on disk is old record 4, well formed, but out of sequence.
            files.Append(Chain(10, old[^1].Hash, 11, 3), indexedSeq: 10);
        }

        Assert.Equal([11L, 12, 13], ReadJournal().Select(r => r.Seq));
    }

    [Fact]
    public void AFullFile_HandsOverToTheOther_OnlyWhenTheOthersRowsAreAllIndexed()
    {
        // Groups of about half a file each.
        var record = "," + new string('x', 64 * 1024);
        var group = (int)(AuditJournalFiles.SegmentBytes / (64 * 1024) / 2);
        var rows = Chain(0, AuditChain.Genesis, 1, 4 * group, record);
        using (var files = AuditJournalFiles.Open(DatabasePath))
        {
            files.Append(rows[..group], indexedSeq: 0);                   // file 0, first half
            files.Append(rows[group..(2 * group)], indexedSeq: 0);         // does not fit: file 1 (empty) takes over
            files.Append(rows[(2 * group)..(3 * group)], indexedSeq: group); // file 1 full, file 0 all indexed: file 0 again, from its start
            files.Append(rows[(3 * group)..], indexedSeq: (2 * group) - 1);  // file 1 not all indexed: file 0 grows instead
        }

        Assert.True(new FileInfo(AuditJournalFiles.PathFor(DatabasePath, 0)).Length > AuditJournalFiles.SegmentBytes);
        Assert.True(new FileInfo(AuditJournalFiles.PathFor(DatabasePath, 1)).Length < AuditJournalFiles.SegmentBytes);

        // The first group was overwritten (it was indexed); every later row is read, in order.
        Assert.Equal(rows[group..].Select(r => r.Seq), ReadJournal().Select(r => r.Seq));
    }

    private List<AuditRow> ReadJournal()
    {
        using var files = AuditJournalFiles.Open(DatabasePath);
        return files.ReadAll();
    }
}
