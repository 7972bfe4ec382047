using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Metrics, health, structured logs, configuration and online backup, against real processes.</summary>
[Collection("processes")]
public sealed class OperationsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-ops-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Metrics_CountRequestsByOperationAndCode_WithoutSecretNames()
    {
        await using var server = await ServerProcess.StartAsync(DataDir);
        using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        await client.CallAsync("CreateSecret", new { Name = "metric/very-private-name", SecretString = "x", ClientRequestToken = Guid.NewGuid().ToString() });
        await client.CallAsync("GetSecretValue", new { SecretId = "metric/missing" });
        await client.CallAsync("NoSuchOperation", new { });
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(server.Endpoint, "/metrics"));
        Assert.Contains("strongroom_requests_total{service=\"secretsmanager\",operation=\"CreateSecret\",code=\"\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_requests_total{service=\"secretsmanager\",operation=\"GetSecretValue\",code=\"ResourceNotFoundException\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("operation=\"unknown\"", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Matches("strongroom_secrets [1-9]", text);
        Assert.Contains("strongroom_audit_records", text, StringComparison.Ordinal);
        Assert.DoesNotContain("very-private-name", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditFile_ReceivesEveryDurableRecord()
    {
        var file = Path.Combine(_dir, "audit.jsonl");
        await using (var server = await ServerProcess.StartAsync(DataDir, extra: ["--audit-file", file]))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            await client.CallAsync("ListSecrets", new { });
            await server.TerminateAsync();
        }

        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(["ServerStarted", "ListSecrets", "ServerStopped"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("eventName").GetString()!).ToArray());
    }

    [Fact]
    public async Task Logs_AreJsonLinesWithStableEventIds()
    {
        await using var server = await ServerProcess.StartAsync(DataDir);
        await server.TerminateAsync();
        var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(lines);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("EventId").GetInt32() == 101 && e.GetProperty("Category").GetString() == "Strongroom");
        Assert.All(events, e => Assert.True(e.TryGetProperty("Timestamp", out _)));
    }

    [Fact]
    public async Task Config_FromEnvironmentAndFile_ValidatedWithTheSettingsName()
    {
        var port = ServerProcess.FreePort();
        var configFile = Path.Combine(_dir, "strongroom.json");
        await File.WriteAllTextAsync(configFile, "{\"listen\": \"127.0.0.1:1\", \"colour\": \"blue\"}");
        var (code, output) = await ServerProcess.RunAsync("server", "--config", configFile, "--data-dir", DataDir);
        Assert.Equal(2, code);
        Assert.Contains("unknown setting 'colour'", output, StringComparison.Ordinal);

        var (badCode, badOutput) = await ServerProcess.RunWithEnvironmentAsync(new Dictionary<string, string> { ["STRONGROOM_LOG_FORMAT"] = "xml" }, "server", "--data-dir", DataDir, "--listen", $"127.0.0.1:{port}");
        Assert.Equal(2, badCode);
        Assert.Contains("--log-format: 'xml'", badOutput, StringComparison.Ordinal);

        // The environment names the data dir and the listen address; no flags given for them.
        await File.WriteAllTextAsync(configFile, "{\"log-format\": \"text\"}");
        await using var server = await ServerProcess.StartAsync(null, port: null, environment: new Dictionary<string, string> { ["STRONGROOM_DATA_DIR"] = DataDir, ["STRONGROOM_CONFIG"] = configFile });
        Assert.True(File.Exists(Path.Combine(DataDir, "admin.credentials")));
        Assert.Contains("info: Strongroom[101]", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_UnderWriteLoad_RestoresEverySecretWrittenBefore()
    {
        var before = new ConcurrentBag<string>();
        var backupFile = Path.Combine(_dir, "backup.db");
        string rootKey;
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            using var stop = new CancellationTokenSource();
            var backupStarted = false;
            var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var name = $"load/w{w}-{i}";
                    var (status, _) = await client.CallAsync("CreateSecret", new { Name = name, SecretString = "BACKUP-CANARY-" + name, ClientRequestToken = Guid.NewGuid().ToString() });
                    if (status == 200 && !Volatile.Read(ref backupStarted))
                    {
                        before.Add(name);
                    }
                }
            })).ToArray();
            while (before.Count < 40)
            {
                await Task.Delay(20);
            }

            Volatile.Write(ref backupStarted, true);
            var (code, output) = await ServerProcess.RunAsync("backup", "create", "--data-dir", DataDir, "--out", backupFile);
            Assert.True(code == 0, output);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            rootKey = await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key"));
        }

        var backupBytes = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(backupFile));
        Assert.DoesNotContain(rootKey.Split('\n')[1], backupBytes, StringComparison.Ordinal);
        Assert.DoesNotContain("BACKUP-CANARY-", backupBytes, StringComparison.Ordinal);

        var restored = Path.Combine(_dir, "restored");
        var (restoreCode, restoreOutput) = await ServerProcess.RunAsync("backup", "restore", "--data-dir", restored, "--in", backupFile);
        Assert.True(restoreCode == 0, restoreOutput);
        Assert.Matches(@"and [1-9][0-9]* audit records", restoreOutput); // the trail (its own file in the data dir) is in the backup
        var (refused, refusedOutput) = await ServerProcess.RunAsync("server", "--data-dir", restored, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, refused);
        Assert.Contains("root.key", refusedOutput, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(restored, "root.key"), rootKey);
        File.SetUnixFileMode(Path.Combine(restored, "root.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Copy(Path.Combine(DataDir, "admin.credentials"), Path.Combine(restored, "admin.credentials"));
        await using var again = await ServerProcess.StartAsync(restored);
        using var reader = TestSigner.FromCredentialsFile(again.Endpoint, Path.Combine(restored, "admin.credentials"));
        foreach (var name in before)
        {
            var (status, body) = await reader.CallAsync("GetSecretValue", new { SecretId = name });
            Assert.True(status == 200, $"{name}: {body}");
            Assert.Equal("BACKUP-CANARY-" + name, body.GetProperty("SecretString").GetString());
        }

        var (verified, verifyOutput) = await ServerProcess.RunAsync("audit", "verify", "--data-dir", restored);
        Assert.True(verified == 0, verifyOutput);
    }
}
