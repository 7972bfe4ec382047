using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>`strongroom agent` driven with curl as AWS's agent documentation shows it, in front of a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class AgentTests : IAsyncLifetime
{
    private readonly StrongroomServer _server;
    private readonly HttpClient _http = new();
    private AgentProcess _agent = null!;

    public AgentTests(StrongroomServer server)
    {
        _server = server;
    }

    public async Task InitializeAsync() => _agent = await AgentProcess.StartAsync(_server.Endpoint);

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _http.Dispose();
    }

    private string Url(string pathAndQuery) => $"http://localhost:{_agent.Port}{pathAndQuery}";

    private string TokenHeader => "X-Aws-Parameters-Secrets-Token: " + _agent.Token;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private SecretsManagerClient Admin => new(_server.Client(_http));

    private async Task<string> CreateAsync(string name, string value)
    {
        var r = await _server.Client(_http).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = value, ClientRequestToken = Guid.NewGuid().ToString() });
        return r.GetProperty("VersionId").GetString()!;
    }

    [Fact]
    public async Task Get_WithToken_GetSecretValueJson()
    {
        var name = Unique("agent/db");
        var version = await CreateAsync(name, "{\"password\":\"agent-plaintext-1\"}");
        var (status, body, stale) = await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + Uri.EscapeDataString(name)), TokenHeader);
        Assert.Equal(200, status);
        Assert.Equal(string.Empty, stale);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(name, json.RootElement.GetProperty("Name").GetString());
        Assert.Equal(version, json.RootElement.GetProperty("VersionId").GetString());
        Assert.Equal("{\"password\":\"agent-plaintext-1\"}", json.RootElement.GetProperty("SecretString").GetString());
        Assert.StartsWith("arn:aws:secretsmanager:us-east-1:", json.RootElement.GetProperty("ARN").GetString(), StringComparison.Ordinal);
        Assert.Equal(["AWSCURRENT"], json.RootElement.GetProperty("VersionStages").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("CreatedDate").ValueKind);

        // Cached now: the plain "?secretId=ID" form (the agent's fast path) and the escaped form answer the same bytes;
        // an unknown or malformed parameter next to a cached id is still refused, never answered from the cache.
        Assert.Equal(body, (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + name), TokenHeader)).Body);
        Assert.Equal(body, (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + Uri.EscapeDataString(name)), TokenHeader)).Body);
        Assert.Equal(400, (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + name + "&abc=1"), TokenHeader)).Status);
        Assert.Equal(400, (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + name + "&refreshNow=maybe"), TokenHeader)).Status);
        Assert.Equal(403, (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + name), "X-Aws-Parameters-Secrets-Token: wrong")).Status);

        // The path forms, a stage, a version id and refreshNow.
        Assert.Equal(200, (await AgentProcess.CurlAsync(Url("/v1/" + name), TokenHeader)).Status);
        Assert.Equal(200, (await AgentProcess.CurlAsync(Url("/secretsmanager/" + name + "?versionStage=AWSCURRENT"), TokenHeader)).Status);
        Assert.Equal(200, (await AgentProcess.CurlAsync(Url($"/secretsmanager/get?secretId={name}&versionId={version}"), TokenHeader)).Status);
        Assert.Equal(200, (await AgentProcess.CurlAsync(Url($"/secretsmanager/get?secretId={name}&refreshNow=true"), "X-Vault-Token: " + _agent.Token)).Status);
        Assert.DoesNotContain("agent-plaintext-1", _agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_MissingOrWrongTokenOrForwarded_403AndNothingRead()
    {
        var name = Unique("agent/guarded");
        await CreateAsync(name, "guarded-plaintext");
        var url = Url("/secretsmanager/get?secretId=" + name);
        var cases = new[]
        {
            Array.Empty<string>(),
            ["X-Aws-Parameters-Secrets-Token: wrong"],
            ["X-Aws-Parameters-Secrets-Token: " + _agent.Token + "x"],
            ["X-Aws-Parameters-Secrets-Token: " + _agent.Token[..^1]],
            ["X-Aws-Parameters-Secrets-Token;"],
            [TokenHeader, "X-Forwarded-For: 203.0.113.7"],
            [TokenHeader, "X-Forwarded-For: 127.0.0.1"],
            ["Authorization: " + _agent.Token],
        };
        foreach (var headers in cases)
        {
            var (status, body, _) = await AgentProcess.CurlAsync(url, headers);
            Assert.Equal(403, status);
            Assert.DoesNotContain("guarded-plaintext", body, StringComparison.Ordinal);
            Assert.Equal("AccessDeniedException", JsonDocument.Parse(body).RootElement.GetProperty("__type").GetString());
        }

        foreach (var path in new[] { "/v1/" + name, "/secretsmanager/" + name, "/systemsmanager/parameters/get?name=/x&withDecryption=true", "/nothing" })
        {
            Assert.Equal(403, (await AgentProcess.CurlAsync(Url(path))).Status);
        }

        // Nothing was read: the server's trail has no GetSecretValue of this secret.
        var events = await _server.Client(_http).CallAsync("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", new { LookupAttributes = new[] { new { AttributeKey = "ResourceName", AttributeValue = name } } });
        Assert.DoesNotContain(events.GetProperty("Events").EnumerateArray(), e => e.GetProperty("EventName").GetString() == "GetSecretValue");
        Assert.Equal(200, (await AgentProcess.CurlAsync(Url("/ping"))).Status);
    }

    [Fact]
    public async Task Get_ServerError_PassesThroughStatusAndAwsJson()
    {
        var (status, body, _) = await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + Unique("agent/missing")), TokenHeader);
        Assert.Equal(400, status);
        Assert.Equal("ResourceNotFoundException", JsonDocument.Parse(body).RootElement.GetProperty("__type").GetString());
        var bad = await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=x&abc=1"), TokenHeader);
        Assert.Equal(400, bad.Status);
        Assert.Contains("unknown parameter: abc", bad.Body, StringComparison.Ordinal);
        Assert.Equal(400, (await AgentProcess.CurlAsync(Url("/secretsmanager/get"), TokenHeader)).Status);
        Assert.Equal(400, (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=x&refreshNow=maybe"), TokenHeader)).Status);
        Assert.Equal(404, (await AgentProcess.CurlAsync(Url("/pong"), TokenHeader)).Status);
    }

    [Fact]
    public async Task Parameters_LambdaExtensionPath_GetParameterJson()
    {
        var name = "/" + Unique("agent/param");
        await _server.Client(_http).CallAsync("ssm", "AmazonSSM.PutParameter", new { Name = name, Value = "param-plaintext", Type = "SecureString" });
        var (status, body, _) = await AgentProcess.CurlAsync(Url($"/systemsmanager/parameters/get?name={Uri.EscapeDataString(name)}&withDecryption=true"), TokenHeader);
        Assert.Equal(200, status);
        var parameter = JsonDocument.Parse(body).RootElement.GetProperty("Parameter");
        Assert.Equal(name, parameter.GetProperty("Name").GetString());
        Assert.Equal("param-plaintext", parameter.GetProperty("Value").GetString());
        var missing = await AgentProcess.CurlAsync(Url("/systemsmanager/parameters/get?name=/" + Unique("nope")), TokenHeader);
        Assert.Equal(400, missing.Status);
        Assert.Equal("ParameterNotFound", JsonDocument.Parse(missing.Body).RootElement.GetProperty("__type").GetString());
    }

    /// <summary>
    /// The Parameter Store path is cached like secrets: a second read within the TTL is served from the agent (an
    /// overwrite on the server is not seen), an expired entry is fetched again, and at --max-entries the oldest goes.
    /// </summary>
    [Fact]
    public async Task Parameters_CachedForTheTtl_BoundedByMaxEntries()
    {
        await using var agent = await AgentProcess.StartAsync(_server.Endpoint, "--ttl", "5s", "--max-entries", "2");
        var header = "X-Aws-Parameters-Secrets-Token: " + agent.Token;
        var names = Enumerable.Range(0, 3).Select(i => "/" + Unique("agent/cached") + i).ToArray();
        async Task PutAsync(string name, string value, bool overwrite) =>
            await _server.Client(_http).CallAsync("ssm", "AmazonSSM.PutParameter", new { Name = name, Value = value, Type = "SecureString", Overwrite = overwrite });
        async Task<string> ReadAsync(string name)
        {
            var (status, body, _) = await AgentProcess.CurlAsync($"http://localhost:{agent.Port}/systemsmanager/parameters/get?name={Uri.EscapeDataString(name)}&withDecryption=true", header);
            Assert.True(status == 200, body);
            return JsonDocument.Parse(body).RootElement.GetProperty("Parameter").GetProperty("Value").GetString()!;
        }

        foreach (var name in names)
        {
            await PutAsync(name, "v1", false);
        }

        Assert.Equal(["v1", "v1"], [await ReadAsync(names[0]), await ReadAsync(names[1])]);
        var clock = Stopwatch.StartNew();
        await PutAsync(names[0], "v2", true);
        await PutAsync(names[1], "v2", true);
        Assert.Equal(["v1", "v1"], [await ReadAsync(names[0]), await ReadAsync(names[1])]); // from the cache

        // A third parameter at the bound of 2 pushes out the oldest (names[0]), which is then fetched afresh.
        Assert.Equal("v1", await ReadAsync(names[2]));
        Assert.Equal("v2", await ReadAsync(names[0]));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4.5), $"too slow ({clock.Elapsed}) to tell the cache from the TTL");

        // Past the TTL every entry is fetched again.
        await PutAsync(names[2], "v2", true);
        await Task.Delay(TimeSpan.FromSeconds(5.2));
        Assert.Equal("v2", await ReadAsync(names[2]));
    }

    [Fact]
    public async Task Get_AfterRotation_NewValueWithinASecond()
    {
        var name = Unique("agent/rotating");
        await CreateAsync(name, "before");
        Assert.Contains("before", (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + name), TokenHeader)).Body, StringComparison.Ordinal);
        await Task.Delay(300); // the agent's watch call is on its way
        var newVersion = (await Admin.PutSecretValueAsync(name, Guid.NewGuid().ToString(), "after")).VersionId;
        var clock = Stopwatch.StartNew();
        string body;
        do
        {
            body = (await AgentProcess.CurlAsync(Url("/secretsmanager/get?secretId=" + name), TokenHeader)).Body;
        }
        while (!body.Contains(newVersion, StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Contains("after", body, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task Credentials_FromAProfileInTheSharedFiles_AndTheTokenFromAFile()
    {
        var dir = Directory.CreateTempSubdirectory("strongroom-agent-profile-").FullName;
        try
        {
            var credentials = Path.Combine(dir, "credentials");
            await File.WriteAllTextAsync(credentials, "[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n[dev]\naws_access_key_id = test\naws_secret_access_key = test\n");
            var config = Path.Combine(dir, "config");
            await File.WriteAllTextAsync(config, "[profile dev]\nregion = us-east-1\n");
            var tokenFile = Path.Combine(dir, "token");
            await File.WriteAllTextAsync(tokenFile, "file-token-123\n");
            var name = Unique("agent/profile");
            await CreateAsync(name, "via-profile");
            await using var agent = await AgentProcess.StartAsync(_server.Endpoint, new Dictionary<string, string?>
            {
                ["AWS_ACCESS_KEY_ID"] = null,
                ["AWS_SECRET_ACCESS_KEY"] = null,
                ["AWS_REGION"] = null,
                ["AWS_SHARED_CREDENTIALS_FILE"] = credentials,
                ["AWS_CONFIG_FILE"] = config,
                ["AWS_TOKEN"] = "file://" + tokenFile,
            }, "--profile", "dev");
            var (status, body, _) = await AgentProcess.CurlAsync($"http://localhost:{agent.Port}/secretsmanager/get?secretId={name}", "X-Aws-Parameters-Secrets-Token: file-token-123");
            Assert.Equal(200, status);
            Assert.Contains("via-profile", body, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Start_WithoutToken_Refused()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { StrongroomServer.Executable, "agent", "--endpoint-url", _server.Endpoint.ToString(), "--listen", $"127.0.0.1:{AgentProcess.FreePort()}" })
        {
            info.ArgumentList.Add(arg);
        }

        AgentProcess.Environment(info, null);
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("no SSRF token", stderr, StringComparison.Ordinal);

        var (code, _, remote) = await StrongroomServer.CliAsync(new Dictionary<string, string> { ["AWS_TOKEN"] = "t", ["AWS_ACCESS_KEY_ID"] = "test", ["AWS_SECRET_ACCESS_KEY"] = "test", ["AWS_REGION"] = "us-east-1" }, "agent", "--endpoint-url", _server.Endpoint.ToString(), "--listen", "0.0.0.0:2773");
        Assert.Equal(2, code);
        Assert.Contains("not a loopback address", remote, StringComparison.Ordinal);
    }
}
