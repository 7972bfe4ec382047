using System.Net;
using System.Text.Json;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Auto-unseal through a KMS: one Strongroom server is the KMS of another.</summary>
[Collection("processes")]
public sealed class KmsAutoUnsealTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-kms-").FullName;

    private string KmsDir => Path.Combine(_dir, "kms");

    private string DataDir => Path.Combine(_dir, "data");

    public void Dispose() => Directory.Delete(_dir, true);

    private Dictionary<string, string> KmsCredentials() => new()
    {
        ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(KmsDir, "admin.credentials"),
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_REGION"] = "us-east-1",
    };

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(ServerProcess server)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(server.Endpoint, "/health/ready"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> MetricsAsync(ServerProcess server)
    {
        using var http = new HttpClient();
        return "\n" + await http.GetStringAsync(new Uri(server.Endpoint, "/metrics"));
    }

    private static async Task WaitForReasonAsync(ServerProcess server, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            (_, last) = await ReadyAsync(server);
            if (last.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"/health/ready never said '{text}'; last: {last}");
    }

    [Fact]
    public async Task UnreachableOrDisabledKms_StaysSealed_ReenabledKey_Unseals()
    {
        var kmsPort = ServerProcess.FreePort();
        string keyArn;
        string[] flags;
        await using (var kms = await ServerProcess.StartAsync(KmsDir, port: kmsPort))
        {
            using var admin = TestSigner.FromCredentialsFile(kms.Endpoint, Path.Combine(KmsDir, "admin.credentials"));
            var (_, key) = await admin.KmsAsync("CreateKey", new { Description = "root key of the other deployment" });
            keyArn = key.GetProperty("KeyMetadata").GetProperty("Arn").GetString()!;
            flags = ["--root-key", "kms", "--root-key-kms-key-id", keyArn, "--root-key-kms-endpoint-url", kms.Endpoint.ToString(), "--root-key-kms-retry", "1s"];

            await using (var server = await ServerProcess.StartAsync(DataDir, environment: KmsCredentials(), extra: flags))
            {
                using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
                Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "auto", SecretString = "unsealed-by-kms", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
                Assert.Equal(0, await server.TerminateAsync());
            }

            var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key.kms"))).RootElement;
            Assert.Equal(keyArn, state.GetProperty("keyId").GetString());
            Assert.Empty(KeyMaterialScan.FilesHolding(DataDir, state.GetProperty("fingerprint").GetString()!));

            // The KMS's own trail shows the Encrypt with this deployment's encryption context.
            Assert.Equal(0, await kms.TerminateAsync());
        }

        var (_, kmsTrail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", KmsDir);
        Assert.Contains("\"eventName\":\"Encrypt\"", kmsTrail, StringComparison.Ordinal);
        Assert.Contains("strongroom:root-key", kmsTrail, StringComparison.Ordinal);

        // The KMS is down: the server starts sealed and says why.
        await using var sealedServer = await ServerProcess.StartSealedAsync(DataDir, environment: KmsCredentials());
        var (status, body) = await ReadyAsync(sealedServer);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("sealed: the KMS at", body, StringComparison.Ordinal);
        // The alert rule StrongroomSealed (docs/operations/alerts.yml) reads this gauge.
        Assert.Contains("\nstrongroom_sealed 1\n", await MetricsAsync(sealedServer), StringComparison.Ordinal);
        using (var client = TestSigner.FromCredentialsFile(sealedServer.Endpoint, Path.Combine(DataDir, "admin.credentials")))
        {
            var (code, error) = await client.CallAsync("GetSecretValue", new { SecretId = "auto" });
            Assert.Equal(503, code);
            Assert.Equal("ServiceUnavailable", error.GetProperty("__type").GetString());
        }

        // The KMS is back but the key is disabled: still sealed, refused.
        await using var kmsAgain = await ServerProcess.StartAsync(KmsDir, port: kmsPort);
        using var kmsAdmin = TestSigner.FromCredentialsFile(kmsAgain.Endpoint, Path.Combine(KmsDir, "admin.credentials"));
        Assert.Equal(200, (await kmsAdmin.KmsAsync("DisableKey", new { KeyId = keyArn })).Status);
        await WaitForReasonAsync(sealedServer, "DisabledException");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyAsync(sealedServer)).Status);

        // Re-enabled: the server unseals by itself and serves the secret.
        Assert.Equal(200, (await kmsAdmin.KmsAsync("EnableKey", new { KeyId = keyArn })).Status);
        await sealedServer.WaitUntilAsync("/health/ready");
        using (var client = TestSigner.FromCredentialsFile(sealedServer.Endpoint, Path.Combine(DataDir, "admin.credentials")))
        {
            var (code, value) = await client.CallAsync("GetSecretValue", new { SecretId = "auto" });
            Assert.True(code == 200, value.ToString());
            Assert.Equal("unsealed-by-kms", value.GetProperty("SecretString").GetString());
        }

        Assert.Contains("\nstrongroom_sealed 0\n", await MetricsAsync(sealedServer), StringComparison.Ordinal);

        Assert.Equal(0, await sealedServer.TerminateAsync());
        Assert.Equal(0, await kmsAgain.TerminateAsync());
        (_, kmsTrail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", KmsDir);
        Assert.Contains("\"eventName\":\"Decrypt\"", kmsTrail, StringComparison.Ordinal);
    }
}
