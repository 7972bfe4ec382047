using Strongroom.Core.Storage;
using Strongroom.Storage.PostgreSql;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The database goes away and comes back: its own throw-away cluster (stopping the shared one would disturb
/// other tests). Calls fail with <see cref="StoreUnavailableException"/> meanwhile, and work again afterwards
/// on the same store object, with no restart of the node.
/// </summary>
public sealed class PostgresOutageTests : IClassFixture<PostgresServer>
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly PostgresServer _server;

    public PostgresOutageTests(PostgresServer server) => _server = server;

    [Fact]
    public async Task Store_DatabaseStoppedThenRestarted_FailsUnavailableThenRecovers()
    {
        var cs = _server.CreateDatabase();
        await using var store = new PostgresStore(cs);
        await store.InitializeAsync(Ct);
        await store.WriteAsync(async tx => { await tx.SetSettingAsync("k", "before", Ct); return true; }, Ct);
        Assert.Equal("before", await store.GetSettingAsync("k", Ct));

        _server.Stop();
        try
        {
            var read = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetSettingAsync("k", Ct));
            Assert.DoesNotContain("Password", read.Message, StringComparison.OrdinalIgnoreCase);
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.WriteAsync(async tx => { await tx.SetSettingAsync("k", "during", Ct); return true; }, Ct));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.AppendAuditAsync([new Core.Audit.AuditEntry("e", DateTimeOffset.UnixEpoch, "E", "s", null, null, true, null, null, "{}")], Ct));
        }
        finally
        {
            _server.Start();
        }

        // No restart of the store object: the next calls work (the pool's dead connections are replaced).
        var after = await store.GetSettingAsync("k", Ct);
        Assert.Equal("before", after);
        await store.WriteAsync(async tx => { await tx.SetSettingAsync("k", "after", Ct); return true; }, Ct);
        Assert.Equal("after", await store.GetSettingAsync("k", Ct));
        Assert.Single(await store.AppendAuditAsync([new Core.Audit.AuditEntry("e", DateTimeOffset.UnixEpoch, "E", "s", null, null, true, null, null, "{}")], Ct));
    }

    [Fact]
    public async Task Store_DatabaseRestartedBetweenCalls_NextReadAndWriteSucceedOnFreshConnections()
    {
        var cs = _server.CreateDatabase();
        await using var store = new PostgresStore(cs);
        await store.InitializeAsync(Ct);
        await store.WriteAsync(async tx => { await tx.SetSettingAsync("k", "before", Ct); return true; }, Ct);

        // Fill the pool with idle connections, then restart the database with no call in between: every idle
        // connection is dead. A read and a write must not fail on one (each is retried once on a fresh connection).
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.GetSettingAsync("k", Ct))));
        _server.Stop();
        _server.Start();

        Assert.Equal("before", await store.GetSettingAsync("k", Ct));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.GetSettingAsync("k", Ct))));
        _server.Stop();
        _server.Start();
        await store.WriteAsync(async tx => { await tx.SetSettingAsync("k", "after", Ct); return true; }, Ct);
        Assert.Equal("after", await store.GetSettingAsync("k", Ct));
    }
}
