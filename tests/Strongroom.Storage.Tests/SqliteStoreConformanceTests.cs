using Strongroom.Core.Storage;
using Strongroom.Storage.Sqlite;

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

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
