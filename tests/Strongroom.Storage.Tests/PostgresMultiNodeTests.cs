using System.Globalization;
using Npgsql;
using Strongroom.Core.Audit;
using Strongroom.Core.Secrets;
using Strongroom.Storage.PostgreSql;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>
/// Several server nodes on one database: each node is its own <see cref="PostgresStore"/> with its own pool,
/// as separate processes would be.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMultiNodeTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly PostgresServer _server;

    public PostgresMultiNodeTests(PostgresServer server) => _server = server;

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(Ct), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task InitializeAsync_NodesStartingTogether_ApplyEachMigrationOnce()
    {
        var cs = _server.CreateDatabase();
        var nodes = Enumerable.Range(0, 4).Select(_ => new PostgresStore(cs)).ToList();
        try
        {
            await Task.WhenAll(nodes.Select(n => Task.Run(() => n.InitializeAsync(Ct))));
            await Task.WhenAll(nodes.Select(n => n.InitializeAsync(Ct)));
            var versions = await ScalarAsync(cs, "SELECT COUNT(*) FROM schema_version");
            Assert.Equal(versions, await ScalarAsync(cs, "SELECT COUNT(DISTINCT version) FROM schema_version"));
            Assert.Equal(versions, await ScalarAsync(cs, "SELECT MAX(version) FROM schema_version"));
            Assert.True(versions >= 1);
            Assert.Equal(1, await ScalarAsync(cs, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'secrets'"));
        }
        finally
        {
            foreach (var n in nodes)
            {
                await n.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WriteAsync_OnOneNode_IsReadOnTheOtherAtOnce()
    {
        var cs = _server.CreateDatabase();
        await using var a = new PostgresStore(cs);
        await using var b = new PostgresStore(cs);
        await a.InitializeAsync(Ct);
        await b.InitializeAsync(Ct);

        var secret = new SecretRecord { Region = "us-east-1", Name = "shared", Arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-AbCdEf", CreatedDate = DateTimeOffset.UnixEpoch, LastChangedDate = DateTimeOffset.UnixEpoch };
        await a.WriteAsync(
            async tx =>
            {
                await tx.InsertSecretAsync(secret, Ct);
                await tx.SetSettingAsync("from", "a", Ct);
                return true;
            },
            Ct);
        Assert.Equal(secret.Id, (await b.FindSecretByNameAsync("us-east-1", "shared", Ct))!.Id);
        Assert.Equal("a", await b.GetSettingAsync("from", Ct));

        await b.WriteAsync(
            async tx =>
            {
                Assert.Equal("a", await tx.GetSettingAsync("from", Ct));
                await tx.SetSettingAsync("from", "b", Ct);
                return true;
            },
            Ct);
        Assert.Equal("b", await a.GetSettingAsync("from", Ct));
    }

    [Fact]
    public async Task WriteAsync_ReadThenWriteFromTwoNodesConcurrently_LosesNoUpdate()
    {
        const int PerNode = 100;
        var cs = _server.CreateDatabase();
        await using var a = new PostgresStore(cs);
        await using var b = new PostgresStore(cs);
        await a.InitializeAsync(Ct);
        await b.InitializeAsync(Ct);

        static Task<bool> Increment(PostgresStore node) => node.WriteAsync(
            async tx =>
            {
                var current = long.Parse(await tx.GetSettingAsync("counter", Ct) ?? "0", CultureInfo.InvariantCulture);

                // Give the other node every chance to interleave between the read and the write.
                await Task.Yield();
                await tx.SetSettingAsync("counter", (current + 1).ToString(CultureInfo.InvariantCulture), Ct);
                return true;
            },
            Ct);

        var work = Enumerable.Range(0, PerNode).SelectMany(_ => new[] { Task.Run(() => Increment(a)), Task.Run(() => Increment(b)) });
        await Task.WhenAll(work);
        Assert.Equal((2 * PerNode).ToString(CultureInfo.InvariantCulture), await a.GetSettingAsync("counter", Ct));
        Assert.Equal((2 * PerNode).ToString(CultureInfo.InvariantCulture), await b.GetSettingAsync("counter", Ct));
    }

    [Fact]
    public async Task RotationRuns_TwoNodesStartingOneSecretConcurrently_OnlyOneRuns()
    {
        var cs = _server.CreateDatabase();
        await using var a = new PostgresStore(cs);
        await using var b = new PostgresStore(cs);
        await a.InitializeAsync(Ct);
        await b.InitializeAsync(Ct);

        for (var round = 0; round < 20; round++)
        {
            var arn = $"arn:aws:secretsmanager:us-east-1:123456789012:secret:race-{round}";
            Core.Rotation.RotationRun NewRun(string node) => new()
            {
                SecretArn = arn, Region = "us-east-1", VersionId = "v", Trigger = Core.Rotation.RotationTrigger.RotateSecret, StartedDate = DateTimeOffset.UnixEpoch, Node = node,
            };

            var started = await Task.WhenAll(
                Task.Run(() => a.InsertRotationRunAsync(NewRun("a"), Ct)),
                Task.Run(() => b.InsertRotationRunAsync(NewRun("b"), Ct)),
                Task.Run(() => a.InsertRotationRunAsync(NewRun("a"), Ct)));
            Assert.Equal(1, started.Count(s => s));
            Assert.Single(await b.ListRotationRunsAsync(arn, null, 10, Ct));
        }
    }

    [Fact]
    public async Task Lease_TwoNodes_OneHoldsItAndTheOtherTakesOverWhenItStopsRenewing()
    {
        var cs = _server.CreateDatabase();
        await using var storeA = new PostgresStore(cs);
        await using var storeB = new PostgresStore(cs);
        await storeA.InitializeAsync(Ct);
        await storeB.InitializeAsync(Ct);
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-29T00:00:00Z", CultureInfo.InvariantCulture));
        var options = new Core.Cluster.ClusterOptions { LeaseTime = TimeSpan.FromSeconds(10) };
        var a = new Core.Cluster.ClusterCoordinator(storeA, "a", options, time);
        var b = new Core.Cluster.ClusterCoordinator(storeB, "b", options, time);

        // Both beat at once, many times: never both holders.
        for (var i = 0; i < 20; i++)
        {
            var held = await Task.WhenAll(Task.Run(() => a.BeatAsync(Ct)), Task.Run(() => b.BeatAsync(Ct)));
            Assert.Equal(1, held.Count(h => h));
            time.Advance(TimeSpan.FromSeconds(2));
        }

        var (holder, other) = a.HoldsLease ? (a, b) : (b, a);
        Assert.False(other.HoldsLease);
        Assert.True(await other.IsNodeAliveAsync(holder.NodeId, Ct));

        // The holder stops beating (dies): inside the lease time nobody else takes it, after it the other does,
        // and the holder itself no longer counts itself the holder by then.
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.False(await other.BeatAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(holder.HoldsLease);
        Assert.False(await other.IsNodeAliveAsync(holder.NodeId, Ct));
        Assert.True(await other.BeatAsync(Ct));
        Assert.False(await holder.BeatAsync(Ct));

        // Given up at shutdown, the lease is taken at the next beat.
        await other.ReleaseAsync(Ct);
        Assert.False(other.HoldsLease);
        Assert.True(await holder.BeatAsync(Ct));
    }

    [Fact]
    public async Task ChangeFeed_AWriteOnOneNode_InvalidatesTheOthersCachesAtItsNextPoll()
    {
        var cs = _server.CreateDatabase();
        await using var storeA = new PostgresStore(cs);
        await using var storeB = new PostgresStore(cs);
        await storeA.InitializeAsync(Ct);
        var options = new Core.Cluster.ClusterOptions();
        var b = new Core.Cluster.ClusterCoordinator(storeB, "b", options, TimeProvider.System);
        var iamDropped = 0;
        var kmsDropped = 0;
        b.OnChanged("iam", () => iamDropped++);
        b.OnChanged("kms", () => kmsDropped++);
        await b.PollChangesAsync(Ct);
        Assert.Equal((0, 0), (iamDropped, kmsDropped));

        await storeA.WriteAsync(async tx => { await Core.Cluster.ClusterCoordinator.MarkChangedAsync(tx, "iam", Ct); return true; }, Ct);
        await b.PollChangesAsync(Ct);
        Assert.Equal((1, 0), (iamDropped, kmsDropped));
        await b.PollChangesAsync(Ct);
        Assert.Equal((1, 0), (iamDropped, kmsDropped));

        await storeA.WriteAsync(async tx => { await Core.Cluster.ClusterCoordinator.MarkChangedAsync(tx, "kms", Ct); return true; }, Ct);
        await b.PollChangesAsync(Ct);
        Assert.Equal((1, 1), (iamDropped, kmsDropped));
    }

    /// <summary>A clock the test moves.</summary>
    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private long _ticks = now.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Fact]
    public async Task WriteAsync_WorkThrowsOnOneNode_ReleasesTheWriteLockForTheOther()
    {
        var cs = _server.CreateDatabase();
        await using var a = new PostgresStore(cs);
        await using var b = new PostgresStore(cs);
        await a.InitializeAsync(Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.WriteAsync<bool>(_ => throw new InvalidOperationException("fail"), Ct));
        var done = await b.WriteAsync(
            async tx =>
            {
                await tx.SetSettingAsync("k", "v", Ct);
                return true;
            },
            new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.True(done);
        Assert.Equal("v", await a.GetSettingAsync("k", Ct));
    }

    [Fact]
    public async Task AuditLog_TwoNodesAppendingConcurrently_OneGapFreeVerifiableChain()
    {
        const int PerNode = 150;
        var cs = _server.CreateDatabase();
        await using var a = new PostgresStore(cs);
        await using var b = new PostgresStore(cs);
        await a.InitializeAsync(Ct);
        await b.InitializeAsync(Ct);
        await using var logA = await AuditLog.StartAsync(a, Ct);
        await using var logB = await AuditLog.StartAsync(b, Ct);

        static AuditEvent Event(string node, int i) => new()
        {
            EventName = "GetSecretValue", EventSource = "secretsmanager.amazonaws.com", AwsRegion = "us-east-1", AccountId = "123456789012",
            EventTime = DateTimeOffset.UnixEpoch.AddSeconds(i), ReadOnly = true, RequestId = node + "-" + i.ToString(CultureInfo.InvariantCulture),
        };

        // Each node's group-commit writer batches what is queued; both write at once into one database.
        var work = Enumerable.Range(0, PerNode).SelectMany(i => new[] { Task.Run(() => logA.AppendAsync(Event("a", i))), Task.Run(() => logB.AppendAsync(Event("b", i))) });
        await Task.WhenAll(work);

        var rows = await a.ReadAuditAsync(0, 10_000, Ct);
        Assert.Equal(Enumerable.Range(1, 2 * PerNode).Select(i => (long)i), rows.Select(r => r.Seq));
        Assert.Equal(PerNode, rows.Count(r => r.Record.Contains("\"a-", StringComparison.Ordinal)));
        Assert.Equal(PerNode, rows.Count(r => r.Record.Contains("\"b-", StringComparison.Ordinal)));
        var verification = await AuditVerifier.VerifyAsync(b, string.Empty, Ct);
        Assert.True(verification.Ok, verification.Message);
        Assert.Equal(2 * PerNode, verification.Records);
    }
}
