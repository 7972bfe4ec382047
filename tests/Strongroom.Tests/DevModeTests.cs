using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// `server --dev` cannot reach real data: with a real deployment's settings in its environment and config file it still
/// runs on its own temporary SQLite store and file root key (the deployment's PostgreSQL database and data directory
/// are compared before and after), it refuses store, root-key and config flags and non-loopback addresses, and its
/// "any unknown key is the admin" convenience never exists on a normal server.
/// </summary>
[Collection("processes")]
public sealed class DevModeTests : IClassFixture<PostgresServer>, IDisposable
{
    private readonly PostgresServer _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-devmode-").FullName;

    public DevModeTests(PostgresServer postgres) => _postgres = postgres;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A deployment's settings: PostgreSQL in the environment and in a config file, a data directory, an env root key.</summary>
    private Dictionary<string, string> ProductionEnvironment(string connectionString, string dataDir)
    {
        var config = Path.Combine(_dir, "strongroom.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["storage"] = "postgres",
            ["postgres"] = connectionString,
            ["data-dir"] = dataDir,
            ["listen"] = "0.0.0.0:4566",
            ["audit-file"] = Path.Combine(dataDir, "siem.jsonl"),
        }));
        var environment = ServerProcess.PostgresEnvironment(connectionString);
        environment["STRONGROOM_CONFIG"] = config;
        environment["STRONGROOM_DATA_DIR"] = dataDir;
        environment["STRONGROOM_ROOT_KEY_PROVIDER"] = "env";
        environment["STRONGROOM_ROOT_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        return environment;
    }

    /// <summary>Every table of every schema, its row count and a digest of all its rows, in one ordered text.</summary>
    private async Task<string> SnapshotAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var conn = new NpgsqlConnection(_postgres.SocketConnectionString(database));
        await conn.OpenAsync();
        var tables = new List<(string Schema, string Name)>();
        await using (var list = new NpgsqlCommand("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2", conn))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var snapshot = new StringBuilder();
        foreach (var (schema, name) in tables)
        {
            await using var digest = new NpgsqlCommand($"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{schema}\".\"{name}\" t", conn);
            await using var reader = await digest.ExecuteReaderAsync();
            await reader.ReadAsync();
            snapshot.Append(schema).Append('.').Append(name).Append(' ').Append(reader.GetInt64(0)).Append(' ').AppendLine(reader.GetString(1));
        }

        return snapshot.ToString();
    }

    /// <summary>How many sessions other than this check's are connected to the database.</summary>
    private async Task<long> SessionsAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var conn = new NpgsqlConnection(_postgres.SocketConnectionString(database));
        await conn.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", conn);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static string DirectorySnapshot(string dir) => !Directory.Exists(dir) ? "(none)" : string.Join('\n',
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => f + " " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))));

    /// <summary>Starts a dev server with <paramref name="environment"/>, writes through it (test/test and an unknown key), checks the database meanwhile.</summary>
    private async Task<string> RunDevServerAsync(Dictionary<string, string> environment, string connectionString)
    {
        await using var dev = await ServerProcess.StartAsync(null, dev: true, environment: environment);
        var ignored = IgnoredLine(dev.Output);
        Assert.All(environment.Keys, name => Assert.Contains(name, ignored, StringComparison.Ordinal));
        Assert.Contains("its own temporary SQLite store and file root key only", dev.Output, StringComparison.Ordinal);
        using (var admin = new TestSigner(dev.Endpoint, "test", "test"))
        {
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "dev/only", SecretString = "dev-value", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            Assert.Equal(200, (await admin.KmsAsync("CreateKey", new { Description = "dev key" })).Status);
        }

        using (var anyone = new TestSigner(dev.Endpoint, "anything", "whatever"))
        {
            Assert.Equal(200, (await anyone.CallAsync("CreateSecret", new { Name = "dev/any", SecretString = "x", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        }

        Assert.Equal(0, await SessionsAsync(connectionString));
        Assert.Equal(0, await dev.TerminateAsync());
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(connectionString).Password!, dev.Output, StringComparison.Ordinal);
        return dev.Output;
    }

    [Fact]
    public async Task DevServer_ProductionPostgresInEnvironmentAndConfig_LeavesThatDatabaseAndDataDirectoryUntouched()
    {
        // A deployment: a normal server initialised the database (tables, the admin's key, the default KMS key, audit trail).
        var cs = _postgres.CreateDatabase();
        var dataDir = Path.Combine(_dir, "production");
        var environment = ProductionEnvironment(cs, dataDir);
        await using (var production = await ServerProcess.StartAsync(dataDir, environment: ServerProcess.PostgresEnvironment(cs)))
        {
            using var admin = TestSigner.FromCredentialsFile(production.Endpoint, Path.Combine(dataDir, "admin.credentials"));
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "prod/db", SecretString = "prod-value", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            Assert.Equal(0, await production.TerminateAsync());
        }

        var before = await SnapshotAsync(cs);
        Assert.Contains("access_keys 1 ", before, StringComparison.Ordinal);
        var filesBefore = DirectorySnapshot(dataDir);

        await RunDevServerAsync(environment, cs);

        Assert.Equal(before, await SnapshotAsync(cs));
        Assert.Equal(filesBefore, DirectorySnapshot(dataDir));
    }

    [Fact]
    public async Task DevServer_EmptyProductionDatabaseInEnvironment_CreatesNoTable()
    {
        var cs = _postgres.CreateDatabase();
        var dataDir = Path.Combine(_dir, "never-created");
        Assert.Equal(string.Empty, await SnapshotAsync(cs));

        var output = await RunDevServerAsync(ProductionEnvironment(cs, dataDir), cs);

        Assert.Equal(string.Empty, await SnapshotAsync(cs));
        Assert.False(Directory.Exists(dataDir));
        Assert.False(File.Exists(Path.Combine(dataDir, "siem.jsonl")));
        Assert.DoesNotContain("0.0.0.0", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--storage", "postgres")]
    [InlineData("--postgres", "Host=127.0.0.1;Database=production")]
    [InlineData("--data-dir", "/var/lib/strongroom")]
    [InlineData("--config", "/etc/strongroom.json")]
    [InlineData("--root-key-provider", "env")]
    [InlineData("--root-key-env", "PRODUCTION_ROOT_KEY")]
    [InlineData("--passphrase-file", "/etc/strongroom.pass")]
    [InlineData("--passphrase-env", "PRODUCTION_PASSPHRASE")]
    public async Task DevServer_StoreRootKeyOrConfigFlag_RefusedNamingTheFlag(string flag, string value)
    {
        var (code, output) = await ServerProcess.RunAsync("server", "--dev", "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", flag, value);
        Assert.Equal(2, code);
        Assert.Contains($"--dev refuses {flag}: a dev server runs only on its own temporary SQLite store and file root key", output, StringComparison.Ordinal);
        Assert.DoesNotContain("DEV MODE", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("[::]")]
    [InlineData("192.0.2.10")]
    [InlineData("example.com")]
    public async Task DevServer_NonLoopbackListen_Refused(string host)
    {
        var port = ServerProcess.FreePort();
        var (code, output) = await ServerProcess.RunAsync("server", "--dev", "--listen", $"{host}:{port}");
        Assert.Equal(2, code);
        Assert.Contains("--dev listens on loopback only", output, StringComparison.Ordinal);

        // TLS does not lift it: a dev server takes any key as the admin, so it is never reachable from the network.
        var (tlsCode, tlsOutput) = await ServerProcess.RunAsync("server", "--dev", "--listen", $"{host}:{port}", "--tls-cert", "cert.pem", "--tls-key", "key.pem");
        Assert.Equal(2, tlsCode);
        Assert.Contains("--dev listens on loopback only", tlsOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevServer_UnreadableConfigFileInEnvironment_NotEvenRead()
    {
        var environment = new Dictionary<string, string> { ["STRONGROOM_CONFIG"] = Path.Combine(_dir, "missing.json") };
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, "server", "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--data-dir", Path.Combine(_dir, "normal"));
        Assert.Equal(2, code);
        Assert.Contains("missing.json' cannot be read", output, StringComparison.Ordinal);

        await using var dev = await ServerProcess.StartAsync(null, dev: true, environment: environment);
        Assert.Contains("STRONGROOM_CONFIG", IgnoredLine(dev.Output), StringComparison.Ordinal);
        Assert.Equal(0, await dev.TerminateAsync());
    }

    private static string IgnoredLine(string output) =>
        output.Split('\n').SingleOrDefault(line => line.StartsWith("strongroom: --dev ignores ", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException("no '--dev ignores' line in:\n" + output);

    [Fact]
    public async Task NormalServer_UnknownAccessKeyId_RefusedOnEveryProtocol_NeverTheAdmin()
    {
        var dataDir = Path.Combine(_dir, "normal");
        await using var server = await ServerProcess.StartAsync(dataDir);
        using (var admin = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(dataDir, "admin.credentials")))
        {
            Assert.Equal(200, (await admin.CallAsync("ListSecrets", new { })).Status);
        }

        // "test" is the dev server's key; "anything" and "AKIAUNKNOWN" do not look issued, which a dev server would take as the admin.
        foreach (var keyId in new[] { "test", "anything", "AKIAUNKNOWN" })
        {
            using var unknown = new TestSigner(server.Endpoint, keyId, "test");
            foreach (var (status, body) in new[] { await unknown.CallAsync("ListSecrets", new { }), await unknown.KmsAsync("ListKeys", new { }), await unknown.CallAsync("ssm", "DescribeParameters", new { }, CancellationToken.None) })
            {
                Assert.Equal(400, status);
                Assert.Equal("UnrecognizedClientException", body.GetProperty("__type").GetString());
            }

            foreach (var (service, action) in new[] { ("iam", "GetUser"), ("sts", "GetCallerIdentity") })
            {
                var (status, xml) = await unknown.QueryAsync(service, new Dictionary<string, string> { ["Action"] = action, ["Version"] = service == "iam" ? "2010-05-08" : "2011-06-15" });
                Assert.Equal(403, status);
                Assert.Contains("<Code>InvalidClientTokenId</Code>", xml, StringComparison.Ordinal);
            }
        }

        Assert.Equal(0, await server.TerminateAsync());
    }
}
