using System.Security.Cryptography;
using System.Text.Json;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Root-key providers and rotation, against real processes.</summary>
[Collection("processes")]
public sealed class RootKeyCustodyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-root-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    private string RootKeyFile => Path.Combine(DataDir, "root.key");

    private string Credentials => Path.Combine(DataDir, "admin.credentials");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Creates a customer key, an alias and three secrets (AWS managed key and customer key) and returns a KMS ciphertext.</summary>
    private async Task<string> SeedAsync(ServerProcess server)
    {
        using var client = TestSigner.FromCredentialsFile(server.Endpoint, Credentials);
        var (_, key) = await client.KmsAsync("CreateKey", new { Description = "custody" });
        var keyId = key.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        Assert.Equal(200, (await client.KmsAsync("CreateAlias", new { AliasName = "alias/custody", TargetKeyId = keyId })).Status);
        Assert.Equal(200, (await client.KmsAsync("RotateKeyOnDemand", new { KeyId = keyId })).Status);
        Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "default-key", SecretString = "v-default", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "customer-key", SecretString = "v-customer", KmsKeyId = "alias/custody", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        var (_, encrypted) = await client.KmsAsync("Encrypt", new { KeyId = "alias/custody", Plaintext = Convert.ToBase64String("kms-plaintext"u8.ToArray()), EncryptionContext = new Dictionary<string, string> { ["k"] = "v" } });
        return encrypted.GetProperty("CiphertextBlob").GetString()!;
    }

    private async Task VerifyAsync(ServerProcess server, string ciphertext)
    {
        using var client = TestSigner.FromCredentialsFile(server.Endpoint, Credentials);
        Assert.Equal("v-default", (await client.CallAsync("GetSecretValue", new { SecretId = "default-key" })).Body.GetProperty("SecretString").GetString());
        Assert.Equal("v-customer", (await client.CallAsync("GetSecretValue", new { SecretId = "customer-key" })).Body.GetProperty("SecretString").GetString());
        var (status, decrypted) = await client.KmsAsync("Decrypt", new { CiphertextBlob = ciphertext, EncryptionContext = new Dictionary<string, string> { ["k"] = "v" } });
        Assert.True(status == 200, decrypted.ToString());
        Assert.Equal("kms-plaintext", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(decrypted.GetProperty("Plaintext").GetString()!)));
        // New material and new wraps work under the current root key.
        Assert.Equal(200, (await client.KmsAsync("CreateKey", new { Description = "after" })).Status);
        Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "after-" + Guid.NewGuid().ToString("N"), SecretString = "new", KmsKeyId = "alias/custody", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
    }

    private Task<(int ExitCode, string Output)> RotateAsync() => ServerProcess.RunAsync("admin", "rotate-root-key", "--data-dir", DataDir);

    /// <summary>Runs the rotation in the fault host and proves it was killed at <paramref name="point"/>, not earlier or otherwise.</summary>
    private async Task KillRotationAtAsync(string point)
    {
        var (code, output) = await ServerProcess.RunAtFaultAsync(point, "admin", "rotate-root-key", "--data-dir", DataDir);
        Assert.True(code == 137, $"exit code {code}: {output}");
        Assert.Contains("fault host: killed at " + point, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Completed the root-key rotation", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateRootKey_ServerStopped_EverythingStillDecrypts()
    {
        string ciphertext;
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            ciphertext = await SeedAsync(server);
            await server.TerminateAsync();
        }

        var before = await File.ReadAllTextAsync(RootKeyFile);
        var (code, output) = await RotateAsync();
        Assert.True(code == 0, output);
        Assert.Contains("Completed the root-key rotation: re-wrapped", output, StringComparison.Ordinal);
        Assert.NotEqual(before, await File.ReadAllTextAsync(RootKeyFile));
        Assert.False(File.Exists(RootKeyFile + ".next"));

        await using var restarted = await ServerProcess.StartAsync(DataDir);
        await VerifyAsync(restarted, ciphertext);
        await restarted.TerminateAsync();
        var (_, trail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", DataDir);
        Assert.Contains("\"eventName\":\"RootKeyRotated\"", trail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("after-next")]
    [InlineData("after-commit")]
    public async Task RotateRootKey_KilledMidway_LosesNothingAndCompletes(string point)
    {
        string ciphertext;
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            ciphertext = await SeedAsync(server);
            await server.TerminateAsync();
        }

        await KillRotationAtAsync(point);
        Assert.True(File.Exists(RootKeyFile + ".next"));

        // Resume with the command: it completes the same rotation (or finishes the promotion).
        var (code, output) = await RotateAsync();
        Assert.True(code == 0, output);
        Assert.Contains(point == "after-commit" ? "completed an interrupted root-key rotation" : "Resumed and completed", output, StringComparison.Ordinal);
        Assert.False(File.Exists(RootKeyFile + ".next"));
        await using var restarted = await ServerProcess.StartAsync(DataDir);
        await VerifyAsync(restarted, ciphertext);
    }

    [Theory]
    [InlineData("after-next", "rolled back")]
    [InlineData("after-commit", "completed")]
    public async Task ServerStart_AfterInterruptedRotation_RecoversByItself(string point, string recovery)
    {
        string ciphertext;
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            ciphertext = await SeedAsync(server);
            await server.TerminateAsync();
        }

        await KillRotationAtAsync(point);
        await using var restarted = await ServerProcess.StartAsync(DataDir);
        Assert.Contains(recovery + " an interrupted root-key rotation", restarted.Output, StringComparison.Ordinal);
        await VerifyAsync(restarted, ciphertext);
    }

    [Fact]
    public async Task RotateRootKey_WhileServerRuns_ServerFollows()
    {
        await using var server = await ServerProcess.StartAsync(DataDir);
        var ciphertext = await SeedAsync(server);
        var (code, output) = await RotateAsync();
        Assert.True(code == 0, output);
        await VerifyAsync(server, ciphertext);
        await server.TerminateAsync();
        await using var restarted = await ServerProcess.StartAsync(DataDir);
        await VerifyAsync(restarted, ciphertext);
    }

    [Fact]
    public async Task EnvProvider_MissingVariable_RefusesWithReason_AndRotates()
    {
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(new Dictionary<string, string> { ["SR_TEST_ROOT"] = string.Empty },
            "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--root-key-provider", "env", "--root-key-env", "SR_TEST_ROOT");
        Assert.Equal(1, code);
        Assert.Contains("environment variable SR_TEST_ROOT is not set", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        var env = new Dictionary<string, string> { ["SR_TEST_ROOT"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ["SR_TEST_ROOT_NEW"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        string ciphertext;
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: env, extra: ["--root-key-provider", "env", "--root-key-env", "SR_TEST_ROOT"]))
        {
            Assert.False(File.Exists(RootKeyFile));
            ciphertext = await SeedAsync(server);
            await server.TerminateAsync();
        }

        var (rotated, rotateOutput) = await ServerProcess.RunWithEnvironmentAsync(env, "admin", "rotate-root-key", "--data-dir", DataDir, "--root-key-provider", "env", "--root-key-env", "SR_TEST_ROOT", "--new-root-key-env", "SR_TEST_ROOT_NEW");
        Assert.True(rotated == 0, rotateOutput);

        // The old key no longer matches; the new one does.
        var (refused, refusedOutput) = await ServerProcess.RunWithEnvironmentAsync(env, "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--root-key-provider", "env", "--root-key-env", "SR_TEST_ROOT");
        Assert.Equal(1, refused);
        Assert.Contains("is not the key this data directory is under", refusedOutput, StringComparison.Ordinal);
        await using var restarted = await ServerProcess.StartAsync(DataDir, environment: env, extra: ["--root-key-provider", "env", "--root-key-env", "SR_TEST_ROOT_NEW"]);
        await VerifyAsync(restarted, ciphertext);
    }

    [Fact]
    public async Task PassphraseProvider_WrongPassphrase_Refused_RightOneServes()
    {
        var env = new Dictionary<string, string> { ["SR_PASS"] = "correct horse battery staple" };
        string ciphertext;
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: env, extra: ["--root-key-provider", "passphrase", "--passphrase-env", "SR_PASS"]))
        {
            ciphertext = await SeedAsync(server);
            await server.TerminateAsync();
        }

        var parameters = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key.kdf"))).RootElement;
        Assert.Equal("argon2id", parameters.GetProperty("kdf").GetString());
        Assert.True(parameters.GetProperty("memoryKiB").GetInt32() >= 65536);

        var wrong = new Dictionary<string, string> { ["SR_PASS"] = "incorrect horse battery" };
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(wrong, "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--root-key-provider", "passphrase", "--passphrase-env", "SR_PASS");
        Assert.Equal(1, code);
        Assert.Contains("is not the key this data directory is under", output, StringComparison.Ordinal);

        await using var restarted = await ServerProcess.StartAsync(DataDir, environment: env, extra: ["--root-key-provider", "passphrase", "--passphrase-env", "SR_PASS"]);
        await VerifyAsync(restarted, ciphertext);
    }
}
