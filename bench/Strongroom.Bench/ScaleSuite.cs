using System.Diagnostics;
using System.Text.Json;

namespace Strongroom.Bench;

/// <summary>
/// The scale section: one data directory grown through the API to 1,000, 100,000 and 1,000,000 secrets
/// (every 100th with 10 versions); at each size the load time, data-directory size, RSS, a restart's
/// start-up time and GetSecretValue throughput over all stored secrets.
/// </summary>
internal static class ScaleSuite
{
    private const int VersionedEvery = 100;
    private static readonly long[] Sizes = [1_000, 100_000, 1_000_000];

    private static string Name(long i) => $"scale/{i:D7}";

    private static async Task<LoadResult> ReadAsync(BenchOptions options, Report report, ServerProcess server, SigV4Signer signer, string what, Func<long> pick, TimeSpan warmup, CancellationToken ct)
    {
        Console.Error.WriteLine($"scale: GetSecretValue {what} x{options.ScaleConnections}");
        var read = await LoadRunner.RunAsync(server.EndPoint, server.Pid, signer, options.ScaleConnections, warmup, options.Duration,
            (_, _) => new RequestSpec("secretsmanager.GetSecretValue", "secretsmanager", JsonSerializer.SerializeToUtf8Bytes(new { SecretId = Name(pick()) })), ct);
        Console.Error.WriteLine($"      {read.Throughput:N0} req/s, p50 {read.P50Ms:0.###} ms, p99 {read.P99Ms:0.###} ms, p99.9 {read.P999Ms:0.###} ms, errors {read.Errors}");
        if (read.FirstError is not null)
        {
            report.Notes.Add($"scale GetSecretValue {what}: {read.Errors} errors; first: {read.FirstError}");
        }

        return read;
    }

    /// <summary>The last lines of a server log, one string, for a report note (server logs never hold secret values).</summary>
    private static string LogTail(string logFile, int lines)
    {
        try
        {
            var tail = File.ReadLines(logFile).TakeLast(lines).Select(l => l.Length > 300 ? l[..300] + "…" : l);
            return string.Join(" ⏎ ", tail);
        }
        catch (IOException e)
        {
            return $"(log not readable: {e.Message})";
        }
    }

    public static async Task RunAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        var sizes = Sizes.Where(s => s <= options.MaxSecrets).ToList();
        if (options.MaxSecrets > 0 && !sizes.Contains(options.MaxSecrets) && options.MaxSecrets < Sizes[^1])
        {
            sizes.Add(options.MaxSecrets);
        }

