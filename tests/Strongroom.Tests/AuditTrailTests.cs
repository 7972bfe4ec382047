using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Strongroom.Tests;

/// <summary>The audit trail: tamper evidence checked by `strongroom audit verify`, export, public key.</summary>
[Collection("processes")]
public sealed class AuditTrailTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-audit-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    // The trail is in its own file beside strongroom.db; tampering goes straight at it.
    private string Database => Strongroom.Storage.Sqlite.SqliteStore.AuditFilePath(Path.Combine(DataDir, "strongroom.db"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    /// <summary>A stopped server's data dir with a trail of about 20 records and a final signed digest.</summary>
    private async Task<string> SeedAsync()
    {
        await using var server = await ServerProcess.StartAsync(DataDir);
        using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        for (var i = 0; i < 6; i++)
        {
            await client.CallAsync("CreateSecret", new { Name = "audit/" + i, SecretString = "v", ClientRequestToken = Guid.NewGuid().ToString() });
            await client.CallAsync("GetSecretValue", new { SecretId = "audit/" + i });
        }

        await client.CallAsync("GetSecretValue", new { SecretId = "missing" });
        Assert.Equal(0, await server.TerminateAsync());
        var (code, key) = await ServerProcess.RunAsync("audit", "public-key", "--data-dir", DataDir);
        Assert.Equal(0, code);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", key.Trim(), StringComparison.Ordinal);
        var keyFile = Path.Combine(_dir, "audit.pem");
        await File.WriteAllTextAsync(keyFile, key);
        return keyFile;
    }

    private async Task<(int Code, string Output)> VerifyAsync(string keyFile) =>
        await ServerProcess.RunAsync("audit", "verify", "--data-dir", DataDir, "--public-key", keyFile);

    private void Sql(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task Verify_UntouchedTrail_Succeeds()
    {
        var key = await SeedAsync();
        var (code, output) = await VerifyAsync(key);
        Assert.True(code == 0, output);
        Assert.Contains("OK: verified", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UPDATE audit_events SET record = replace(record, 'audit/3', 'audit/9') WHERE seq = 8", 8L, "edited")]
    [InlineData("DELETE FROM audit_events WHERE seq = 5", 5L, "removed")]
    [InlineData("UPDATE audit_events SET seq = -seq WHERE seq IN (6, 7); UPDATE audit_events SET seq = 7 WHERE seq = -6; UPDATE audit_events SET seq = 6 WHERE seq = -7", 6L, "reordered")]
    [InlineData("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 4; UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1004; INSERT INTO audit_events SELECT 4, event_id, event_time_ms, event_name, event_source, username, access_key_id, read_only, resource_name, resource_type, record, hash FROM audit_events WHERE seq = 3", 4L, "inserted")]
    [InlineData("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)", null, "removed")]
    public async Task Verify_TamperedTrail_FailsNamingTheRecord(string tamper, long? expectedSeq, string word)
    {
        var key = await SeedAsync();
        Sql(tamper);

        // A forger who can write the data directory removes the journal too (else a removed tail is stored again
        // from it: Verify_TailRemovedFromTheTablesAlone_IsStoredAgainFromTheJournal).
        RemoveJournal();
        var (code, output) = await VerifyAsync(key);
        Assert.True(code == 1, output);
        Assert.Contains("FAILED at record", output, StringComparison.Ordinal);
        Assert.Contains(word, output, StringComparison.Ordinal);
        if (expectedSeq is not null)
        {
            Assert.Contains($"FAILED at record {expectedSeq}:", output, StringComparison.Ordinal);
        }
    }

    private void RemoveJournal()
    {
        foreach (var file in Strongroom.Storage.Sqlite.SqliteStore.AuditJournalPaths(Path.Combine(DataDir, "strongroom.db")))
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Verify_TailRemovedFromTheTablesAlone_IsStoredAgainFromTheJournal()
    {
        var key = await SeedAsync();
        Sql("DELETE FROM audit_events WHERE seq > 10");
        var (code, output) = await VerifyAsync(key);
        Assert.True(code == 0, output);
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM audit_events WHERE seq > 10";
        Assert.True((long)count.ExecuteScalar()! > 0);
    }

    [Fact]
    public async Task Verify_RewrittenChain_CaughtByTheSignedDigest()
    {
        var key = await SeedAsync();
        // Edit a record and recompute every later hash, as a careful forger would: only the signature stops it.
        Sql("UPDATE audit_events SET record = replace(record, 'audit/2', 'audit/7') WHERE seq = 6");
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            var rows = new List<(long Seq, string Record)>();
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT seq, record FROM audit_events ORDER BY seq";
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1)));
                }
            }

            var hash = Core.Audit.AuditChain.Genesis;
            foreach (var (seq, record) in rows)
            {
                hash = Core.Audit.AuditChain.Link(hash, seq, record);
                using var write = connection.CreateCommand();
                write.CommandText = "UPDATE audit_events SET hash = $h WHERE seq = $s";
                write.Parameters.AddWithValue("$h", hash);
                write.Parameters.AddWithValue("$s", seq);
                write.ExecuteNonQuery();
            }
        }

        var (code, output) = await VerifyAsync(key);
        Assert.True(code == 1, output);
        Assert.Contains("signed digest", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_ArchivesOldRecords_AndVerificationSpansTheArchive()
    {
        await using (var server = await ServerProcess.StartAsync(DataDir, extra: ["--audit-retention", "1s", "--audit-digest-interval", "1s"]))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            for (var i = 0; i < 5; i++)
            {
                await client.CallAsync("ListSecrets", new { });
            }

            var archive = Path.Combine(DataDir, "audit-archive");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && (!Directory.Exists(archive) || Directory.GetFiles(archive, "audit-*.jsonl").Length == 0))
            {
                await Task.Delay(200);
            }

            Assert.NotEmpty(Directory.GetFiles(archive, "audit-*.jsonl"));
            await client.CallAsync("ListSecrets", new { });
            await server.TerminateAsync();
        }

        var (key, pem) = await ServerProcess.RunAsync("audit", "public-key", "--data-dir", DataDir);
        Assert.Equal(0, key);
        var keyFile = Path.Combine(_dir, "audit.pem");
        await File.WriteAllTextAsync(keyFile, pem);
        var (code, output) = await VerifyAsync(keyFile);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("not checked", output, StringComparison.Ordinal);

        // An edited archived record is caught.
        var file = Directory.GetFiles(Path.Combine(DataDir, "audit-archive"), "audit-*.jsonl").Order(StringComparer.Ordinal).First();
        var lines = await File.ReadAllLinesAsync(file);
        lines[0] = lines[0].Replace("ServerStarted", "ServerStartex", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines);
        var (tampered, tamperedOutput) = await VerifyAsync(keyFile);
        Assert.True(tampered == 1, tamperedOutput);
        Assert.Contains("FAILED at record 1:", tamperedOutput, StringComparison.Ordinal);

        // Without the archive, the rest still verifies from the recorded boundary.
        Directory.Delete(Path.Combine(DataDir, "audit-archive"), true);
        var (partial, partialOutput) = await VerifyAsync(keyFile);
        Assert.True(partial == 0, partialOutput);
        Assert.Contains("were not checked", partialOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_WritesEveryRecordAsJsonLines()
    {
        await SeedAsync();
        var (code, output) = await ServerProcess.RunAsync("audit", "export", "--data-dir", DataDir);
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 15, output);
        foreach (var line in lines)
        {
            using var record = System.Text.Json.JsonDocument.Parse(line);
            Assert.Equal("1.09", record.RootElement.GetProperty("eventVersion").GetString());
        }

        Assert.Contains(lines, l => l.Contains("\"errorCode\":\"ResourceNotFoundException\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"eventName\":\"ServerStarted\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"eventName\":\"ServerStopped\"", StringComparison.Ordinal));
    }
}
