using System.Net;
using System.Text.Json;

namespace Strongroom.Bench;

/// <summary>
/// Read throughput with one, two and three Strongroom nodes on one PostgreSQL database, all on this machine,
/// and one SQLite node for reference. The load generator spreads its connections round-robin over the live
/// nodes (a client-side load balancer). The PostgreSQL cluster is a throw-away one started here.
/// </summary>
internal static class NodesSuite
{
    private const int Secrets = 1000;
    private const int MaxNodes = 3;
    private const string Operation = "GetSecretValue";

    public static async Task RunAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        report.Notes.Add($"nodes: load average (1, 5, 15 min) when the section started: {LoadAverage()}.");
        await RunSqliteAsync(options, report, workDir, ct);
        report.Save();
        await RunPostgresAsync(options, report, workDir, ct);
        report.Save();
    }

    private static async Task RunSqliteAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        var dataDir = Path.Combine(workDir, "nodes-sqlite");
        await using var node = await Servers.StartStrongroomAsync(options, dataDir, Path.Combine(workDir, "strongroom-nodes-sqlite.log"), ct);
        var signer = Servers.AdminSigner(dataDir);
        var bodies = await SeedAsync(options, node.EndPoint, signer, "sqlite", ct);
        await MeasureAsync(options, report, "sqlite", [node], null, signer, bodies, ct);
    }

    private static async Task RunPostgresAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        Console.Error.WriteLine("nodes: starting a throw-away PostgreSQL");
        await using var postgres = await PostgresCluster.StartAsync(options.Keep);
        report.Notes.Add($"nodes: PostgreSQL {postgres.Version} started by the suite on this machine (initdb defaults: fsync, synchronous_commit on, shared_buffers 128 MB; max_connections 120); each node uses Strongroom's default pool (at most 20 connections per node).");
        var nodes = new List<ServerProcess>();
        try
        {
            var firstDir = Path.Combine(workDir, "nodes-pg-1");
            SigV4Signer? signer = null;
            byte[][] bodies = [];
            for (var n = 1; n <= MaxNodes; n++)
            {
                var dataDir = n == 1 ? firstDir : JoiningNode(workDir, n, firstDir);
                Console.Error.WriteLine($"nodes: starting PostgreSQL node {n}");
                var node = await Servers.StartStrongroomAsync(options, dataDir, Path.Combine(workDir, $"strongroom-nodes-pg-{n}.log"), ct, postgres.ConnectionString, $"strongroom node {n}");
                nodes.Add(node);
                if (n == 1)
                {
                    // The first node initialised the database and holds admin.credentials; the others share both.
                    signer = Servers.AdminSigner(firstDir);
                    bodies = await SeedAsync(options, node.EndPoint, signer, "postgres", ct);
                }

                await MeasureAsync(options, report, "postgres", nodes, postgres, signer!, bodies, ct);
                report.Save();
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>A data directory for a further node: only a copy of the first node's root key, as the operations guide says.</summary>
    private static string JoiningNode(string workDir, int n, string firstDir)
    {
        var dir = Path.Combine(workDir, $"nodes-pg-{n}");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Copy(Path.Combine(firstDir, "root.key"), Path.Combine(dir, "root.key"));
        return dir;
    }

    /// <summary>Creates the secrets through one node and reads each once, so every timed read is a repeat read.</summary>
    private static async Task<byte[][]> SeedAsync(BenchOptions options, IPEndPoint endPoint, SigV4Signer signer, string store, CancellationToken ct)
    {
        Console.Error.WriteLine($"nodes ({store}): seeding {Secrets} secrets");
        await AwsClient.ForEachAsync(endPoint, signer, options.LoaderConnections, 0, Secrets, "seed", async (client, i) =>
        {
            await client.CallAsync("secretsmanager.CreateSecret", new { Name = Name(i), SecretString = Servers.SecretValue(i, "n-"), ClientRequestToken = Guid.NewGuid().ToString() }, ct);
            // The first read of a version each day writes LastAccessedDate (in the shared store, so once for all nodes).
            await client.CallAsync("secretsmanager.GetSecretValue", new { SecretId = Name(i) }, ct);
        }, ct);
        return [.. Enumerable.Range(0, Secrets).Select(i => JsonSerializer.SerializeToUtf8Bytes(new { SecretId = Name(i) }))];
    }

    private static async Task MeasureAsync(BenchOptions options, Report report, string store, IReadOnlyList<ServerProcess> nodes, PostgresCluster? postgres, SigV4Signer signer, byte[][] bodies, CancellationToken ct)
    {
        foreach (var connections in options.Connections)
        {
            Console.Error.WriteLine($"nodes: {store} x{nodes.Count} node(s), {Operation} x{connections}");
            var walBefore = postgres is null ? default : await postgres.WalSyncsAsync();
            var result = await LoadRunner.RunAsync([.. nodes.Select(s => s.EndPoint)], [.. nodes.Select(s => s.Pid)], postgres is null ? null : postgres.Pids, signer, connections, options.Warmup, options.Duration,
                (_, _) => new RequestSpec("secretsmanager.GetSecretValue", "secretsmanager", bodies[Random.Shared.Next(bodies.Length)]), ct);
            WalFlushes? wal = null;
            if (postgres is not null)
            {
                // Sampled around the whole case (warm-up included): a rate, not a count of the measured window.
                var walAfter = await postgres.WalSyncsAsync();
                var syncs = walAfter.Syncs - walBefore.Syncs;
                wal = new WalFlushes(syncs / (options.Warmup + options.Duration).TotalSeconds, syncs == 0 ? double.NaN : (walAfter.SyncMs - walBefore.SyncMs) / syncs);
            }

            Console.Error.WriteLine($"      {result.Throughput:N0} req/s, p50 {result.P50Ms:0.###} ms, p99 {result.P99Ms:0.###} ms, p99.9 {result.P999Ms:0.###} ms, errors {result.Errors}{(wal is { } w ? $", {w.PerSecond:N0} WAL flushes/s of {w.MsEach:0.##} ms" : string.Empty)}");
            report.Nodes.Add(new NodesRow(store, nodes.Count, Operation, connections, result, wal));
            if (result.FirstError is not null)
            {
                report.Notes.Add($"nodes: {store} x{nodes.Count} {Operation} x{connections}: {result.Errors} errors; first: {result.FirstError}");
            }

            if (nodes.FirstOrDefault(s => s.HasExited) is { } gone)
            {
                throw new InvalidOperationException($"{gone.Name} exited during {Operation}");
            }
        }
    }

    private static string Name(long i) => $"bench/nodes/{i:D5}";

    private static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
