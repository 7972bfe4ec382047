using Strongroom.Core.Storage;
using Strongroom.Storage.PostgreSql;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>The persisted-shape goldens against PostgreSQL: one new database per test on the collection's cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPersistedShapeTests : PersistedShapeTests
{
    private readonly PostgresServer _server;
    private string _connectionString = string.Empty;

    public PostgresPersistedShapeTests(PostgresServer server) => _server = server;

    protected override async Task<IStore> CreateStoreAsync()
    {
        _connectionString = _server.CreateDatabase();
        var store = new PostgresStore(_connectionString);
        await store.InitializeAsync(Ct);
        return store;
    }

    protected override async Task<IReadOnlyList<string>> RawRowsAsync(string sql) => await RawRows.PostgresAsync(_connectionString, sql);
}
