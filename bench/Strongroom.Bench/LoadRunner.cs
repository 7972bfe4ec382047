using System.Diagnostics;
using System.Net;

namespace Strongroom.Bench;

/// <summary>One request of a load case: target, signing service and JSON body.</summary>
internal readonly record struct RequestSpec(string Target, string Service, byte[] Body);

/// <summary>What a load case produced; <see cref="PerEndpoint"/> counts the measured answers from each endpoint, in the order given.</summary>
internal sealed record LoadResult(long Requests, long Errors, double Seconds, double Throughput, double P50Ms, double P99Ms, double P999Ms, double MaxMs, string? FirstError, CpuUse Cpu, IReadOnlyList<long>? PerEndpoint = null);

/// <summary>
/// Closed-loop load: <c>connections</c> workers, each with its own keep-alive connection, send the next
/// request as soon as the previous answer has been read. Each request is SigV4-signed as it is sent.
/// Latency is recorded for requests that start after the warm-up and end before the deadline;
/// throughput is their count over the measured window. Percentiles come from the sorted samples (exact,
/// not bucketed). Because the loop is closed, latencies are service times at that concurrency: there is
/// no coordinated-omission correction. With several endpoints, worker i connects to endpoint i mod n (a
/// client-side round-robin load balancer: connections, not requests, are spread).
/// </summary>
internal static class LoadRunner
{
    public static Task<LoadResult> RunAsync(
        IPEndPoint endPoint,
        int? serverPid,
        SigV4Signer signer,
        int connections,
        TimeSpan warmup,
        TimeSpan duration,
        Func<int, long, RequestSpec> next,
        CancellationToken ct) =>
        RunAsync([endPoint], serverPid is { } pid ? [pid] : [], null, signer, connections, warmup, duration, next, ct);

    /// <param name="endPoints">Where the workers connect, round-robin by worker.</param>
    /// <param name="serverPids">Processes whose CPU is reported as the server's (together).</param>
    /// <param name="databasePids">Lists the database's processes, for its CPU column; null when there is none.</param>
    public static async Task<LoadResult> RunAsync(
        IReadOnlyList<IPEndPoint> endPoints,
        IReadOnlyList<int> serverPids,
        Func<IReadOnlyList<int>>? databasePids,
        SigV4Signer signer,
        int connections,
        TimeSpan warmup,
        TimeSpan duration,
        Func<int, long, RequestSpec> next,
        CancellationToken ct)
    {
        var workers = new RawHttpConnection[connections];
        for (var i = 0; i < connections; i++)
        {
            workers[i] = new RawHttpConnection(endPoints[i % endPoints.Count]);
            await workers[i].ConnectAsync(ct);
        }

        var start = Stopwatch.GetTimestamp();
        var warmEnd = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var deadline = warmEnd + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var samples = new List<long>[connections];
        var errors = new long[connections];
        string? firstError = null;
        var tasks = new Task[connections];
        for (var w = 0; w < connections; w++)
        {
            var worker = w;
            samples[worker] = new List<long>(4096);
            tasks[worker] = Task.Run(async () =>
            {
                var connection = workers[worker];
                var own = samples[worker];
                long sequence = 0;
                while (true)
                {
                    var before = Stopwatch.GetTimestamp();
                    if (before >= deadline)
                    {
                        break;
                    }

                    var spec = next(worker, sequence++);
                    HttpResult result;
                    try
                    {
                        result = await connection.PostAsync(signer, spec.Target, spec.Service, spec.Body, captureBody: false, ct);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                    {
                        result = new HttpResult(0, System.Text.Encoding.UTF8.GetBytes(e.Message));
                        await connection.ConnectAsync(ct);
                    }

                    var after = Stopwatch.GetTimestamp();
                    if (before < warmEnd || after > deadline)
                    {
                        continue;
                    }

                    own.Add(after - before);
                    if (result.Status != 200)
                    {
                        errors[worker]++;
                        Interlocked.CompareExchange(ref firstError, $"HTTP {result.Status}: {Truncate(result.BodyText, 300)}", null);
                    }
                }
            }, ct);
        }

        await Task.Delay(warmup, ct);
        var cpu = CpuSampler.Start(serverPids, databasePids);
        await Task.WhenAll(tasks);
        var cpuUse = cpu.Stop();
        foreach (var worker in workers)
        {
            worker.Dispose();
        }

        var all = new long[samples.Sum(s => s.Count)];
        var offset = 0;
        foreach (var list in samples)
        {
            list.CopyTo(all, offset);
            offset += list.Count;
        }

        var perEndpoint = new long[endPoints.Count];
        for (var w = 0; w < connections; w++)
        {
            perEndpoint[w % endPoints.Count] += samples[w].Count;
        }

        Array.Sort(all);
        var seconds = duration.TotalSeconds;
        return new LoadResult(
            all.Length,
            errors.Sum(),
            seconds,
            all.Length / seconds,
            Percentile(all, 0.50),
            Percentile(all, 0.99),
            Percentile(all, 0.999),
            all.Length == 0 ? double.NaN : ToMs(all[^1]),
            firstError,
            cpuUse,
            perEndpoint);
    }

    /// <summary>Nearest-rank percentile of sorted Stopwatch ticks, in milliseconds.</summary>
    public static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return ToMs(sorted[Math.Clamp(rank, 0, sorted.Length - 1)]);
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
