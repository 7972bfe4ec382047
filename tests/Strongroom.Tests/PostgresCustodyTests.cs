using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Several nodes on one PostgreSQL database under the same custody: the root key in one PKCS#11 token (SoftHSM2, the
/// token directory shared by the nodes as an HSM is shared by hosts), each node with a copy of root.key.pkcs11. Both
/// nodes serve the same secrets; a node with another key or without the token is refused, one whose KMS is unreachable
/// starts sealed, and each says why.
/// </summary>
[Collection("processes")]
public sealed class PostgresCustodyTests : IClassFixture<PostgresServer>, IDisposable
{
    private readonly PostgresServer _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-pgcustody-").FullName;
    private readonly SoftHsmToken _token = new();

    public PostgresCustodyTests(PostgresServer postgres) => _postgres = postgres;

    public void Dispose()
    {
        _token.Dispose();
        Directory.Delete(_dir, true);
    }

    private static Dictionary<string, string> With(Dictionary<string, string> environment, string connectionString)
    {
        foreach (var (name, value) in ServerProcess.PostgresEnvironment(connectionString))
        {
            environment[name] = value;
        }

        return environment;
    }

    private string JoiningNode(string name, string firstNode)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Copy(Path.Combine(firstNode, "root.key.pkcs11"), Path.Combine(dir, "root.key.pkcs11"));
        return dir;
    }

    [Fact]
    public async Task TwoNodesOneTokenOneDatabase_ServeTheSameSecrets_ANodeWithAnotherKeyOrNoToken_StaysOutSayingWhy()
    {
        var cs = _postgres.CreateDatabase();
        var dirA = Path.Combine(_dir, "a");
        await using var a = await ServerProcess.StartAsync(dirA, environment: With(_token.Environment(), cs), extra: _token.Flags());
        var dirB = JoiningNode("b", dirA);
        await using var b = await ServerProcess.StartAsync(dirB, environment: With(_token.Environment(), cs));
        Assert.False(File.Exists(Path.Combine(dirA, "root.key")));
        Assert.False(File.Exists(Path.Combine(dirB, "root.key")));

        var credentials = Path.Combine(dirA, "admin.credentials");
        using var viaA = TestSigner.FromCredentialsFile(a.Endpoint, credentials);
        using var viaB = TestSigner.FromCredentialsFile(b.Endpoint, credentials);
        Assert.Equal(200, (await viaA.CallAsync("CreateSecret", new { Name = "hsm/shared", SecretString = "from-a", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        var (status, body) = await viaB.CallAsync("GetSecretValue", new { SecretId = "hsm/shared" });
        Assert.True(status == 200, body.ToString());
        Assert.Equal("from-a", body.GetProperty("SecretString").GetString());

        // A KMS key made on B (its material sealed by the token through B's session) encrypts on B and decrypts on A.
        var keyId = (await viaB.KmsAsync("CreateKey", new { Description = "made on b" })).Body.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        var blob = (await viaB.KmsAsync("Encrypt", new { KeyId = keyId, Plaintext = Convert.ToBase64String("across-nodes"u8.ToArray()) })).Body.GetProperty("CiphertextBlob").GetString()!;
        var (decrypted, plain) = await viaA.KmsAsync("Decrypt", new { CiphertextBlob = blob });
        Assert.True(decrypted == 200, plain.ToString());
        Assert.Equal("across-nodes", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(plain.GetProperty("Plaintext").GetString()!)));

        // Another token whose key has the same label: not this database's key.
        using var impostor = new SoftHsmToken(_token.Label);
        var impostorSetup = Path.Combine(_dir, "impostor-setup");
        await using (var other = await ServerProcess.StartAsync(impostorSetup, environment: impostor.Environment(), extra: impostor.Flags()))
        {
            Assert.Equal(0, await other.TerminateAsync());
        }

        var dirC = JoiningNode("c", dirA);
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(With(impostor.Environment(), cs), "server", "--data-dir", dirC, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("does not open the record key in root.key.pkcs11", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        // No token at all (the HSM unreachable from this node).
        using var unrelated = new SoftHsmToken("unrelated");
        var noToken = new Dictionary<string, string>(_token.Environment()) { ["SOFTHSM2_CONF"] = unrelated.ConfigFile };
        (code, output) = await ServerProcess.RunWithEnvironmentAsync(With(noToken, cs), "server", "--data-dir", dirC, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains($"has no token labelled '{_token.Label}' present", output, StringComparison.Ordinal);

        // A node that brings another key (a file root key of its own) is refused by the database.
        var dirD = Path.Combine(_dir, "d");
        Directory.CreateDirectory(dirD);
        File.SetUnixFileMode(dirD, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(Path.Combine(dirD, "root.key"), "strongroom-root-key 1\n" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(Path.Combine(dirD, "root.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (code, output) = await ServerProcess.RunWithEnvironmentAsync(ServerProcess.PostgresEnvironment(cs), "server", "--data-dir", dirD, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("is not the key this database is under", output, StringComparison.Ordinal);

        // A node whose custody is a KMS it cannot reach starts sealed on the same database, says why, serves nothing.
        var dirE = Path.Combine(_dir, "e");
        Directory.CreateDirectory(dirE);
        File.SetUnixFileMode(dirE, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var unreachable = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        await File.WriteAllTextAsync(Path.Combine(dirE, "root.key.kms"), $$"""{"v":1,"mode":"kms","fingerprint":"0011223344556677","keyId":"arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000","endpointUrl":"{{unreachable}}","region":"us-east-1","deployment":"node-e","ciphertext":"AAAA"}""");
        var kmsEnvironment = With(new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE", ["AWS_SECRET_ACCESS_KEY"] = "not-a-real-secret", ["AWS_CONFIG_FILE"] = "/dev/null" }, cs);
        await using (var e = await ServerProcess.StartSealedAsync(dirE, environment: kmsEnvironment))
        {
            using var http = new HttpClient();
            using var ready = await http.GetAsync(new Uri(e.Endpoint, "/health/ready"));
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains($"sealed: the KMS at {unreachable}", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var viaE = TestSigner.FromCredentialsFile(e.Endpoint, credentials);
            var (sealedStatus, error) = await viaE.CallAsync("GetSecretValue", new { SecretId = "hsm/shared" });
            Assert.Equal(503, sealedStatus);
            Assert.Equal("ServiceUnavailable", error.GetProperty("__type").GetString());
            Assert.Equal(0, await e.TerminateAsync());
        }

        // The two nodes still serve, each the other's writes.
        Assert.Equal(200, (await viaB.CallAsync("PutSecretValue", new { SecretId = "hsm/shared", SecretString = "from-b", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        Assert.Equal("from-b", (await viaA.CallAsync("GetSecretValue", new { SecretId = "hsm/shared" })).Body.GetProperty("SecretString").GetString());
        Assert.Equal(0, await a.TerminateAsync());
        Assert.Equal(0, await b.TerminateAsync());
        Assert.DoesNotContain("from-a", a.Output + b.Output, StringComparison.Ordinal);
    }
}
