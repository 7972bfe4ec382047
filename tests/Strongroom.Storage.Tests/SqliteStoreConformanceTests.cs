using Microsoft.Data.Sqlite;
using Strongroom.Core.Audit;
using Strongroom.Core.Storage;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>The conformance suite against the embedded store: one temp file per test.</summary>
public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-storage-sqlite-").FullName;

    private string DatabasePath => Path.Combine(_dir, "strongroom.db");

    protected override async Task<IStore> CreateStoreAsync()
    {
        var store = new SqliteStore(DatabasePath);
        await store.InitializeAsync(Ct);
        return store;
    }

    protected override IStore OpenSameDatabase() => new SqliteStore(DatabasePath);

    private string AuditPath => SqliteStore.AuditFilePath(DatabasePath);

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static AuditEntry Entry(int n) =>
        new("e" + n, T0.AddSeconds(n), "E", "s", null, null, true, n % 3 == 0 ? "a" : "b", null, "{\"n\":" + n + "}");

    [Fact]
    public async Task AuditTrail_IsInItsOwnFile_SoAppendsLeaveTheSecretsFileUnchanged()
    {
        await InsertSecret(NewSecret("cached"));
        using var watcher = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        watcher.Open();
        Assert.Equal(0, Scalar(watcher, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'audit%'"));

        // data_version changes when another connection commits to the file: what makes SQLite drop a reader's cache.
        var before = Scalar(watcher, "PRAGMA data_version");
        for (var i = 1; i <= 20; i++)
        {
            await Store.AppendAuditAsync([Entry(i)], Ct);
        }

        // A read of the trail waits until its tables hold every acknowledged record (SQLite fills them behind its journal).
        await Store.LastAuditAsync(Ct);
        Assert.Equal(before, Scalar(watcher, "PRAGMA data_version"));
        await Write(tx => tx.SetSettingAsync("k", "v", Ct));
        Assert.NotEqual(before, Scalar(watcher, "PRAGMA data_version"));

        using var audit = new SqliteConnection($"Data Source={AuditPath};Pooling=False");
        audit.Open();
        Assert.Equal(20, Scalar(audit, "SELECT COUNT(*) FROM audit_events"));
        Assert.Equal("wal", (string?)new SqliteCommand("PRAGMA journal_mode", audit).ExecuteScalar());
    }

    [Fact]
    public async Task AuditTrail_WrittenInTheMainFile_IsMovedToItsOwnFile_WholeAndVerifiable()
    {
        // A trail as stores before the split kept it (or a restored backup, or a move that stopped before dropping the
        // main file's copy): in the main file, while the audit file holds an older, shorter copy.
        await Store.AppendAuditAsync([.. Enumerable.Range(1, 30).Select(Entry)], Ct);
        await Store.RemoveArchivedAuditAsync(1, 3, (await Store.ReadAuditAsync(2, 1, Ct))[0].Hash, Ct);
        await Store.AppendAuditAsync([.. Enumerable.Range(31, 5).Select(Entry)], Ct);
        await Store.DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            Exec(connection, $"ATTACH DATABASE '{AuditPath}' AS a");
            Exec(connection, AuditFile.Ddl("main"));
            Exec(connection, "INSERT INTO main.audit_events SELECT * FROM a.audit_events; INSERT INTO main.audit_digests SELECT * FROM a.audit_digests; " +
                "INSERT INTO main.audit_resources SELECT * FROM a.audit_resources; INSERT INTO main.settings SELECT * FROM a.settings; " +
                "DELETE FROM a.audit_events WHERE seq > 10; DELETE FROM a.settings;");
        }

        await using var reopened = OpenSameDatabase();
        await reopened.InitializeAsync(Ct);
        Assert.Equal(35, (await reopened.LastAuditAsync(Ct))!.Seq);
        Assert.Equal("3", await reopened.GetSettingAsync("audit_archived_to_seq", Ct));
        var verification = await AuditVerifier.VerifyAsync(reopened, string.Empty, Ct);
        Assert.True(verification.Ok, verification.Message);
        Assert.Equal(32, verification.Records);
        var byResource = await reopened.QueryAuditAsync(new AuditQuery("ResourceName", "a", null, null, null, 50), Ct);
        Assert.Equal(Enumerable.Range(4, 32).Where(n => n % 3 == 0).Select(n => (long)n).Reverse(), byResource.Select(r => r.Seq));

        using var main = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        main.Open();
        Assert.Equal(0, Scalar(main, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'audit%'"));
        Assert.Equal(0, Scalar(main, "SELECT COUNT(*) FROM settings WHERE key LIKE 'audit%'"));
    }

    [Fact]
    public async Task Backup_IsOneFileWithTheTrail_AndAStoreOpenedOnItServesTheTrail()
    {
        await InsertSecret(NewSecret("in-backup"));
        await Store.AppendAuditAsync([.. Enumerable.Range(1, 12).Select(Entry)], Ct);
        var copy = Path.Combine(_dir, "copy", "strongroom.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        await Store.BackupAsync(copy, Ct);
        Assert.False(File.Exists(SqliteStore.AuditFilePath(copy)));

        await using var restored = new SqliteStore(copy);
        await restored.InitializeAsync(Ct);
        Assert.NotNull(await restored.FindSecretByNameAsync(Region, "in-backup", Ct));
        Assert.True(File.Exists(SqliteStore.AuditFilePath(copy)));
        var verification = await AuditVerifier.VerifyAsync(restored, string.Empty, Ct);
        Assert.True(verification.Ok, verification.Message);
        Assert.Equal(12, verification.Records);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
