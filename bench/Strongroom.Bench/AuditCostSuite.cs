using System.Globalization;
using System.Text.Json;
using Strongroom.Server;

namespace Strongroom.Bench;

/// <summary>
/// What the audit trail costs GetSecretValue: the same reads against three servers that differ only in
/// how a call waits for its audit record — durable before the answer (production), written but not
/// waited for, and not recorded at all. All three run in the same host (this executable's
/// strongroom-host subcommand) so nothing else differs; only the benchmark can select the two
/// non-production modes (an internal option, see ServerOptions.AuditTrail).
/// </summary>
internal static class AuditCostSuite
{
    private const int Secrets = 1000;

    public static readonly (string Name, AuditTrailMode Mode)[] Modes =
    [
        ("durable", AuditTrailMode.Durable),
        ("not-awaited", AuditTrailMode.NotAwaited),
        ("off", AuditTrailMode.Off),
    ];

    public static async Task RunAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        foreach (var (name, _) in Modes.Where(m => options.Only is null || m.Name == options.Only))
        {
            await RunModeAsync(options, report, workDir, name, ct);
            report.Save();
        }
    }

    private static async Task RunModeAsync(BenchOptions options, Report report, string workDir, string mode, CancellationToken ct)
    {
        var dataDir = Path.Combine(workDir, "audit-" + mode);
        var port = ServerProcess.FreePort();
        var self = typeof(AuditCostSuite).Assembly.Location;
        await using var server = await ServerProcess.StartAsync(
            "strongroom audit=" + mode,
            "dotnet",
            [self, "strongroom-host", "--audit", mode, "--data-dir", dataDir, "--port", port.ToString(CultureInfo.InvariantCulture)],
            port,
            "/health/ready",
            Path.Combine(workDir, $"strongroom-audit-{mode}.log"),
            TimeSpan.FromMinutes(2),
            ct);
        var signer = Servers.AdminSigner(dataDir);
        Console.Error.WriteLine($"audit cost ({mode}): seeding {Secrets} secrets");
        var arns = new string[Secrets];
        await AwsClient.ForEachAsync(server.EndPoint, signer, options.LoaderConnections, 0, Secrets, "seed", async (client, i) =>
        {
            var created = await client.CallAsync("secretsmanager.CreateSecret", new { Name = Name(i), SecretString = Servers.SecretValue(i, "a-"), ClientRequestToken = Guid.NewGuid().ToString() }, ct);
            arns[i] = created.GetProperty("ARN").GetString()!;
            // The first read of a version each day writes LastAccessedDate; make every timed read a repeat read.
            await client.CallAsync("secretsmanager.GetSecretValue", new { SecretId = Name(i) }, ct);
        }, ct);

        var byName = Enumerable.Range(0, Secrets).Select(i => JsonSerializer.SerializeToUtf8Bytes(new { SecretId = Name(i) })).ToArray();
        var byArn = arns.Select(a => JsonSerializer.SerializeToUtf8Bytes(new { SecretId = a })).ToArray();
        foreach (var (operation, bodies) in new[] { ("GetSecretValue", byName), ("GetSecretValue by ARN", byArn) })
        {
            foreach (var connections in options.Connections)
            {
                Console.Error.WriteLine($"audit cost ({mode}): {operation} x{connections}");
                var result = await LoadRunner.RunAsync(server.EndPoint, server.Pid, signer, connections, options.Warmup, options.Duration,
                    (_, _) => new RequestSpec("secretsmanager.GetSecretValue", "secretsmanager", bodies[Random.Shared.Next(bodies.Length)]), ct);
                Console.Error.WriteLine($"      {result.Throughput:N0} req/s, p50 {result.P50Ms:0.###} ms, p99 {result.P99Ms:0.###} ms, errors {result.Errors}");
                report.Audit.Add(new AuditCostRow(mode, operation, connections, result));
                if (result.FirstError is not null)
                {
                    report.Notes.Add($"audit={mode} {operation} x{connections}: {result.Errors} errors; first: {result.FirstError}");
                }

                if (server.HasExited)
                {
                    throw new InvalidOperationException($"{server.Name} exited during {operation}");
                }
            }
        }

        if (mode != "off")
        {
            using var client = new AwsClient(server.EndPoint, signer);
            var trail = await client.CallAsync("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", new { MaxResults = 1 }, ct);
            report.Notes.Add($"audit={mode}: the trail holds records after the run (LookupEvents answered {trail.GetProperty("Events").GetArrayLength()} of MaxResults 1).");
        }
    }

    private static string Name(long i) => $"bench/audit/{i:D5}";

    /// <summary>The strongroom-host subcommand: a Strongroom server with the given audit mode, until SIGTERM.</summary>
    public static Task<int> HostAsync(string dataDir, int port, string mode, string? postgres = null)
    {
        var found = Modes.Where(m => m.Name == mode).Select(m => (AuditTrailMode?)m.Mode).FirstOrDefault()
            ?? throw new ArgumentException($"--audit must be one of {string.Join(", ", Modes.Select(m => m.Name))}");
        var options = new ServerOptions
        {
            DataDir = dataDir,
            Listen = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            Region = Servers.Region,
            AuditTrail = found,
            Storage = postgres is null ? "sqlite" : "postgres",
            Postgres = postgres,
        };
        return StrongroomServer.RunAsync(options, Console.Out, CancellationToken.None);
    }
}
