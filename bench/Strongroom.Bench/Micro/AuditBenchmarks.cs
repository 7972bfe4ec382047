using BenchmarkDotNet.Attributes;
using Strongroom.Core.Audit;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Bench.Micro;

/// <summary>
/// AuditLog.AppendAsync of one GetSecretValue-shaped event on a temp SQLite store, awaited as ApiEndpoint
/// awaits it before answering: with one caller, every append is its own durable (synchronous=FULL)
/// transaction, so this is the floor under a single connection's request latency.
/// </summary>
[MemoryDiagnoser]
public class AuditBenchmarks
{
    private string _dir = null!;
    private SqliteStore _store = null!;
    private AuditLog _audit = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("strongroom-bench-audit-").FullName;
        _store = new SqliteStore(Path.Combine(_dir, "strongroom.db"));
        _store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        _audit = AuditLog.StartAsync(_store, CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _audit.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public Task AppendOneEvent() => _audit.AppendAsync(new AuditEvent
    {
        EventName = "GetSecretValue",
        EventSource = "secretsmanager.amazonaws.com",
        AwsRegion = "us-east-1",
        AccountId = "111122223333",
        EventTime = DateTimeOffset.UtcNow,
        RequestId = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
        UserIdentity = new AuditIdentity("IAMUser", "AIDABENCH", "arn:aws:iam::111122223333:user/admin", "111122223333", "AKIDBENCH", "admin"),
        SourceIpAddress = "127.0.0.1",
        RequestParametersJson = "{\"secretId\":\"bench/read/00042\"}",
        ReadOnly = true,
        Resources = [new AuditResource("arn:aws:secretsmanager:us-east-1:111122223333:secret:bench/read/00042-AbCdEf", "AWS::SecretsManager::Secret")],
    });
}
