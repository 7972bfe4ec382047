using System.Diagnostics;
using Strongroom.Core.Audit;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Bench;

/// <summary>
/// The audit writer alone, in process: <c>Strongroom.Bench audit-append</c> runs 32 callers that each append a
/// GetSecretValue-shaped record and await it (as ApiEndpoint does before answering) on a temp SQLite store for
/// --duration seconds, and prints durable records/s, process CPU µs per record and bytes allocated per record. No
/// HTTP, no client: what the trail itself costs per call, steadier on a busy machine than the end-to-end figure.
/// </summary>
internal static class AuditAppendLoad
{
    public static async Task<int> RunAsync(BenchOptions options)
    {
        var dir = Directory.CreateTempSubdirectory("strongroom-bench-append-").FullName;
        try
        {
            await using var store = new SqliteStore(Path.Combine(dir, "strongroom.db"));
            await store.InitializeAsync(CancellationToken.None);
            await using var audit = await AuditLog.StartAsync(store, CancellationToken.None);
            var callers = options.Connections.Max();
            foreach (var (phase, seconds) in new[] { ("warm-up", options.Warmup.TotalSeconds), ("measured", options.Duration.TotalSeconds) })
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: false);
                var clock = Stopwatch.StartNew();
                var deadline = TimeSpan.FromSeconds(seconds);
                var counts = await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
                {
                    var n = 0L;
                    while (clock.Elapsed < deadline)
                    {
                        await audit.AppendAsync(Event(c, n));
                        n++;
                    }

                    return n;
                })));
                var elapsed = clock.Elapsed.TotalSeconds;
                var total = counts.Sum();
                var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / total;
                var bytes = (GC.GetTotalAllocatedBytes(precise: false) - allocated) / total;
                if (phase == "measured")
                {
                    Console.WriteLine($"audit-append, {callers} callers: {total / elapsed:F0} durable records/s, {cpuUs:F1} µs CPU and {bytes:N0} B allocated per record");
                }
            }

            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static AuditEvent Event(int caller, long n) => new()
    {
        EventName = "GetSecretValue",
        EventSource = "secretsmanager.amazonaws.com",
        AwsRegion = "us-east-1",
        AccountId = "111122223333",
        EventTime = DateTimeOffset.UtcNow,
        RequestId = Guid.NewGuid().ToString(),
        UserIdentity = new AuditIdentity("IAMUser", "AIDABENCH", "arn:aws:iam::111122223333:user/admin", "111122223333", "AKIDBENCH", "admin"),
        SourceIpAddress = "127.0.0.1",
        UserAgent = "aws-cli/2.15.0 md/Botocore#2.15.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source",
        RequestParametersJson = $"{{\"secretId\":\"bench/read/{caller:D5}\"}}",
        ResponseElementsJson = "{\"arn\":\"arn:aws:secretsmanager:us-east-1:111122223333:secret:bench/read/00042-AbCdEf\",\"name\":\"bench/read/00042\",\"versionId\":\"" + Guid.NewGuid() + "\"}",
        ReadOnly = true,
        Resources = [new AuditResource($"arn:aws:secretsmanager:us-east-1:111122223333:secret:bench/read/{caller:D5}-AbCdEf", "AWS::SecretsManager::Secret")],
    };
}
