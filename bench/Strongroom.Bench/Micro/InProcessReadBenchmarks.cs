using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Strongroom.Core.Secrets;

namespace Strongroom.Bench.Micro;

/// <summary>
/// The store's point read (FindSecretByNameAsync + FindVersionByStageAsync, as GetSecretValue does) and
/// the whole SecretsService.GetSecretValueAsync, in-process over a temp database of 1,000 secrets.
/// Each call reads the next secret in turn. For scale, two lower bounds under the store's read:
/// opening a pooled connection (SqliteStore opens one per read), and the same point query as
/// FindSecretByName on a kept-open connection with a prepared command, not mapped to a record.
/// </summary>
[MemoryDiagnoser]
public class InProcessReadBenchmarks
{
    private InProcessFixture _fixture = null!;
    private string[] _names = null!;
    private int _next;
    private string _connectionString = null!;
    private SqliteConnection _kept = null!;
    private SqliteCommand _query = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = InProcessFixture.CreateAsync().GetAwaiter().GetResult();
        _names = [.. Enumerable.Range(0, InProcessFixture.Count).Select(InProcessFixture.Name)];
        // The same connection string SqliteStore builds.
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_fixture.Dir, "strongroom.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _kept = new SqliteConnection(_connectionString);
        _kept.Open();
        _query = _kept.CreateCommand();
        _query.CommandText = "SELECT id, region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta FROM secrets WHERE region = $r AND name = $n";
        _query.Parameters.Add("$r", SqliteType.Text).Value = InProcessFixture.Region;
        _query.Parameters.Add("$n", SqliteType.Text);
        _query.Prepare();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _query.Dispose();
        _kept.Dispose();
        _fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public int SqliteOpenPooledConnection()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection.ServerVersion.Length;
    }

    [Benchmark]
    public long SqlitePointQueryKeptConnection()
    {
        _query.Parameters[1].Value = NextName();
        using var reader = _query.ExecuteReader();
        return reader.Read() ? reader.GetInt64(0) + reader.GetString(8).Length : 0;
    }

    private string NextName() => _names[_next++ % _names.Length];

    [Benchmark]
    public async Task<SecretRecord?> StoreFindSecretByName() =>
        await _fixture.Store.FindSecretByNameAsync(InProcessFixture.Region, NextName(), CancellationToken.None);

    [Benchmark]
    public async Task<SecretVersionRecord?> StoreFindSecretAndCurrentVersion()
    {
        var secret = await _fixture.Store.FindSecretByNameAsync(InProcessFixture.Region, NextName(), CancellationToken.None);
        return await _fixture.Store.FindVersionByStageAsync(secret!.Id, StagingLabels.Current, CancellationToken.None);
    }

    [Benchmark]
    public async Task<int> ServiceGetSecretValue()
    {
        using var result = await _fixture.Service.Reads.GetSecretValueAsync(InProcessFixture.Region, NextName(), null, null, CancellationToken.None);
        return result.Value.Text!.Length;
    }
}
