using Strongroom.Core.Storage;
using Strongroom.Storage.PostgreSql;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>The conformance suite against PostgreSQL: one new database per test on the collection's cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreConformanceTests : StoreConformanceTests
{
    private readonly PostgresServer _server;
    private string? _connectionString;

    public PostgresStoreConformanceTests(PostgresServer server) => _server = server;

    protected override async Task<IStore> CreateStoreAsync()
    {
        _connectionString = _server.CreateDatabase();
        var store = new PostgresStore(_connectionString);
        await store.InitializeAsync(Ct);
        return store;
    }

    protected override IStore OpenSameDatabase() => new PostgresStore(_connectionString ?? throw new InvalidOperationException("no database yet"));

    [Fact]
    public async Task BackupAsync_PostgreSql_ThrowsNotSupportedPointingToPgDump()
    {
        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => Store.BackupAsync(Path.Combine(Path.GetTempPath(), "never-written.db"), Ct));
        Assert.Contains("pg_dump", ex.Message, StringComparison.Ordinal);
    }
}
