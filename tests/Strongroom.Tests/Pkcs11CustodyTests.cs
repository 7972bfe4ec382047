using System.Text.Json;
using Xunit;

namespace Strongroom.Tests;

/// <summary>The root key in a PKCS#11 token (SoftHSM2, initialised by the test), against real server processes.</summary>
[Collection("processes")]
public sealed class Pkcs11CustodyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-pkcs11-").FullName;
    private readonly SoftHsmToken _token = new();

    private string DataDir => Path.Combine(_dir, "data");

    private string Credentials => Path.Combine(DataDir, "admin.credentials");

    public void Dispose()
    {
        _token.Dispose();
        Directory.Delete(_dir, true);
    }

    [Theory]
    [InlineData(null, "CKM_AES_GCM")]
    [InlineData("aes-key-wrap-pad", "CKM_AES_KEY_WRAP_PAD")]
    public async Task ServerCreatesServesRestartsAndServesAgain_NoKeyMaterialInTheDataDirectory(string? mechanism, string expected)
    {
        string[] flags = mechanism is null ? _token.Flags() : [.. _token.Flags(), "--pkcs11-mechanism", mechanism];
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: _token.Environment(), extra: flags))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Credentials);
            Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "hsm", SecretString = "held-by-the-token", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.False(File.Exists(Path.Combine(DataDir, "root.key")));
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key.pkcs11"))).RootElement;
        Assert.Equal(expected, state.GetProperty("mechanism").GetString());
        var fingerprint = state.GetProperty("fingerprint").GetString()!;

        // Restarted with only the token's environment: the custody file names module, token and key.
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: _token.Environment()))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Credentials);
            var (status, body) = await client.CallAsync("GetSecretValue", new { SecretId = "hsm" });
            Assert.True(status == 200, body.ToString());
            Assert.Equal("held-by-the-token", body.GetProperty("SecretString").GetString());
            Assert.Contains(fingerprint, server.Output, StringComparison.Ordinal);
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.Empty(KeyMaterialScan.FilesHolding(DataDir, fingerprint));
    }

    [Fact]
    public async Task TheScan_FindsAFileRootKey()
    {
        // The search above can fail: in a file-mode data directory it finds root.key.
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            Assert.Equal(0, await server.TerminateAsync());
        }

        var (_, output) = await ServerProcess.RunAsync("admin", "rotate-root-key", "--data-dir", DataDir);
        var fingerprint = output.Split("-> ")[1].Trim().TrimEnd('.');
        Assert.Equal([Path.Combine(DataDir, "root.key")], KeyMaterialScan.FilesHolding(DataDir, fingerprint));
    }

    [Fact]
    public async Task WrongPinOrMissingToken_RefusesToStart_SayingWhy()
    {
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: _token.Environment(), extra: _token.Flags()))
        {
            Assert.Equal(0, await server.TerminateAsync());
        }

        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(_token.Environment("0000-wrong"), "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("refused the PIN (CKR_PIN_INCORRECT)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("0000-wrong", output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(_token.Environment(pin: null), "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("PIN is missing: set STRONGROOM_PKCS11_PIN or give --pkcs11-pin-file", output, StringComparison.Ordinal);

        using var other = new SoftHsmToken("another-token");
        (code, output) = await ServerProcess.RunWithEnvironmentAsync(other.Environment(), "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains($"has no token labelled '{_token.Label}' present", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        // The PIN from a file works as well as the variable.
        var pinFile = Path.Combine(_dir, "pin");
        await File.WriteAllTextAsync(pinFile, SoftHsmToken.Pin + "\n");
        await using var fromFile = await ServerProcess.StartAsync(DataDir, environment: _token.Environment(pin: null), extra: ["--pkcs11-pin-file", pinFile]);
        Assert.Equal(0, await fromFile.TerminateAsync());
    }
}
