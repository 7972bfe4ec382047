using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Strongroom.Storage.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Tests;

/// <summary>
/// Three `strongroom server` processes on one PostgreSQL database (a throw-away cluster for this class), as a
/// load balancer would spread clients over them: writes through one node are read through the others, IAM and KMS
/// changes reach the others' caches within the documented bound, a node killed (kill -9) during a write stream
/// loses no acknowledged write, the node holding the background lease killed mid-rotation leaves the rotation to
/// another node which finishes it exactly once, and PostgreSQL restarted under load is survived without any action.
/// </summary>
[Collection("processes")]
public sealed partial class ClusterNodesTests : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private readonly PostgresServer _postgres;
    private readonly ITestOutputHelper _log;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-cluster-").FullName;
    private readonly List<ServerProcess> _nodes = [];
    private string _cs = null!;

    public ClusterNodesTests(PostgresServer postgres, ITestOutputHelper log)
    {
        _postgres = postgres;
        _log = log;
    }

    private string Credentials => Path.Combine(_dir, "a", "admin.credentials");

    public Task InitializeAsync()
    {
        _cs = _postgres.CreateDatabase();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        Directory.Delete(_dir, true);
    }

    /// <summary>Starts nodes a, b, c: a initialises the database; b and c get a copy of a's root key and nothing else.</summary>
    private async Task<ServerProcess[]> StartNodesAsync(params string[] extra)
    {
        var environment = ServerProcess.PostgresEnvironment(_cs);
        var nodes = new List<ServerProcess>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var dir = Path.Combine(_dir, name);
            if (name != "a")
            {
                Directory.CreateDirectory(dir);
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.Copy(Path.Combine(_dir, "a", "root.key"), Path.Combine(dir, "root.key"), overwrite: true);
            }

            var node = await ServerProcess.StartAsync(dir, environment: environment, extra: ["--node-id", name, .. extra]);
            _nodes.Add(node);
            nodes.Add(node);
        }

        return [.. nodes];
    }

    private TestSigner Admin(ServerProcess node) => TestSigner.FromCredentialsFile(node.Endpoint, Credentials);

    private static string Token() => Guid.NewGuid().ToString();

    private async Task<string?> SettingAsync(string key)
    {
        await using var conn = new NpgsqlConnection(_cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT value FROM settings WHERE key = $1", conn) { Parameters = { new() { Value = key } } };
        return (string?)await cmd.ExecuteScalarAsync();
    }

    /// <summary>Polls <paramref name="check"/> every 100 ms until it holds; returns how long that took.</summary>
    private static async Task<TimeSpan> WithinAsync(TimeSpan limit, Func<Task<bool>> check, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!await check())
        {
            Assert.True(clock.Elapsed < limit, $"not within {limit.TotalSeconds} s: {what()}");
            await Task.Delay(100);
        }

        return clock.Elapsed;
    }

    [Fact]
    public async Task ThreeNodes_WritesThroughOneAreReadThroughTheOthers_AndIamAndKmsChangesReachTheirCachesWithinASecond()
    {
        var nodes = await StartNodesAsync();
        using var a = Admin(nodes[0]);
        using var b = Admin(nodes[1]);
        using var c = Admin(nodes[2]);

        Assert.Equal(200, (await a.CallAsync("CreateSecret", new { Name = "app/db", SecretString = "one", ClientRequestToken = Token() })).Status);
        foreach (var other in new[] { b, c })
        {
            var (status, body) = await other.CallAsync("GetSecretValue", new { SecretId = "app/db" });
            Assert.Equal((200, "one"), (status, body.GetProperty("SecretString").GetString()));
        }

        Assert.Equal(200, (await c.CallAsync("PutSecretValue", new { SecretId = "app/db", SecretString = "two", ClientRequestToken = Token() })).Status);
        Assert.Equal("two", (await a.CallAsync("GetSecretValue", new { SecretId = "app/db" })).Body.GetProperty("SecretString").GetString());
        Assert.Equal("one", (await b.CallAsync("GetSecretValue", new { SecretId = "app/db", VersionStage = "AWSPREVIOUS" })).Body.GetProperty("SecretString").GetString());

        // IAM: a user allowed to read through node b (b compiles and caches its policies), then the policy is
        // deleted through node a: b refuses within the bound, without a restart.
        static Dictionary<string, string> Iam(string action, params (string Key, string Value)[] more)
        {
            var form = new Dictionary<string, string> { ["Action"] = action, ["Version"] = "2010-05-08" };
            foreach (var (key, value) in more)
            {
                form[key] = value;
            }

            return form;
        }

        Assert.Equal(200, (await a.QueryAsync("iam", Iam("CreateUser", ("UserName", "reader")))).Status);
        var policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}";
        Assert.Equal(200, (await a.QueryAsync("iam", Iam("PutUserPolicy", ("UserName", "reader"), ("PolicyName", "read"), ("PolicyDocument", policy)))).Status);
        var (_, keyXml) = await a.QueryAsync("iam", Iam("CreateAccessKey", ("UserName", "reader")));
        using var reader = new TestSigner(nodes[1].Endpoint, AccessKeyId().Match(keyXml).Groups[1].Value, SecretAccessKey().Match(keyXml).Groups[1].Value);
        Assert.Equal(200, (await reader.CallAsync("GetSecretValue", new { SecretId = "app/db" })).Status);
        var (explained, explanation) = await ServerProcess.RunWithEnvironmentAsync(
            ServerProcess.PostgresEnvironment(_cs),
            "admin", "explain", "--data-dir", Path.Combine(_dir, "c"), "--user", "reader", "--action", "secretsmanager:GetSecretValue", "--resource", "*");
        Assert.True(explained == 0, explanation);
        Assert.Contains("ALLOW", explanation, StringComparison.Ordinal);
        Assert.Equal(200, (await a.QueryAsync("iam", Iam("DeleteUserPolicy", ("UserName", "reader"), ("PolicyName", "read")))).Status);
        (int Status, JsonElement Body) last = default;
        var iamLag = await WithinAsync(TimeSpan.FromSeconds(5), async () => (last = await reader.CallAsync("GetSecretValue", new { SecretId = "app/db" })).Status == 400, () => last.Body.ToString());
        Assert.Equal("AccessDeniedException", last.Body.GetProperty("__type").GetString());

        // KMS: node c decrypts under a key (and caches it); the key is disabled through node a; c refuses within the bound.
        var keyId = (await a.KmsAsync("CreateKey", new { Description = "cluster" })).Body.GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
        var blob = (await b.KmsAsync("Encrypt", new { KeyId = keyId, Plaintext = Convert.ToBase64String("cluster-plaintext"u8) })).Body.GetProperty("CiphertextBlob").GetString();
        Assert.Equal(200, (await c.KmsAsync("Decrypt", new { CiphertextBlob = blob })).Status);
        Assert.Equal(200, (await a.KmsAsync("DisableKey", new { KeyId = keyId })).Status);
        var kmsLag = await WithinAsync(TimeSpan.FromSeconds(5), async () => (last = await c.KmsAsync("Decrypt", new { CiphertextBlob = blob })).Status == 400, () => last.Body.ToString());
        Assert.Equal("DisabledException", last.Body.GetProperty("__type").GetString());
        _log.WriteLine($"IAM change seen by another node after {iamLag.TotalMilliseconds:F0} ms, KMS change after {kmsLag.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task NodeKilledDuringAWriteStream_LosesNoAcknowledgedWrite_AndTheOthersServeOnWithoutAnError()
    {
        var nodes = await StartNodesAsync();
        using var viaA = Admin(nodes[0]);
        using var viaB = Admin(nodes[1]);
        using var viaC = Admin(nodes[2]);
        var acknowledged = new ConcurrentBag<string>();
        var othersFailed = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        async Task WriteToA(int writer)
        {
            for (var n = 0; ; n++)
            {
                var name = $"stream/a{writer}-{n}";
                try
                {
                    var (status, _) = await viaA.CallAsync("CreateSecret", new { Name = name, SecretString = "v-" + name, ClientRequestToken = Token() });
                    Assert.Equal(200, status);
                    acknowledged.Add(name);
                }
                catch (HttpRequestException)
                {
                    return; // node a is gone: this write was not acknowledged
                }
            }
        }

        async Task WriteToOthers(TestSigner node, string label)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var name = $"stream/{label}-{n}";
                var (status, body) = await node.CallAsync("CreateSecret", new { Name = name, SecretString = "v-" + name, ClientRequestToken = Token() });
                if (status == 200)
                {
                    acknowledged.Add(name);
                }
                else
                {
                    othersFailed.Add($"{name}: {status} {body}");
                }
            }
        }

        var writersA = Enumerable.Range(0, 6).Select(WriteToA).ToList();
        var writersOthers = new[] { WriteToOthers(viaB, "b"), WriteToOthers(viaC, "c") };
        await WithinAsync(TimeSpan.FromSeconds(60), () => Task.FromResult(acknowledged.Count(n => n.StartsWith("stream/a", StringComparison.Ordinal)) >= 150), () => $"{acknowledged.Count} writes");
        nodes[0].Kill();
        await Task.WhenAll(writersA);
        await Task.Delay(1000);
        await stop.CancelAsync();
        await Task.WhenAll(writersOthers);

        Assert.Empty(othersFailed);
        var missing = new List<string>();
        foreach (var (name, i) in acknowledged.Select((n, i) => (n, i)))
        {
            var (status, body) = await (i % 2 == 0 ? viaB : viaC).CallAsync("GetSecretValue", new { SecretId = name });
            if (status != 200 || body.GetProperty("SecretString").GetString() != "v-" + name)
            {
                missing.Add(name);
            }
        }

        Assert.Empty(missing);
        _log.WriteLine($"{acknowledged.Count} acknowledged writes ({acknowledged.Count(n => n.StartsWith("stream/a", StringComparison.Ordinal))} through the killed node), all read back through the others");

        // The trail the killed node was appending to is still one verifiable chain.
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(
            ServerProcess.PostgresEnvironment(_cs), "audit", "verify", "--data-dir", Path.Combine(_dir, "b"));
        Assert.True(code == 0, output);
    }

    /// <summary>A rotation function written against AWS's contract (boto3, SECRETS_MANAGER_ENDPOINT) that logs each step and, in setSecret, waits while HOLD_FILE exists.</summary>
    private const string Function = """
        import json, os, sys, time
        import boto3

        event = json.load(sys.stdin)
        step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
        def log(what):
            with open(os.environ["STEP_LOG"], "a") as f:
                f.write(f"{what} {step} {os.getpid()}\n")
        log("start")
        sm = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
        if step == "createSecret":
            try:
                sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            except sm.exceptions.ResourceNotFoundException:
                sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="rotated-" + token, VersionStages=["AWSPENDING"])
        elif step == "setSecret":
            while os.path.exists(os.environ["HOLD_FILE"]):
                time.sleep(0.2)
        elif step == "finishSecret":
            stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
            current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
            if current != token:
                sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
        log("end")
        """;

    [Fact]
    public async Task LeaseHolderKilledMidRotation_AnotherNodeFinishesTheRotationExactlyOnce()
    {
        var nodes = await StartNodesAsync("--rotation-interval", "1s", "--rotation-retry-base", "2s");
        var lease = await SettingAsync("cluster.lease");
        Assert.NotNull(lease);
        var holderName = lease.Split(' ')[0];
        var holder = nodes[holderName[0] - 'a'];
        var survivors = nodes.Where(n => n != holder).ToArray();
        using var viaHolder = Admin(holder);
        using var viaSurvivor = Admin(survivors[0]);

        var script = Path.Combine(_dir, "rotate.py");
        var stepLog = Path.Combine(_dir, "steps.log");
        var hold = Path.Combine(_dir, "hold");
        await File.WriteAllTextAsync(script, Function);
        await File.WriteAllTextAsync(hold, "");
        var (created, function) = await viaHolder.CallAsync("strongroom", "CreateRotationFunction", new
        {
            Name = "cluster-rotator", Command = $"/usr/bin/python3 {script}", TimeoutSeconds = 60,
            Environment = new Dictionary<string, string> { ["STEP_LOG"] = stepLog, ["HOLD_FILE"] = hold },
        }, CancellationToken.None);
        Assert.True(created == 200, function.ToString());
        var functionArn = function.GetProperty("Function").GetProperty("Arn").GetString();

        var arn = (await viaHolder.CallAsync("CreateSecret", new { Name = "cluster/rotated", SecretString = "before", ClientRequestToken = Token() })).Body.GetProperty("ARN").GetString();
        var (rotated, rotateBody) = await viaHolder.CallAsync("RotateSecret", new { SecretId = arn, RotationLambdaARN = functionArn, RotationRules = new { AutomaticallyAfterDays = 30 } });
        Assert.True(rotated == 200, rotateBody.ToString());
        var version = rotateBody.GetProperty("VersionId").GetString();

        async Task<JsonElement[]> RunsAsync() =>
            [.. (await viaSurvivor.CallAsync("strongroom", "ListRotationRuns", new { SecretId = arn }, CancellationToken.None)).Body.GetProperty("Runs").EnumerateArray()];
        // Killed while the function is inside setSecret (it says so first, then waits).
        await WithinAsync(TimeSpan.FromSeconds(60), () => Task.FromResult(File.Exists(stepLog) && File.ReadAllText(stepLog).Contains("start setSecret", StringComparison.Ordinal)), () => "setSecret to start");
        Assert.Equal("Running", (await RunsAsync()).Single().GetProperty("Outcome").GetString());
        var killedAt = Stopwatch.StartNew();
        holder.Kill();
        File.Delete(hold);

        await WithinAsync(TimeSpan.FromSeconds(90), async () => (await RunsAsync()).Any(r => r.GetProperty("Outcome").GetString() == "Succeeded"), () => "the rotation to finish on another node:\n" + survivors[0].Output[^Math.Min(3000, survivors[0].Output.Length)..]);
        var finishedAfter = killedAt.Elapsed;

        var runs = await RunsAsync();
        Assert.Equal(2, runs.Length);
        var (retry, interrupted) = (runs[0], runs[1]);
        Assert.Equal(("Interrupted", holderName, "setSecret"), (interrupted.GetProperty("Outcome").GetString(), interrupted.GetProperty("Node").GetString(), interrupted.GetProperty("StepReached").GetString()));
        Assert.Equal($"Node {holderName} stopped during setSecret.", interrupted.GetProperty("Error").GetString());
        Assert.Equal(("Succeeded", "Retry", 2, version), (retry.GetProperty("Outcome").GetString(), retry.GetProperty("Trigger").GetString(), retry.GetProperty("Attempt").GetInt32(), retry.GetProperty("VersionId").GetString()));
        Assert.NotEqual(holderName, retry.GetProperty("Node").GetString());

        // Each step of the retry ran once, and finishSecret once in all; the secret moved once, to the rotated value.
        var steps = (await File.ReadAllLinesAsync(stepLog)).Where(l => l.StartsWith("start ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
        Assert.Equal(["createSecret", "setSecret", "createSecret", "setSecret", "testSecret", "finishSecret"], steps);
        var (_, value) = await viaSurvivor.CallAsync("GetSecretValue", new { SecretId = arn });
        Assert.Equal(("rotated-" + version, version), (value.GetProperty("SecretString").GetString(), value.GetProperty("VersionId").GetString()));
        Assert.Equal("before", (await viaSurvivor.CallAsync("GetSecretValue", new { SecretId = arn, VersionStage = "AWSPREVIOUS" })).Body.GetProperty("SecretString").GetString());

        // A surviving node holds the lease now.
        Assert.NotEqual(holderName, (await SettingAsync("cluster.lease"))!.Split(' ')[0]);
        _log.WriteLine($"lease holder {holderName} killed during setSecret; rotation finished on {retry.GetProperty("Node").GetString()} {finishedAfter.TotalSeconds:F1} s later");
    }

    [Fact]
    public async Task PostgresRestartedUnderLoad_EveryNodeRecoversByItself_AndNoAcknowledgedWriteIsLost()
    {
        var nodes = await StartNodesAsync();
        var clients = nodes.Select(Admin).ToArray();
        try
        {
            Assert.Equal(200, (await clients[0].CallAsync("CreateSecret", new { Name = "load/read", SecretString = "steady", ClientRequestToken = Token() })).Status);
            var statuses = new ConcurrentDictionary<string, int>();
            var acknowledged = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();

            async Task Load(int worker)
            {
                var client = clients[worker % clients.Length];
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var name = $"load/w{worker}-{n}";
                    var (written, writeBody) = await client.CallAsync("CreateSecret", new { Name = name, SecretString = "v", ClientRequestToken = Token() });
                    statuses.AddOrUpdate($"CreateSecret {written} {Type(writeBody)}", 1, (_, v) => v + 1);
                    if (written == 200)
                    {
                        acknowledged.Add(name);
                    }

                    var (read, readBody) = await client.CallAsync("GetSecretValue", new { SecretId = "load/read" });
                    statuses.AddOrUpdate($"GetSecretValue {read} {Type(readBody)}", 1, (_, v) => v + 1);
                    if (read != 200)
                    {
                        await Task.Delay(50);
                    }
                }
            }

            static string Type(JsonElement body) => body.TryGetProperty("__type", out var type) ? type.GetString()! : "";

            var load = Enumerable.Range(0, 6).Select(w => Task.Run(() => Load(w))).ToList();
            await Task.Delay(2000);
            _postgres.Stop();
            var down = Stopwatch.StartNew();
            await Task.Delay(3000);
            _postgres.Start();
            var restarted = Stopwatch.StartNew();

            // Every node serves again by itself: ready, and reads and writes answer 200.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await WithinAsync(TimeSpan.FromSeconds(60), async () =>
            {
                foreach (var (node, client) in nodes.Zip(clients))
                {
                    if (!(await http.GetAsync(new Uri(node.Endpoint, "/health/ready"))).IsSuccessStatusCode
                        || (await client.CallAsync("GetSecretValue", new { SecretId = "load/read" })).Status != 200
                        || (await client.CallAsync("PutSecretValue", new { SecretId = "load/read", SecretString = "steady", ClientRequestToken = Token() })).Status != 200)
                    {
                        return false;
                    }
                }

                return true;
            }, () => string.Join(", ", statuses.Select(p => $"{p.Key}: {p.Value}")));
            var recovery = restarted.Elapsed;
            await Task.Delay(1000);
            await stop.CancelAsync();
            await Task.WhenAll(load);

            // During the outage calls failed with AWS's ServiceUnavailable, never an internal error; none hung.
            var summary = string.Join(", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));
            _log.WriteLine($"database down {down.Elapsed.TotalSeconds - recovery.TotalSeconds:F1} s; all nodes serving {recovery.TotalSeconds:F1} s after it came back; {summary}");
            Assert.All(statuses.Keys, k => Assert.Matches(@"^\w+ (200 |503 ServiceUnavailable)$", k));
            Assert.Contains(statuses.Keys, k => k.Contains("503", StringComparison.Ordinal));

            foreach (var name in acknowledged)
            {
                Assert.Equal(200, (await clients[name.Length % 3].CallAsync("DescribeSecret", new { SecretId = name })).Status);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task RacingNodes_KeepNamesUnique_TokensIdempotent_StagesConsistent_AndAcceptEachOthersPageTokens()
    {
        var nodes = await StartNodesAsync();
        var clients = nodes.Select(Admin).ToArray();
        try
        {
            static string TypeOf(JsonElement body) => body.TryGetProperty("__type", out var type) ? type.GetString()! : "";
            Task<(int Status, JsonElement Body)[]> OnAll(Func<TestSigner, int, Task<(int, JsonElement)>> call) =>
                Task.WhenAll(clients.Select((c, i) => Task.Run(() => call(c, i))));

            // Name uniqueness: three nodes create one name at the same moment; one wins, the others get AWS's error.
            for (var round = 0; round < 10; round++)
            {
                var name = $"race/name-{round}";
                var results = await OnAll((c, i) => c.CallAsync("CreateSecret", new { Name = name, SecretString = $"from-{i}", ClientRequestToken = Token() }));
                Assert.Single(results, r => r.Status == 200);
                Assert.All(results.Where(r => r.Status != 200), r => Assert.Equal((400, "ResourceExistsException"), (r.Status, TypeOf(r.Body))));
            }

            // ClientRequestToken idempotency: the same token and value through three nodes at once is one version;
            // the same token with different values is one version and AWS's error for the others.
            Assert.Equal(200, (await clients[0].CallAsync("CreateSecret", new { Name = "race/idem", SecretString = "v0", ClientRequestToken = Token() })).Status);
            for (var round = 0; round < 10; round++)
            {
                var token = Token();
                var same = await OnAll((c, _) => c.CallAsync("PutSecretValue", new { SecretId = "race/idem", SecretString = $"same-{round}", ClientRequestToken = token }));
                Assert.All(same, r => Assert.Equal((200, token), (r.Status, r.Body.GetProperty("VersionId").GetString())));
                var other = Token();
                var differing = await OnAll((c, i) => c.CallAsync("PutSecretValue", new { SecretId = "race/idem", SecretString = $"differ-{round}-{i}", ClientRequestToken = other }));
                Assert.Single(differing, r => r.Status == 200);
                Assert.All(differing.Where(r => r.Status != 200), r => Assert.Equal((400, "ResourceExistsException"), (r.Status, TypeOf(r.Body))));
            }

            var (_, versions) = await clients[1].CallAsync("ListSecretVersionIds", new { SecretId = "race/idem", IncludeDeprecated = true, MaxResults = 100 });
            Assert.Equal(21, versions.GetProperty("Versions").GetArrayLength());

            // Staging labels: new versions written through three nodes at once, twenty times; afterwards exactly one
            // AWSCURRENT and one AWSPREVIOUS, and every node reads the same current value.
            Assert.Equal(200, (await clients[0].CallAsync("CreateSecret", new { Name = "race/stages", SecretString = "s0", ClientRequestToken = Token() })).Status);
            for (var round = 0; round < 20; round++)
            {
                var puts = await OnAll((c, i) => c.CallAsync("PutSecretValue", new { SecretId = "race/stages", SecretString = $"s-{round}-{i}", ClientRequestToken = Token() }));
                Assert.All(puts, r => Assert.Equal(200, r.Status));
            }

            var stages = (await clients[2].CallAsync("ListSecretVersionIds", new { SecretId = "race/stages", IncludeDeprecated = true, MaxResults = 100 })).Body
                .GetProperty("Versions").EnumerateArray().SelectMany(v => v.TryGetProperty("VersionStages", out var st) ? st.EnumerateArray().Select(x => (Stage: x.GetString(), Id: v.GetProperty("VersionId").GetString())) : []).ToList();
            Assert.Single(stages, s => s.Stage == "AWSCURRENT");
            Assert.Single(stages, s => s.Stage == "AWSPREVIOUS");
            var currentValues = await OnAll((c, _) => c.CallAsync("GetSecretValue", new { SecretId = "race/stages" }));
            Assert.Single(currentValues.Select(r => r.Body.GetProperty("VersionId").GetString()).Distinct());
            Assert.Equal(stages.Single(s => s.Stage == "AWSCURRENT").Id, currentValues[0].Body.GetProperty("VersionId").GetString());

            // Page tokens are the caller's: a listing started on one node continues on the others.
            for (var n = 0; n < 25; n++)
            {
                Assert.Equal(200, (await clients[n % 3].CallAsync("CreateSecret", new { Name = $"race/page-{n:D2}", SecretString = "p", ClientRequestToken = Token() })).Status);
            }

            var listed = new List<string>();
            string? next = null;
            var page = 0;
            do
            {
                object request = next is null
                    ? new { MaxResults = 10, Filters = new[] { new { Key = "name", Values = new[] { "race/page-" } } }, SortOrder = "asc" }
                    : new { MaxResults = 10, Filters = new[] { new { Key = "name", Values = new[] { "race/page-" } } }, SortOrder = "asc", NextToken = next };
                var (status, body) = await clients[page++ % 3].CallAsync("ListSecrets", request);
                Assert.Equal(200, status);
                listed.AddRange(body.GetProperty("SecretList").EnumerateArray().Select(e => e.GetProperty("Name").GetString()!));
                next = body.TryGetProperty("NextToken", out var token) ? token.GetString() : null;
            }
            while (next is not null);
            Assert.Equal(Enumerable.Range(0, 25).Select(n => $"race/page-{n:D2}").Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
            Assert.Equal(3, page);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task TwoNodesInitialisingOneEmptyDatabaseAtOnce_AgreeAndMakeOneAdminKey()
    {
        // The same root key from the environment (the env provider), so neither node needs the other's root.key.
        var environment = new Dictionary<string, string>
        {
            ["STRONGROOM_STORAGE"] = "postgres", ["STRONGROOM_POSTGRES"] = _cs,
            ["STRONGROOM_ROOT_KEY_PROVIDER"] = "env", ["STRONGROOM_ROOT_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
        var dirs = new[] { Path.Combine(_dir, "x"), Path.Combine(_dir, "y") };
        var started = await Task.WhenAll(dirs.Select((dir, i) => Task.Run(() => ServerProcess.StartAsync(dir, environment: environment, extra: ["--node-id", $"n{i}"]))));
        _nodes.AddRange(started);

        var credentials = dirs.Select(d => Path.Combine(d, "admin.credentials")).Where(File.Exists).ToList();
        Assert.Single(credentials);
        foreach (var node in started)
        {
            using var admin = TestSigner.FromCredentialsFile(node.Endpoint, credentials[0]);
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = $"init/{node.Port}", SecretString = "v", ClientRequestToken = Token() })).Status);
        }

        await using var conn = new NpgsqlConnection(_cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM access_keys WHERE user_name = 'admin'", conn);
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task RootKeyRotatedOnPostgres_NodesGivenTheNewKeyServeEverything_ANodeWithTheOldKeyIsRefused()
    {
        var nodes = await StartNodesAsync();
        string? blob;
        using (var a = Admin(nodes[0]))
        {
            Assert.Equal(200, (await a.CallAsync("CreateSecret", new { Name = "rooted", SecretString = "under-the-old-key", ClientRequestToken = Token() })).Status);
            var keyId = (await a.KmsAsync("CreateKey", new { Description = "rooted" })).Body.GetProperty("KeyMetadata").GetProperty("KeyId").GetString();
            blob = (await a.KmsAsync("Encrypt", new { KeyId = keyId, Plaintext = Convert.ToBase64String("kms-before"u8) })).Body.GetProperty("CiphertextBlob").GetString();
        }

        foreach (var node in nodes)
        {
            Assert.Equal(0, await node.TerminateAsync());
        }

        var oldKey = await File.ReadAllBytesAsync(Path.Combine(_dir, "b", "root.key"));
        var storage = ServerProcess.PostgresEnvironment(_cs);
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(storage, "admin", "rotate-root-key", "--data-dir", Path.Combine(_dir, "a"));
        Assert.True(code == 0, output);
        Assert.Contains("Completed the root-key rotation", output, StringComparison.Ordinal);
        Assert.DoesNotContain(new Npgsql.NpgsqlConnectionStringBuilder(_cs).Password!, output, StringComparison.Ordinal);

        // A node still holding the old key is refused, saying why.
        var (refused, why) = await ServerProcess.RunWithEnvironmentAsync(storage, "server", "--data-dir", Path.Combine(_dir, "b"), "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.NotEqual(0, refused);
        Assert.Contains("is not the key this database is under", why, StringComparison.Ordinal);
        Assert.Equal(oldKey, await File.ReadAllBytesAsync(Path.Combine(_dir, "b", "root.key")));

        // Given the new key (copied from a), every node serves the secret and the old KMS ciphertext.
        foreach (var node in nodes)
        {
            _nodes.Remove(node);
            await node.DisposeAsync();
        }

        nodes = await StartNodesAsync();
        foreach (var node in nodes)
        {
            using var client = Admin(node);
            Assert.Equal("under-the-old-key", (await client.CallAsync("GetSecretValue", new { SecretId = "rooted" })).Body.GetProperty("SecretString").GetString());
            var (status, decrypted) = await client.KmsAsync("Decrypt", new { CiphertextBlob = blob });
            Assert.Equal((200, "kms-before"), (status, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(decrypted.GetProperty("Plaintext").GetString()!))));
        }
    }

    [GeneratedRegex("<AccessKeyId>([^<]+)</AccessKeyId>")]
    private static partial Regex AccessKeyId();

    [GeneratedRegex("<SecretAccessKey>([^<]+)</SecretAccessKey>")]
    private static partial Regex SecretAccessKey();
}
