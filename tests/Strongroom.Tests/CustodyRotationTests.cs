using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// `admin rotate-root-key --to MODE` between every ordered pair of file, passphrase, pkcs11, shamir and kms, and with the
/// fault host killing a rotation between modes at its fault points.
/// </summary>
[Collection("processes")]
public sealed class CustodyRotationTests : IDisposable
{
    private static readonly string[] Modes = ["file", "passphrase", "pkcs11", "shamir", "kms"];
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-custody-rot-").FullName;
    private readonly SoftHsmToken _token = new();
    private string? _shares;
    private int _rounds;

    private string DataDir => Path.Combine(_dir, "data");

    private string KmsDir => Path.Combine(_dir, "kms");

    private string PassphraseFile => Path.Combine(_dir, "passphrase");

    public void Dispose()
    {
        _token.Dispose();
        Directory.Delete(_dir, true);
    }

    private Dictionary<string, string> Environment() => new(_token.Environment())
    {
        ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(KmsDir, "admin.credentials"),
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_REGION"] = "us-east-1",
    };

    /// <summary>The flags of a rotation to <paramref name="mode"/>, plus what opening the current custody needs.</summary>
    private List<string> RotationArgs(string mode, string kmsKey, Uri kms)
    {
        var args = new List<string> { "admin", "rotate-root-key", "--data-dir", DataDir, "--to", mode, "--passphrase-file", PassphraseFile };
        if (_shares is not null)
        {
            args.AddRange(["--share-file", Path.Combine(_shares, "share-1"), "--share-file", Path.Combine(_shares, "share-3")]);
        }

        switch (mode)
        {
            case "pkcs11":
                args.AddRange(_token.Flags()[2..]);
                break;
            case "shamir":
                args.AddRange(["--key-shares", "3", "--key-threshold", "2", "--shares-out", Path.Combine(_dir, "shares-" + _rounds)]);
                break;
            case "kms":
                args.AddRange(["--root-key-kms-key-id", kmsKey, "--root-key-kms-endpoint-url", kms.ToString()]);
                break;
        }

        return args;
    }

    /// <summary>An order of modes that takes every ordered pair once (an Euler circuit of the complete directed graph).</summary>
    private static List<string> EveryPair()
    {
        var unused = Modes.ToDictionary(m => m, m => new Stack<string>(Modes.Where(n => n != m).Reverse()));
        var stack = new Stack<string>([Modes[0]]);
        var circuit = new List<string>();
        while (stack.Count > 0)
        {
            var top = stack.Peek();
            if (unused[top].Count > 0)
            {
                stack.Push(unused[top].Pop());
            }
            else
            {
                circuit.Add(stack.Pop());
            }
        }

        circuit.Reverse();
        return circuit;
    }

    [Fact]
    public async Task RotationBetweenEveryPairOfModes_KeepsEverySecretReadable()
    {
        await File.WriteAllTextAsync(PassphraseFile, "a passphrase long enough\n");
        await using var kms = await ServerProcess.StartAsync(KmsDir);
        using var kmsAdmin = TestSigner.FromCredentialsFile(kms.Endpoint, Path.Combine(KmsDir, "admin.credentials"));
        var kmsKey = (await kmsAdmin.KmsAsync("CreateKey", new { Description = "custody" })).Body.GetProperty("KeyMetadata").GetProperty("Arn").GetString()!;

        string ciphertext;
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "kept", SecretString = "through-every-custody", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            var keyId = (await client.KmsAsync("CreateKey", new { Description = "data" })).Body.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            var (_, encrypted) = await client.KmsAsync("Encrypt", new { KeyId = keyId, Plaintext = Convert.ToBase64String("kms-data"u8.ToArray()) });
            ciphertext = encrypted.GetProperty("CiphertextBlob").GetString()!;
            Assert.Equal(0, await server.TerminateAsync());
        }

        var order = EveryPair();
        var pairs = order.Zip(order.Skip(1)).ToHashSet();
        Assert.Equal(20, pairs.Count);
        Assert.Equal(21, order.Count);
        foreach (var mode in order.Skip(1))
        {
            _rounds++;
            var (code, output) = await ServerProcess.RunWithEnvironmentAsync(Environment(), [.. RotationArgs(mode, kmsKey, kms.Endpoint)]);
            Assert.True(code == 0, $"to {mode}: {output}");
            Assert.Contains("Completed the root-key rotation", output, StringComparison.Ordinal);
            _shares = mode == "shamir" ? Path.Combine(_dir, "shares-" + _rounds) : null;
            var stateFiles = Directory.GetFiles(DataDir, "root.key*").Select(Path.GetFileName).ToList();
            Assert.True(stateFiles.Count == 1, $"after the rotation to {mode}: {string.Join(", ", stateFiles)}");
        }

        // Back in file custody: every value written before the twenty rotations reads.
        await using var restarted = await ServerProcess.StartAsync(DataDir);
        using var reader = TestSigner.FromCredentialsFile(restarted.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        var (status, value) = await reader.CallAsync("GetSecretValue", new { SecretId = "kept" });
        Assert.True(status == 200, value.ToString());
        Assert.Equal("through-every-custody", value.GetProperty("SecretString").GetString());
        var (decryptStatus, decrypted) = await reader.KmsAsync("Decrypt", new { CiphertextBlob = ciphertext });
        Assert.True(decryptStatus == 200, decrypted.ToString());
        Assert.Equal(0, await restarted.TerminateAsync());
        Assert.Equal(0, await kms.TerminateAsync());
    }

    [Fact]
    public async Task RotationToPkcs11_KilledAfterCommit_CompletesAtNextStart_KilledBeforeCommit_RollsBack()
    {
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "kept", SecretString = "crash-safe", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            Assert.Equal(0, await server.TerminateAsync());
        }

        string[] rotate = ["admin", "rotate-root-key", "--data-dir", DataDir, "--to", "pkcs11", .. _token.Flags()[2..]];
        var (code, output) = await ServerProcess.RunAtFaultWithEnvironmentAsync(_token.Environment(), "after-next", rotate);
        Assert.True(code == 137, output);
        Assert.True(File.Exists(Path.Combine(DataDir, "root.key.pkcs11.next")));
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            Assert.Contains("rolled back an interrupted root-key rotation", server.Output, StringComparison.Ordinal);
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.False(File.Exists(Path.Combine(DataDir, "root.key.pkcs11.next")));
        Assert.True(File.Exists(Path.Combine(DataDir, "root.key")));

        (code, output) = await ServerProcess.RunAtFaultWithEnvironmentAsync(_token.Environment(), "after-commit", rotate);
        Assert.True(code == 137, output);
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: _token.Environment()))
        {
            Assert.Contains("completed an interrupted root-key rotation", server.Output, StringComparison.Ordinal);
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            Assert.Equal("crash-safe", (await client.CallAsync("GetSecretValue", new { SecretId = "kept" })).Body.GetProperty("SecretString").GetString());
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.False(File.Exists(Path.Combine(DataDir, "root.key")));
        Assert.True(File.Exists(Path.Combine(DataDir, "root.key.pkcs11")));
    }
}
