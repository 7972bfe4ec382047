using Npgsql;
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

    protected override async Task<IReadOnlyList<string>> RawRowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await r.ReadAsync(Ct))
        {
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => Render(r.GetValue(i)))));
        }

        return rows;
    }
}
