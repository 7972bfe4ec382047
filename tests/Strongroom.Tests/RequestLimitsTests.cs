using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Throttling, brute-force limits and per-address connection limits, each against a real server started with small
/// limits (--limit), through real HTTP (and boto3 for the SDK's retries).
/// </summary>
[Collection("processes")]
public sealed class RequestLimitsTests
{
    private static async Task<long> MetricAsync(Uri endpoint, string line)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(endpoint, "/metrics"));
        return text.Split('\n').Where(l => l.StartsWith(line, StringComparison.Ordinal)).Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task KeyOverItsRate_GetsThrottlingException_JsonAndQuery_ThenRecovers()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true, extra: ["--limit", "key-rate=0.5", "--limit", "key-burst=3"]);
        using var client = new RawSigner(server.Endpoint);

        var json = new List<RawSigner.Answer>();
        var query = new List<RawSigner.Answer>();
        for (var i = 0; i < 8; i++)
        {
            json.Add(await client.JsonAsync("secretsmanager", "GetRandomPassword", "{}"));
            query.Add(await client.FormAsync("sts", "Action=GetCallerIdentity&Version=2011-06-15"));
        }

        Assert.Contains(json.Concat(query), a => a.Status == 200);
        Assert.Contains(json, a => (a.Status, a.Code) == (400, "ThrottlingException"));
        Assert.Contains(query, a => (a.Status, a.Code) == (400, "Throttling"));
        Assert.All(json.Concat(query), a => Assert.True(a.Status is 200 or 400, a.Body));
        Assert.True(await MetricAsync(server.Endpoint, "strongroom_throttled_total{reason=\"key\"}") >= 2);

        // The bucket refills at 0.5 a second: after 4 s the key is served again.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(200, (await client.JsonAsync("secretsmanager", "GetRandomPassword", "{}")).Status);
    }

    [Fact]
    public async Task Boto3StandardRetries_RideThroughThrottling()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true, extra: ["--limit", "key-rate=4", "--limit", "key-burst=4"]);
        const string script = """
            import sys, boto3
            from botocore.config import Config
            c = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                             config=Config(retries={"mode": "standard", "max_attempts": 10}))
            for i in range(24):
                c.get_random_password(PasswordLength=16)
            print("ok 24")
            """;
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(server.Endpoint.ToString().TrimEnd('/'));
        using var python = Process.Start(info)!;
        var output = await python.StandardOutput.ReadToEndAsync() + await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();

        Assert.True(python.ExitCode == 0, output);
        Assert.Contains("ok 24", output, StringComparison.Ordinal);
        Assert.True(await MetricAsync(server.Endpoint, "strongroom_throttled_total{reason=\"key\"}") >= 1, "boto3 was never throttled: the test proved nothing");
    }

    [Fact]
    public async Task WatchSecrets_PastMaxWatches_ThrottlingAtOnce_AuditedAndServedAgainOnceOneEnds()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true, extra: ["--limit", "max-watches=2"]);
        using var client = new RawSigner(server.Endpoint);
        var created = await client.JsonAsync("secretsmanager", "CreateSecret", $"{{\"Name\":\"watched\",\"SecretString\":\"v1\",\"ClientRequestToken\":\"{Guid.NewGuid()}\"}}");
        using var createdDocument = System.Text.Json.JsonDocument.Parse(created.Body);
        var version = createdDocument.RootElement.GetProperty("VersionId").GetString();
        string Watch(int seconds) => $"{{\"Secrets\":[{{\"SecretId\":\"watched\",\"VersionId\":\"{version}\"}}],\"WaitTimeSeconds\":{seconds}}}";

        // Two calls know the current version, so both park (3 s and 8 s); the server then holds its two.
        var parkedShort = client.JsonAsync("strongroom", "WatchSecrets", Watch(3));
        var parkedLong = client.JsonAsync("strongroom", "WatchSecrets", Watch(8));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(parkedShort.IsCompleted || parkedLong.IsCompleted, "the watches did not park: the test proves nothing");

        var clock = Stopwatch.StartNew();
        var refused = await client.JsonAsync("strongroom", "WatchSecrets", Watch(8));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the third watch was parked ({clock.Elapsed}), not refused at once");
        Assert.Equal((400, "ThrottlingException"), (refused.Status, refused.Code));
        Assert.Contains("max-watches", refused.Body, StringComparison.Ordinal);
        Assert.True(await MetricAsync(server.Endpoint, "strongroom_throttled_total{reason=\"watch\"}") >= 1);

        // Everything else is served meanwhile, and once the short watch ends its place is free again.
        Assert.Equal(200, (await client.JsonAsync("secretsmanager", "DescribeSecret", "{\"SecretId\":\"watched\"}")).Status);
        Assert.Equal(200, (await parkedShort).Status);
        var again = await client.JsonAsync("strongroom", "WatchSecrets", Watch(0));
        Assert.Equal(200, again.Status);
        Assert.Equal(200, (await parkedLong).Status);

        var trail = await client.JsonAsync("cloudtrail", "LookupEvents", "{\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":\"WatchSecrets\"}]}");
        Assert.Contains("ThrottlingException", trail.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureFailures_AreSlowedThenLockedOut_ForThatAddressOnly_AndTheLockoutEnds()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true, extra: ["--limit", "failures-before-slowdown=3", "--limit", "failures-before-lockout=6", "--limit", "lockout=4", "--limit", "max-slowdown=0.3"]);
        using var attacker = new RawSigner(server.Endpoint);
        using var elsewhere = new RawSigner(server.Endpoint, from: IPAddress.Parse("127.0.0.2"));
        var body = "{}"u8.ToArray();
        var target = RawSigner.Target("secretsmanager", "GetRandomPassword");

        var failures = new List<(RawSigner.Answer Answer, TimeSpan Took)>();
        for (var i = 0; i < 6; i++)
        {
            var watch = Stopwatch.StartNew();
            failures.Add((await attacker.SendAsync("secretsmanager", target, RawSigner.JsonType, body, secretOverride: "wrong"), watch.Elapsed));
        }

        var refused = await attacker.SendAsync("secretsmanager", target, RawSigner.JsonType, body);
        var fromElsewhere = await elsewhere.SendAsync("secretsmanager", target, RawSigner.JsonType, body);

        Assert.All(failures, f => Assert.Equal("InvalidSignatureException", f.Answer.Code));
        Assert.True(failures[^1].Took >= TimeSpan.FromMilliseconds(100), $"the 6th failure took {failures[^1].Took}: not slowed");
        Assert.Equal((400, "ThrottlingException"), (refused.Status, refused.Code));
        Assert.Equal(200, fromElsewhere.Status);
        Assert.True(await MetricAsync(server.Endpoint, "strongroom_auth_lockouts_total") >= 1);
        var trail = await attacker.JsonAsync("cloudtrail", "LookupEvents", "{\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":\"AuthenticationLockout\"}]}");
        Assert.True(trail.Status == 400, "the locked-out address must not read the trail either");
        var recorded = await elsewhere.JsonAsync("cloudtrail", "LookupEvents", "{\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":\"AuthenticationLockout\"}]}");
        Assert.Contains("127.0.0.1", recorded.Body, StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await attacker.SendAsync("secretsmanager", target, RawSigner.JsonType, body)).Status);
    }

    [Fact]
    public async Task ConnectionsPerAddress_OverTheLimit_AreClosed_OtherAddressesServed()
    {
        await using var server = await ServerProcess.StartAsync(null, dev: true, extra: ["--limit", "max-connections-per-address=4"]);
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                // Each held connection is served once (so the server has surely counted it) and then kept open.
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, server.Port);
                held.Add(c);
                await c.GetStream().WriteAsync("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                Assert.True(await c.GetStream().ReadAsync(new byte[256]) > 0);
            }

            using var extra = new TcpClient();
            await extra.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = extra.GetStream();
            await stream.WriteAsync("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var buffer = new byte[256];
            int read;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                read = 0;
            }

            using var elsewhere = new RawSigner(server.Endpoint, from: IPAddress.Parse("127.0.0.2"));
            var served = await elsewhere.JsonAsync("secretsmanager", "GetRandomPassword", "{}");

            Assert.Equal(0, read);
            Assert.Equal(200, served.Status);
            held.ForEach(c => c.Dispose());
            held.Clear();
            await Task.Delay(300);
            Assert.True(await MetricAsync(server.Endpoint, "strongroom_connections_refused_total") >= 1);
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Limits_InvalidValue_RefusesToStart_NamingTheLimit()
    {
        var (code, output) = await ServerProcess.RunAsync("server", "--dev", "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--limit", "lockout=0");
        Assert.NotEqual(0, code);
        Assert.Contains("lockout", output, StringComparison.Ordinal);
        (code, output) = await ServerProcess.RunAsync("server", "--dev", "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--limit", "no-such=1");
        Assert.NotEqual(0, code);
        Assert.Contains("no-such", output, StringComparison.Ordinal);
    }
}
