using System.Text.Json;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Several `strongroom server` processes on one PostgreSQL database (a throw-away cluster for this class): they share
/// the root key (root.key copied into each node's data directory) and nothing else, and any node answers any request.
/// </summary>
[Collection("processes")]
public sealed class PostgresNodesTests : IClassFixture<PostgresServer>, IDisposable
{
    private readonly PostgresServer _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-pgnodes-").FullName;

    public PostgresNodesTests(PostgresServer postgres) => _postgres = postgres;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Dictionary<string, string> Storage(string connectionString) => ServerProcess.PostgresEnvironment(connectionString);

    private static string PasswordOf(string connectionString) => new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Password!;

    private string JoiningNode(string name, string firstNode)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Copy(Path.Combine(firstNode, "root.key"), Path.Combine(dir, "root.key"));
        return dir;
    }

    [Fact]
    public async Task TwoNodes_OneDatabase_EachReadsTheOthersWritesAtOnceAndTheTrailIsOneChain()
    {
        var cs = _postgres.CreateDatabase();
        var dirA = Path.Combine(_dir, "a");
        await using var a = await ServerProcess.StartAsync(dirA, environment: Storage(cs), extra: ["--audit-digest-interval", "1s"]);
        var dirB = JoiningNode("b", dirA);
        await using var b = await ServerProcess.StartAsync(dirB, environment: Storage(cs), extra: ["--audit-digest-interval", "1s"]);

        // The database holds the admin's key; the joining node makes no second one.
        Assert.False(File.Exists(Path.Combine(dirB, "admin.credentials")));
        var credentials = Path.Combine(dirA, "admin.credentials");
        using var viaA = TestSigner.FromCredentialsFile(a.Endpoint, credentials);
        using var viaB = TestSigner.FromCredentialsFile(b.Endpoint, credentials);

        var (created, createBody) = await viaA.CallAsync("CreateSecret", new { Name = "shared/db", SecretString = "from-a", ClientRequestToken = Guid.NewGuid().ToString() });
        Assert.Equal(200, created);
        var (read, readBody) = await viaB.CallAsync("GetSecretValue", new { SecretId = "shared/db" });
        Assert.Equal(200, read);
        Assert.Equal("from-a", readBody.GetProperty("SecretString").GetString());
        Assert.Equal(createBody.GetProperty("ARN").GetString(), readBody.GetProperty("ARN").GetString());

        var (put, _) = await viaB.CallAsync("PutSecretValue", new { SecretId = "shared/db", SecretString = "from-b", ClientRequestToken = Guid.NewGuid().ToString() });
        Assert.Equal(200, put);
        var (again, againBody) = await viaA.CallAsync("GetSecretValue", new { SecretId = "shared/db" });
        Assert.Equal(200, again);
        Assert.Equal("from-b", againBody.GetProperty("SecretString").GetString());

        // Both nodes write audit records at once: one chain, no fork.
        var calls = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? viaA : viaB).CallAsync("DescribeSecret", new { SecretId = "shared/db" }));
        Assert.All(await Task.WhenAll(calls), r => Assert.Equal(200, r.Status));
        Assert.Equal(0, await a.TerminateAsync());
        Assert.Equal(0, await b.TerminateAsync());

        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(Storage(cs), "audit", "verify", "--data-dir", dirA);
        Assert.True(code == 0, output);
        Assert.Contains("OK: verified", output, StringComparison.Ordinal);
        var (exported, lines) = await ServerProcess.RunWithEnvironmentAsync(Storage(cs), "audit", "export", "--data-dir", dirB);
        Assert.Equal(0, exported);
        var records = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, records.Count(r => r.GetProperty("eventName").GetString() == "ServerStarted"));
        Assert.Equal(40, records.Count(r => r.GetProperty("eventName").GetString() == "DescribeSecret"));

        foreach (var log in new[] { a.Output, b.Output, output })
        {
            Assert.DoesNotContain(PasswordOf(cs), log, StringComparison.Ordinal);
            Assert.DoesNotContain("from-a", log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task JoiningNode_WithoutTheRootKey_RefusesToStartAndSaysWhy()
    {
        var cs = _postgres.CreateDatabase();
        var dirA = Path.Combine(_dir, "a");
        await using (var a = await ServerProcess.StartAsync(dirA, environment: Storage(cs)))
        {
            Assert.Equal(0, await a.TerminateAsync());
        }

        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(Storage(cs), "server", "--data-dir", Path.Combine(_dir, "b"), "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("copy the root key (root.key)", output, StringComparison.Ordinal);
        Assert.DoesNotContain(PasswordOf(cs), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_PostgresWithoutConnectionString_OrUnreadableOne_AreRefusedWithoutShowingIt()
    {
        var (code, output) = await ServerProcess.RunAsync("server", "--data-dir", Path.Combine(_dir, "x"), "--storage", "postgres");
        Assert.Equal(2, code);
        Assert.Contains("--storage postgres needs --postgres", output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(new Dictionary<string, string> { ["STRONGROOM_STORAGE"] = "postgres", ["STRONGROOM_POSTGRES"] = "Host=db;Password=hunter2-secret;broken" }, "server", "--data-dir", Path.Combine(_dir, "x"));
        Assert.Equal(2, code);
        Assert.Contains("--postgres: not a valid connection string", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", output, StringComparison.Ordinal);

        var config = Path.Combine(_dir, "strongroom.json");
        await File.WriteAllTextAsync(config, "{\"storage\": \"postgres\", \"postgres\": \"Host=db;Password=from-file-secret;=\"}");
        (code, output) = await ServerProcess.RunAsync("server", "--config", config, "--data-dir", Path.Combine(_dir, "x"));
        Assert.Equal(2, code);
        Assert.Contains("--postgres: not a valid connection string", output, StringComparison.Ordinal);
        Assert.DoesNotContain("from-file-secret", output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunAsync("server", "--data-dir", Path.Combine(_dir, "x"), "--postgres", "Host=db");
        Assert.Equal(2, code);
        Assert.Contains("--postgres is set but --storage is sqlite", output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunAsync("server", "--data-dir", Path.Combine(_dir, "x"), "--storage", "mysql");
        Assert.Equal(2, code);
        Assert.Contains("--storage: 'mysql' is not sqlite or postgres", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }

    [Fact]
    public async Task DatabaseStopped_NodeIsNotReadyAndAnswers503_ThenRecoversByItself()
    {
        var cs = _postgres.CreateDatabase();
        var dir = Path.Combine(_dir, "a");
        await using var node = await ServerProcess.StartAsync(dir, environment: Storage(cs));
        using var client = TestSigner.FromCredentialsFile(node.Endpoint, Path.Combine(dir, "admin.credentials"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "outage", SecretString = "v1", ClientRequestToken = Guid.NewGuid().ToString() })).Status);

        _postgres.Stop();
        try
        {
            var ready = await http.GetAsync(new Uri(node.Endpoint, "/health/ready"));
            Assert.Equal(503, (int)ready.StatusCode);
            Assert.Contains("store unavailable", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            var (status, body) = await client.CallAsync("GetSecretValue", new { SecretId = "outage" });
            Assert.Equal(503, status);
            Assert.Equal("ServiceUnavailable", body.GetProperty("__type").GetString());
            Assert.Contains("database", body.GetProperty("Message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            _postgres.Start();
        }

        // No restart of the node: the pool reconnects. Pooled connections that died with the server may fail once.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var recovered = false;
        while (!recovered && DateTime.UtcNow < deadline)
        {
            recovered = (await http.GetAsync(new Uri(node.Endpoint, "/health/ready"))).IsSuccessStatusCode
                && (await client.CallAsync("GetSecretValue", new { SecretId = "outage" })).Status == 200;
            if (!recovered)
            {
                await Task.Delay(200);
            }
        }

        Assert.True(recovered, node.Output);
        var (getStatus, getBody) = await client.CallAsync("GetSecretValue", new { SecretId = "outage" });
        Assert.Equal(200, getStatus);
        Assert.Equal("v1", getBody.GetProperty("SecretString").GetString());
        Assert.Contains("\"EventId\":1003", node.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(PasswordOf(cs), node.Output, StringComparison.Ordinal);
        Assert.Equal(0, await node.TerminateAsync());
    }
}
