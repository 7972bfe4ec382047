using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// `strongroom admin migrate-store` end to end: a real server fills a SQLite data directory through the API, the
/// command copies it into PostgreSQL, and a server on PostgreSQL with the same root key serves everything back.
/// </summary>
[Collection("processes")]
public sealed class MigrateStoreTests : IClassFixture<PostgresServer>, IDisposable
{
    private readonly PostgresServer _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-migrate-").FullName;

    public MigrateStoreTests(PostgresServer postgres) => _postgres = postgres;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Dictionary<string, string> Postgres(string connectionString) => new() { ["STRONGROOM_POSTGRES"] = connectionString };

    private static Dictionary<string, string> Storage(string connectionString) => ServerProcess.PostgresEnvironment(connectionString);

    private static string PasswordOf(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Password!;

    private static string Token() => Guid.NewGuid().ToString();

    [Fact]
    public async Task MigrateStore_FilledSqliteDataDir_IsServedFromPostgresWithTheSameRootKey()
    {
        var marker = "mig-plain-" + Guid.NewGuid().ToString("N");
        var dir = Path.Combine(_dir, "data");
        string kmsCiphertext, bobKey, bobSecret;
        await using (var server = await ServerProcess.StartAsync(dir))
        {
            using var admin = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(dir, "admin.credentials"));
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "app/db", SecretString = marker + "-v1", ClientRequestToken = Token(), Tags = new[] { new { Key = "team", Value = "payments" } } })).Status);
            Assert.Equal(200, (await admin.CallAsync("PutSecretValue", new { SecretId = "app/db", SecretString = marker + "-v2", ClientRequestToken = Token() })).Status);
            Assert.Equal(200, (await admin.CallAsync("PutSecretValue", new { SecretId = "app/db", SecretString = marker + "-v3", ClientRequestToken = Token(), VersionStages = new[] { "STAGED" } })).Status);
            var policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"secretsmanager:DeleteSecret\",\"Resource\":\"*\"}]}";
            Assert.Equal(200, (await admin.CallAsync("PutResourcePolicy", new { SecretId = "app/db", ResourcePolicy = policy })).Status);
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "doomed", SecretString = marker + "-doomed", ClientRequestToken = Token() })).Status);
            Assert.Equal(200, (await admin.CallAsync("DeleteSecret", new { SecretId = "doomed", RecoveryWindowInDays = 7 })).Status);

            var (_, key) = await admin.KmsAsync("CreateKey", new { Description = "migrated" });
            var keyId = key.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            Assert.Equal(200, (await admin.KmsAsync("CreateAlias", new { AliasName = "alias/migrated", TargetKeyId = keyId })).Status);
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "cmk", SecretString = marker + "-cmk", KmsKeyId = "alias/migrated", ClientRequestToken = Token() })).Status);
            var (_, encrypted) = await admin.KmsAsync("Encrypt", new { KeyId = "alias/migrated", Plaintext = Convert.ToBase64String(Encoding.UTF8.GetBytes(marker + "-kms")) });
            kmsCiphertext = encrypted.GetProperty("CiphertextBlob").GetString()!;

            Assert.Equal(200, (await admin.CallAsync("ssm", "PutParameter", new { Name = "/app/password", Value = marker + "-ssm1", Type = "SecureString" }, CancellationToken.None)).Status);
            Assert.Equal(200, (await admin.CallAsync("ssm", "PutParameter", new { Name = "/app/password", Value = marker + "-ssm2", Type = "SecureString", Overwrite = true }, CancellationToken.None)).Status);

            Assert.Equal(200, (await admin.QueryAsync("iam", Form("CreateUser", ("UserName", "bob")))).Status);
            var bobPolicy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}";
            Assert.Equal(200, (await admin.QueryAsync("iam", Form("PutUserPolicy", ("UserName", "bob"), ("PolicyName", "read"), ("PolicyDocument", bobPolicy)))).Status);
            var (_, keyXml) = await admin.QueryAsync("iam", Form("CreateAccessKey", ("UserName", "bob")));
            bobKey = Regex.Match(keyXml, "<AccessKeyId>([^<]+)</AccessKeyId>").Groups[1].Value;
            bobSecret = Regex.Match(keyXml, "<SecretAccessKey>([^<]+)</SecretAccessKey>").Groups[1].Value;
            Assert.Equal(0, await server.TerminateAsync());
        }

        var cs = _postgres.CreateDatabase();
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(cs), "admin", "migrate-store", "--data-dir", dir);
        Assert.True(code == 0, output);
        Assert.Contains("\nverified", output, StringComparison.Ordinal);
        Assert.Matches(@"secrets\s+3\s+3\s+ok", output);
        Assert.Matches(@"audit_events\s+\d+\s+\d+\s+ok", output);
        Assert.Contains("audit trail: OK", output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(dir, "root.key"), output, StringComparison.Ordinal);
        Assert.DoesNotContain(PasswordOf(cs), output, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, output, StringComparison.Ordinal);

        var (again, againOutput) = await ServerProcess.RunWithEnvironmentAsync(Postgres(cs), "admin", "migrate-store", "--data-dir", dir, "--verify-only");
        Assert.True(again == 0, againOutput);
        Assert.Contains("\nverified", againOutput, StringComparison.Ordinal);

        // Only ciphertext reached the database: neither a value nor its hex form is in a dump.
        var dump = await PgDumpAsync(cs);
        Assert.Contains("app/db", dump, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(marker)), dump, StringComparison.OrdinalIgnoreCase);

        await using (var node = await ServerProcess.StartAsync(dir, environment: Storage(cs)))
        {
            using var admin = TestSigner.FromCredentialsFile(node.Endpoint, Path.Combine(dir, "admin.credentials"));
            Assert.Equal(marker + "-v2", await ValueAsync(admin, new { SecretId = "app/db" }));
            Assert.Equal(marker + "-v1", await ValueAsync(admin, new { SecretId = "app/db", VersionStage = "AWSPREVIOUS" }));
            Assert.Equal(marker + "-v3", await ValueAsync(admin, new { SecretId = "app/db", VersionStage = "STAGED" }));
            Assert.Equal(marker + "-cmk", await ValueAsync(admin, new { SecretId = "cmk" }));
            var (_, versions) = await admin.CallAsync("ListSecretVersionIds", new { SecretId = "app/db" });
            Assert.Equal(3, versions.GetProperty("Versions").GetArrayLength());
            var (_, described) = await admin.CallAsync("DescribeSecret", new { SecretId = "app/db" });
            Assert.Equal("payments", described.GetProperty("Tags")[0].GetProperty("Value").GetString());
            var (_, policyBody) = await admin.CallAsync("GetResourcePolicy", new { SecretId = "app/db" });
            Assert.Contains("secretsmanager:DeleteSecret", policyBody.GetProperty("ResourcePolicy").GetString(), StringComparison.Ordinal);
            var (_, doomed) = await admin.CallAsync("DescribeSecret", new { SecretId = "doomed" });
            Assert.True(doomed.TryGetProperty("DeletedDate", out _), doomed.ToString());
            Assert.Equal(400, (await admin.CallAsync("GetSecretValue", new { SecretId = "doomed" })).Status);

            var (paramStatus, parameter) = await admin.CallAsync("ssm", "GetParameter", new { Name = "/app/password", WithDecryption = true }, CancellationToken.None);
            Assert.True(paramStatus == 200, parameter.ToString());
            Assert.Equal(marker + "-ssm2", parameter.GetProperty("Parameter").GetProperty("Value").GetString());
            Assert.Equal(2, parameter.GetProperty("Parameter").GetProperty("Version").GetInt64());
            var (_, old) = await admin.CallAsync("ssm", "GetParameter", new { Name = "/app/password:1", WithDecryption = true }, CancellationToken.None);
            Assert.Equal(marker + "-ssm1", old.GetProperty("Parameter").GetProperty("Value").GetString());

            var (decryptStatus, decrypted) = await admin.KmsAsync("Decrypt", new { CiphertextBlob = kmsCiphertext });
            Assert.True(decryptStatus == 200, decrypted.ToString());
            Assert.Equal(marker + "-kms", Encoding.UTF8.GetString(Convert.FromBase64String(decrypted.GetProperty("Plaintext").GetString()!)));
            var (_, aliases) = await admin.KmsAsync("ListAliases", new { });
            Assert.Contains(aliases.GetProperty("Aliases").EnumerateArray(), a => a.GetProperty("AliasName").GetString() == "alias/migrated");

            using var bob = new TestSigner(node.Endpoint, bobKey, bobSecret);
            Assert.Equal(marker + "-v2", await ValueAsync(bob, new { SecretId = "app/db" }));

            // New rows continue after the copied ids (the identity sequences were moved past them).
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "after", SecretString = "new", ClientRequestToken = Token() })).Status);
            Assert.Equal("new", await ValueAsync(admin, new { SecretId = "after" }));
            Assert.Equal(0, await node.TerminateAsync());
            Assert.DoesNotContain(PasswordOf(cs), node.Output, StringComparison.Ordinal);
        }

        var (verified, verifyOutput) = await ServerProcess.RunWithEnvironmentAsync(Storage(cs), "audit", "verify", "--data-dir", dir);
        Assert.True(verified == 0, verifyOutput);
        Assert.Contains("OK: verified", verifyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateStore_TargetNotEmpty_IsRefusedAndNothingChanges()
    {
        var dir = Path.Combine(_dir, "data");
        await using (var server = await ServerProcess.StartAsync(dir))
        {
            using var admin = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(dir, "admin.credentials"));
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "one", SecretString = "v", ClientRequestToken = Token() })).Status);
            Assert.Equal(0, await server.TerminateAsync());
        }

        var cs = _postgres.CreateDatabase();
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(cs), "admin", "migrate-store", "--data-dir", dir);
        Assert.True(code == 0, output);
        var before = await PgDumpAsync(cs);

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(cs), "admin", "migrate-store", "--data-dir", dir);
        Assert.Equal(1, code);
        Assert.Contains("already holds a Strongroom store", output, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("verified", output, StringComparison.Ordinal);
        Assert.Equal(before, await PgDumpAsync(cs));

        // Verification notices a single flipped ciphertext bit.
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync();
            await using var tamper = new NpgsqlCommand("UPDATE versions SET envelope = set_byte(envelope, 20, get_byte(envelope, 20) # 1)", conn);
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(cs), "admin", "migrate-store", "--data-dir", dir, "--verify-only");
        Assert.Equal(1, code);
        Assert.Matches(@"versions\s+1\s+1\s+MISMATCH", output);
        Assert.Contains("NOT verified", output, StringComparison.Ordinal);

        // A database a server initialised (settings, audit) is not empty either.
        var used = _postgres.CreateDatabase();
        await using (var node = await ServerProcess.StartAsync(Path.Combine(_dir, "node"), environment: Storage(used)))
        {
            Assert.Equal(0, await node.TerminateAsync());
        }

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(used), "admin", "migrate-store", "--data-dir", dir);
        Assert.Equal(1, code);
        Assert.Contains("already holds a Strongroom store", output, StringComparison.Ordinal);
        Assert.Contains("settings", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateStore_BadOrMissingConnectionString_FailsWithoutShowingIt()
    {
        var dir = Path.Combine(_dir, "data");
        var (imported, importOutput) = await ServerProcess.RunAsync("admin", "import-access-key", "--data-dir", dir, "--access-key-id", "AKIAMIGRATETEST", "--secret-access-key", "migrate-test-secret");
        Assert.True(imported == 0, importOutput);

        var (code, output) = await ServerProcess.RunAsync("admin", "migrate-store", "--data-dir", dir);
        Assert.Equal(2, code);
        Assert.Contains("migrate-store needs --postgres", output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres("Host=db;Password=hunter2-migrate;broken"), "admin", "migrate-store", "--data-dir", dir);
        Assert.Equal(2, code);
        Assert.Contains("--postgres: not a valid PostgreSQL connection string", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-migrate", output, StringComparison.Ordinal);

        var wrong = new NpgsqlConnectionStringBuilder(_postgres.CreateDatabase()) { Password = "wrong-" + Guid.NewGuid().ToString("N") }.ConnectionString;
        (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(wrong), "admin", "migrate-store", "--data-dir", dir);
        Assert.Equal(1, code);
        Assert.Contains("strongroom: --postgres: cannot use the PostgreSQL database", output, StringComparison.Ordinal);
        Assert.DoesNotContain(PasswordOf(wrong), output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunWithEnvironmentAsync(Postgres(_postgres.CreateDatabase()), "admin", "migrate-store", "--data-dir", Path.Combine(_dir, "missing"));
        Assert.Equal(1, code);
        Assert.Contains("not an initialised Strongroom data directory", output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Form(string action, params (string Key, string Value)[] values)
    {
        var form = new Dictionary<string, string> { ["Action"] = action, ["Version"] = "2010-05-08" };
        foreach (var (k, v) in values)
        {
            form[k] = v;
        }

        return form;
    }

    private static async Task<string?> ValueAsync(TestSigner client, object input)
    {
        var (status, body) = await client.CallAsync("GetSecretValue", input);
        Assert.True(status == 200, body.ToString());
        return body.GetProperty("SecretString").GetString();
    }

    /// <summary>A plain-text pg_dump of the database (bytea as hex), with the same PostgreSQL's pg_dump.</summary>
    private static async Task<string> PgDumpAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var pgDump = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_dump")).Where(File.Exists).Order(StringComparer.Ordinal).Last();
        var info = new ProcessStartInfo(pgDump) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--no-owner", "--host", builder.Host!, "--port", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username", builder.Username!, builder.Database! })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);

        // Newer pg_dump brackets the script with \restrict / \unrestrict and a random key: not content.
        return string.Join('\n', (await stdout).Split('\n').Where(l => !l.StartsWith("\\restrict", StringComparison.Ordinal) && !l.StartsWith("\\unrestrict", StringComparison.Ordinal)));
    }
}