        var dataDir = Path.Combine(workDir, "scale-data");
        var log = Path.Combine(workDir, "strongroom-scale.log");
        var server = await Servers.StartStrongroomAsync(options, dataDir, log, ct);
        try
        {
            report.Notes.Add($"Scale: first start on an empty data directory (initialisation included) took {server.StartupTime.TotalMilliseconds:N0} ms.");
            var signer = Servers.AdminSigner(dataDir);
            long loaded = 0;
            foreach (var size in sizes)
            {
                Console.Error.WriteLine($"scale: loading secrets {loaded:N0}..{size:N0} with {options.LoaderConnections} connections");
                var stopwatch = Stopwatch.StartNew();
                var done = new bool[size - loaded];
                var from = loaded;
                while (true)
                {
                    try
                    {
                        await AwsClient.ForEachAsync(server.EndPoint, signer, options.LoaderConnections, from, size, "load", async (client, i) =>
                        {
                            try
                            {
                                await client.CallAsync("secretsmanager.CreateSecret", new { Name = Name(i), SecretString = Servers.SecretValue(i, "v0-"), ClientRequestToken = Guid.NewGuid().ToString() }, ct);
                            }
                            catch (InvalidOperationException e) when (e.Message.Contains("ResourceExistsException", StringComparison.Ordinal))
                            {
                                // Created just before an interrupted run (see below); its extra versions may be missing.
                                done[i - from] = true;
                                return;
                            }

                            if (i % VersionedEvery == 0)
                            {
                                for (var v = 1; v < 10; v++)
                                {
                                    await client.CallAsync("secretsmanager.PutSecretValue", new { SecretId = Name(i), SecretString = Servers.SecretValue(i, $"v{v}-"), ClientRequestToken = Guid.NewGuid().ToString() }, ct);
                                }
                            }

                            done[i - from] = true;
                        }, ct, i => done[i - from]);
                        break;
                    }
                    catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
                    {
                        if (!await server.WaitForExitAsync(TimeSpan.FromSeconds(30)))
                        {
                            throw;
                        }

                        // On a shared machine something else may stop the server: note it, restart it, go on.
                        report.Notes.Add($"scale: the server exited with code {server.ExitCode} while loading to {size:N0} (not stopped by this suite) and was restarted; the load time includes the restart. Last lines of its log: {LogTail(log, 4)}");
                        Console.Error.WriteLine("scale: the server stopped during loading; restarting it and continuing");
                        await server.DisposeAsync();
                        server = await Servers.StartStrongroomAsync(options, dataDir, log, ct);
                    }
                }

                var loadSeconds = stopwatch.Elapsed.TotalSeconds;
                var added = size - loaded;
                loaded = size;
                var rssAfterLoad = server.RssBytes();
                Console.Error.WriteLine($"scale: {added:N0} secrets in {loadSeconds:0.0} s ({added / loadSeconds:N0}/s); RSS {rssAfterLoad / 1048576.0:0} MiB");

                await server.DisposeAsync();
                var bytes = Servers.DirectoryBytes(dataDir);
                server = await Servers.StartStrongroomAsync(options, dataDir, log, ct);
                var startup = server.StartupTime.TotalMilliseconds;
                var rssAfterStart = server.RssBytes();
                Console.Error.WriteLine($"scale: {size:N0} secrets, data dir {bytes / 1048576.0:0.0} MiB, restart to ready {startup:N0} ms, RSS {rssAfterStart / 1048576.0:0} MiB");

                var count = size;
                // Evenly spread; the half-step offset keeps the set from being only the 10-version secrets.
                var step = size / Math.Min(1000, size);
                var hotSet = Enumerable.Range(0, (int)Math.Min(1000, size)).Select(i => (i * step) + (step / 2)).ToArray();
                Console.Error.WriteLine($"scale: reading the {hotSet.Length:N0} hot secrets once");
                await AwsClient.ForEachAsync(server.EndPoint, signer, options.LoaderConnections, 0, hotSet.Length, "touch", (client, i) =>
                    client.CallAsync("secretsmanager.GetSecretValue", new { SecretId = Name(hotSet[i]) }, ct), ct);
                // The server was just restarted: give the first case 3 s more warm-up, for the JIT's tiering.
                var hot = await ReadAsync(options, report, server, signer, $"hot, {hotSet.Length:N0} of {size:N0}", () => hotSet[Random.Shared.Next(hotSet.Length)], options.Warmup + TimeSpan.FromSeconds(3), ct);
                var cold = await ReadAsync(options, report, server, signer, $"cold, uniform over {size:N0}", () => Random.Shared.NextInt64(count), options.Warmup, ct);
                var (listP50, listMax) = await ListFirstPagesAsync(server, signer, size, ct);
                Console.Error.WriteLine($"scale: ListSecrets name-filtered first page p50 {listP50:0.##} ms, slowest {listMax:0.##} ms");
                report.Scale.Add(new ScaleRow(size, (size + VersionedEvery - 1) / VersionedEvery, added, loadSeconds, bytes, rssAfterLoad, startup, rssAfterStart, options.ScaleConnections, hot, cold, server.RssBytes(), listP50, listMax));
                report.Save();
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>30 name-filtered first pages (a prefix matching 100 secrets, at a random place in the range), one after another.</summary>
    private static async Task<(double P50, double Max)> ListFirstPagesAsync(ServerProcess server, SigV4Signer signer, long size, CancellationToken ct)
    {
        using var client = new AwsClient(server.EndPoint, signer);
        var times = new List<double>();
        for (var n = 0; n < 30; n++)
        {
            // "scale/00123" matches scale/0012300..scale/0012399: 100 secrets (fewer only at the very end of the range).
            var prefix = Name(Random.Shared.NextInt64(Math.Max(1, size / 100)) * 100)[..^2];
            var clock = Stopwatch.StartNew();
            var page = await client.CallAsync("secretsmanager.ListSecrets", new { MaxResults = 100, Filters = new[] { new { Key = "name", Values = new[] { prefix } } } }, ct);
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (page.GetProperty("SecretList").GetArrayLength() == 0)
            {
                throw new InvalidOperationException($"ListSecrets with name filter {prefix} returned no secret");
            }
        }

        times.Sort();
        return (times[times.Count / 2], times[^1]);
    }
}
