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

    [Fact]
    public async Task ServerCreatesServesRestartsAndServesAgain_TheTokenSealsEveryKeyVersion_NoKeyMaterialInTheDataDirectory()
    {
        await using (var server = await ServerProcess.StartAsync(DataDir, environment: _token.Environment(), extra: _token.Flags()))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Credentials);
            Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "hsm", SecretString = "held-by-the-token", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            Assert.Equal(200, (await client.KmsAsync("CreateKey", new { Description = "a second key version source" })).Status);
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.False(File.Exists(Path.Combine(DataDir, "root.key")));
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key.pkcs11"))).RootElement;
        Assert.Equal("CKM_AES_GCM", state.GetProperty("mechanism").GetString());
        Assert.Equal("record-key", state.GetProperty("holds").GetString());
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

        // The token's key cannot leave it, and it is the key every KMS key version is sealed with: the token itself
        // opens each stored version (AES-GCM, the row's binding as AAD) — there is no root key outside it to do so.
        var versions = new List<(string Binding, byte[] Wrapped)>();
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataDir, "strongroom.db")};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "SELECT k.arn, v.version, v.wrapped FROM kms_key_versions v JOIN kms_keys k ON k.key_id = v.key_id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                versions.Add((reader.GetString(0) + "#" + reader.GetInt64(1), (byte[])reader[2]));
            }
        }

        Assert.True(versions.Count >= 2, $"{versions.Count} key versions");
        var materials = _token.InSession((factories, session) =>
        {
            var key = session.FindAllObjects(
            [
                factories.ObjectAttributeFactory.Create(Net.Pkcs11Interop.Common.CKA.CKA_CLASS, Net.Pkcs11Interop.Common.CKO.CKO_SECRET_KEY),
                factories.ObjectAttributeFactory.Create(Net.Pkcs11Interop.Common.CKA.CKA_LABEL, "strongroom-root"),
            ]).Single();
            var attributes = session.GetAttributeValue(key, [Net.Pkcs11Interop.Common.CKA.CKA_SENSITIVE, Net.Pkcs11Interop.Common.CKA.CKA_EXTRACTABLE, Net.Pkcs11Interop.Common.CKA.CKA_ALWAYS_SENSITIVE, Net.Pkcs11Interop.Common.CKA.CKA_NEVER_EXTRACTABLE]);
            Assert.Equal([true, false, true, true], attributes.Select(a => a.GetValueAsBool()));
            // Asked for the key's value, the token refuses (CKR_ATTRIBUTE_SENSITIVE; Pkcs11Interop marks it unreadable).
            Assert.True(session.GetAttributeValue(key, [Net.Pkcs11Interop.Common.CKA.CKA_VALUE])[0].CannotBeRead);
            return versions.Select(v =>
            {
                var nonce = v.Wrapped[4..16];
                var aad = "SRW\u0001"u8.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(v.Binding)).ToArray();
                var gcm = factories.MechanismFactory.Create(Net.Pkcs11Interop.Common.CKM.CKM_AES_GCM, factories.MechanismParamsFactory.CreateCkGcmParams(nonce, 96, aad, 128));
                return session.Decrypt(gcm, key, [.. v.Wrapped[32..], .. v.Wrapped[16..32]]);
            }).ToList();
        });
        Assert.All(materials, m => Assert.Equal(32, m.Length));

        // Neither the record key nor any key version's material is in the data directory, raw or encoded.
        Assert.Empty(KeyMaterialScan.FilesHolding(DataDir, fingerprint));
        foreach (var file in Directory.EnumerateFiles(DataDir, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var text = System.Text.Encoding.Latin1.GetString(bytes);
            foreach (var material in materials)
            {
                Assert.True(bytes.AsSpan().IndexOf(material) < 0, $"{file} holds a key version");
                Assert.DoesNotContain(Convert.ToBase64String(material), text, StringComparison.Ordinal);
                Assert.DoesNotContain(Convert.ToHexString(material), text, StringComparison.OrdinalIgnoreCase);
            }
        }
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

        // AES key wrap cannot carry a key version's binding: refused, saying why.
        (code, output) = await ServerProcess.RunWithEnvironmentAsync(_token.Environment(), ["server", "--data-dir", Path.Combine(_dir, "kwp"), "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", .. _token.Flags(), "--pkcs11-mechanism", "aes-key-wrap-pad"]);
        Assert.Equal(1, code);
        Assert.Contains("--pkcs11-mechanism must be aes-gcm", output, StringComparison.Ordinal);

        // Another token holding a key with the same label is not the key of this data directory.
        using var impostor = new SoftHsmToken(_token.Label);
        await using (var impostorServer = await ServerProcess.StartAsync(Path.Combine(_dir, "impostor"), environment: impostor.Environment(), extra: impostor.Flags()))
        {
            Assert.Equal(0, await impostorServer.TerminateAsync());
        }

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(impostor.Environment(), "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("does not open the record key in root.key.pkcs11", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        // The PIN from a file works as well as the variable.
        var pinFile = Path.Combine(_dir, "pin");
        await File.WriteAllTextAsync(pinFile, SoftHsmToken.Pin + "\n");
        await using var fromFile = await ServerProcess.StartAsync(DataDir, environment: _token.Environment(pin: null), extra: ["--pkcs11-pin-file", pinFile]);
        Assert.Equal(0, await fromFile.TerminateAsync());
    }
}
