using System.Collections.Concurrent;
using System.Text;
using Xunit;

namespace Strongroom.Tests;

/// <summary>The operator surface and durability, against real `strongroom` processes.</summary>
[Collection("processes")]
public sealed class ServerProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-proc-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task FirstStart_InitialisesDataDir_LaterStartsReuseIt()
    {
        string account;
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(DataDir, "root.key")));
            var credentials = Path.Combine(DataDir, "admin.credentials");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
            var text = await File.ReadAllTextAsync(credentials);
            Assert.StartsWith("[default]\naws_access_key_id = AKIA", text, StringComparison.Ordinal);
            var secret = text.Split('\n').First(l => l.StartsWith("aws_secret_access_key", StringComparison.Ordinal)).Split('=', 2)[1].Trim();
            Assert.Equal(40, secret.Length);

            using var client = TestSigner.FromCredentialsFile(server.Endpoint, credentials);
            var (status, body) = await client.CallAsync("CreateSecret", new { Name = "first", SecretString = "x", ClientRequestToken = Guid.NewGuid().ToString() });
            Assert.Equal(200, status);
            account = body.GetProperty("ARN").GetString()!.Split(':')[4];
            Assert.Equal(0, await server.TerminateAsync());
            Assert.DoesNotContain(secret, server.Output, StringComparison.Ordinal);
        }

        var before = await File.ReadAllTextAsync(Path.Combine(DataDir, "admin.credentials"));
        await using (var again = await ServerProcess.StartAsync(DataDir))
        {
            Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(DataDir, "admin.credentials")));
            using var client = TestSigner.FromCredentialsFile(again.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            var (status, body) = await client.CallAsync("GetSecretValue", new { SecretId = "first" });
            Assert.Equal(200, status);
            Assert.Equal(account, body.GetProperty("ARN").GetString()!.Split(':')[4]);
        }
    }

    [Theory]
    [InlineData("0.0.0.0:4999")]
    [InlineData("192.0.2.10:4999")]
    public async Task Listen_NonLoopbackWithoutTls_RefusesToStart(string listen)
    {
        var (code, output) = await ServerProcess.RunAsync("server", "--data-dir", DataDir, "--listen", listen);
        Assert.Equal(2, code);
        Assert.Contains("refusing to serve plain HTTP", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDir));
    }

    [Fact]
    public async Task Start_WithUnreadableRootKey_SaysWhyWithoutStackTrace()
    {
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            await server.TerminateAsync();
        }

        await File.WriteAllTextAsync(Path.Combine(DataDir, "root.key"), "not a key\n");
        var (code, output) = await ServerProcess.RunAsync("server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("root.key", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_LiveAndReady_Answer200()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true);
        using var http = new HttpClient();
        Assert.Equal(200, (int)(await http.GetAsync(new Uri(server.Endpoint, "/health/live"))).StatusCode);
        Assert.Equal(200, (int)(await http.GetAsync(new Uri(server.Endpoint, "/health/ready"))).StatusCode);
    }

    [Fact]
    public async Task DevMode_AcceptsAnyKey_AndRemovesItsDataAtExit()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true);
        using var client = new TestSigner(server.Endpoint, "anything", "whatever");
        var (status, _) = await client.CallAsync("CreateSecret", new { Name = "dev", SecretString = "x", ClientRequestToken = Guid.NewGuid().ToString() });
        Assert.Equal(200, status);
        using var wrong = new TestSigner(server.Endpoint, "test", "not-test");
        var (denied, body) = await wrong.CallAsync("ListSecrets", new { });
        Assert.Equal(400, denied);
        Assert.Equal("InvalidSignatureException", body.GetProperty("__type").GetString());
        var tempDir = System.Text.RegularExpressions.Regex.Match(server.Output, "throw-away data in (\\S+),").Groups[1].Value;
        Assert.True(Directory.Exists(tempDir));
        Assert.Equal(0, await server.TerminateAsync());
        Assert.False(Directory.Exists(Path.GetDirectoryName(tempDir)));
    }

    [Fact]
    public async Task ImportAccessKey_KeyWorksAgainstTheServer()
    {
        await using (var first = await ServerProcess.StartAsync(DataDir))
        {
            await first.TerminateAsync();
        }

        var (code, output) = await ServerProcess.RunAsync("admin", "import-access-key", "--data-dir", DataDir, "--access-key-id", "AKIAIMPORTEDKEY00001", "--secret-access-key", "imported-secret-value");
        Assert.True(code == 0, output);
        await using var server = await ServerProcess.StartAsync(DataDir);
        using var client = new TestSigner(server.Endpoint, "AKIAIMPORTEDKEY00001", "imported-secret-value");
        Assert.Equal(200, (await client.CallAsync("ListSecrets", new { })).Status);
        using var wrong = new TestSigner(server.Endpoint, "AKIAIMPORTEDKEY00001", "other");
        Assert.Equal("InvalidSignatureException", (await wrong.CallAsync("ListSecrets", new { })).Body.GetProperty("__type").GetString());
        using var unknown = new TestSigner(server.Endpoint, "AKIAUNKNOWNKEY000001", "imported-secret-value");
        var (status, body) = await unknown.CallAsync("ListSecrets", new { });
        Assert.Equal(400, status);
        Assert.Equal("UnrecognizedClientException", body.GetProperty("__type").GetString());
        Assert.Equal("The security token included in the request is invalid.", body.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task KillDashNine_DuringWrites_LosesNoAcknowledgedWrite()
    {
        // 32 concurrent writers over 8 secrets: writes share group commits, and each must survive on its own.
        const int Secrets = 8;
        var acknowledged = new ConcurrentBag<(string Secret, string Token)>();
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            for (var n = 0; n < Secrets; n++)
            {
                Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = $"durable-{n}", SecretString = "v0", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            }

            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var token = Guid.NewGuid().ToString();
                    var secret = $"durable-{w % Secrets}";
                    try
                    {
                        var (status, _) = await client.CallAsync("PutSecretValue", new { SecretId = secret, SecretString = $"w{w}-{i}", ClientRequestToken = token }, stop.Token);
                        if (status == 200)
                        {
                            acknowledged.Add((secret, token));
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        return;
                    }
                }
            })).ToArray();
            while (acknowledged.Count < 200)
            {
                await Task.Delay(20);
            }

            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        await using var restarted = await ServerProcess.StartAsync(DataDir);
        using var reader = TestSigner.FromCredentialsFile(restarted.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        foreach (var (secret, token) in acknowledged)
        {
            var (status, body) = await reader.CallAsync("GetSecretValue", new { SecretId = secret, VersionId = token });
            Assert.True(status == 200, $"acknowledged version {token} of {secret} is missing: {body}");
        }

        // Every acknowledged call has its audit record (the record names the ClientRequestToken).
        await restarted.TerminateAsync();
        var (exported, trail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", DataDir);
        Assert.Equal(0, exported);
        foreach (var (_, token) in acknowledged)
        {
            Assert.Contains(token, trail, StringComparison.Ordinal);
        }

        await using var again = await ServerProcess.StartAsync(DataDir);
        using var reader2 = TestSigner.FromCredentialsFile(again.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        for (var n = 0; n < Secrets; n++)
        {
            var (_, described) = await reader2.CallAsync("DescribeSecret", new { SecretId = $"durable-{n}" });
            var labels = described.GetProperty("VersionIdsToStages").EnumerateObject().SelectMany(p => p.Value.EnumerateArray().Select(v => v.GetString())).ToList();
            Assert.Single(labels, l => l == "AWSCURRENT");
            Assert.Single(labels, l => l == "AWSPREVIOUS");
        }
    }

    [Fact]
    public async Task KillDashNine_DuringReads_EveryAnsweredCallHasItsRecord_WithoutARestart()
    {
        // Every answer, error answers included, leaves only after its record is durable (ADR 0039: in the journal; the
        // tables are filled behind). Killed mid-load, the trail is then read by `audit export` alone: the store it
        // opens stores what the journal holds past the tables. Each call names a secret of its own, which its record keeps.
        var answered = new ConcurrentBag<string>();
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "read-me", SecretString = "v0", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            using var stop = new CancellationTokenSource();
            var readers = Enumerable.Range(0, 32).Select(r => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var name = $"absent-{r}-{i}";
                    try
                    {
                        var (status, body) = await client.CallAsync("GetSecretValue", i % 2 == 0 ? new { SecretId = name } : new { SecretId = "read-me" }, stop.Token);
                        if (i % 2 == 0 && status == 400 && body.GetProperty("__type").GetString() == "ResourceNotFoundException")
                        {
                            answered.Add(name);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        return;
                    }
                }
            })).ToArray();
            while (answered.Count < 2000)
            {
                await Task.Delay(10);
            }

            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }

        var (exported, trail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", DataDir);
        Assert.Equal(0, exported);
        var missing = answered.Where(name => !trail.Contains($"\"secretId\":\"{name}\"", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} answered calls have no record, e.g. {string.Join(", ", missing.Take(5))}");
        var (verified, said) = await ServerProcess.RunAsync("audit", "verify", "--data-dir", DataDir);
        Assert.True(verified == 0, said);
    }

    [Fact]
    public async Task KnownPlaintext_AppearsInNoFileAndNoLogLine()
    {
        const string canary = "CANARY-PLAINTEXT-5d1e8b27";
        await using var server = await ServerProcess.StartAsync(DataDir);
        using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        Assert.Equal(200, (await client.CallAsync("CreateSecret", new { Name = "canary", SecretString = canary, ClientRequestToken = Guid.NewGuid().ToString(), Description = "d" })).Status);
        Assert.Equal(200, (await client.CallAsync("PutSecretValue", new { SecretId = "canary", SecretBinary = Convert.ToBase64String(Encoding.UTF8.GetBytes(canary)), ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        Assert.Equal(200, (await client.CallAsync("UpdateSecret", new { SecretId = "canary", SecretString = canary + "-u", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        // Errors must not echo values either: a value too large, and a token reused with other data.
        var token = Guid.NewGuid().ToString();
        await client.CallAsync("PutSecretValue", new { SecretId = "canary", SecretString = canary + "-t", ClientRequestToken = token });
        var (status, reused) = await client.CallAsync("PutSecretValue", new { SecretId = "canary", SecretString = canary + "-other", ClientRequestToken = token });
        Assert.Equal(400, status);
        Assert.DoesNotContain(canary, reused.ToString(), StringComparison.Ordinal);
        var (_, big) = await client.CallAsync("PutSecretValue", new { SecretId = "canary", SecretString = canary + new string('x', 70000), ClientRequestToken = Guid.NewGuid().ToString() });
        Assert.DoesNotContain(canary, big.ToString(), StringComparison.Ordinal);
        Assert.Equal(200, (await client.CallAsync("ssm", "PutParameter", new { Name = "/canary/param", Value = canary + "-ssm", Type = "SecureString" }, CancellationToken.None)).Status);
        var (_, parameter) = await client.CallAsync("ssm", "GetParameter", new { Name = "/canary/param", WithDecryption = true }, CancellationToken.None);
        Assert.Equal(canary + "-ssm", parameter.GetProperty("Parameter").GetProperty("Value").GetString());
        var (_, value) = await client.CallAsync("GetSecretValue", new { SecretId = "canary" });
        Assert.Equal(canary + "-t", value.GetProperty("SecretString").GetString());

        Assert.Equal(0, await server.TerminateAsync());
        foreach (var file in Directory.EnumerateFiles(DataDir, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.DoesNotContain(canary, Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(canary, server.Output, StringComparison.Ordinal);
    }
}
