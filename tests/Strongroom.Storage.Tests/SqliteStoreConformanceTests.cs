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

    [Fact]
    public async Task Migration8_OnATrailWrittenBeforeIt_IndexesEveryRecordByResourceName()
    {
        await Store.AppendAuditAsync(
            [.. Enumerable.Range(1, 30).Select(n => new AuditEntry("e" + n, T0.AddSeconds(n), "E", "s", null, null, true, n % 3 == 0 ? "a" : "b", null, "{}"))], Ct);
        await Store.DisposeAsync();

        // Back to schema 7 as it was: the random-key index, no resource table, no mark.
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "DROP TABLE audit_resources; DELETE FROM settings WHERE key = 'audit_resources_to_seq'; " +
                "CREATE INDEX audit_resource ON audit_events (resource_name, seq); DELETE FROM schema_version WHERE version = 8;";
            cmd.ExecuteNonQuery();
        }

        await using var reopened = OpenSameDatabase();
        await reopened.InitializeAsync(Ct);
        Assert.Equal("30", await reopened.GetSettingAsync(AuditResourceIndex.Setting, Ct));
        var rows = await reopened.QueryAuditAsync(new AuditQuery("ResourceName", "a", null, null, null, 50), Ct);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => 33L - (3 * i)), rows.Select(r => r.Seq));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
