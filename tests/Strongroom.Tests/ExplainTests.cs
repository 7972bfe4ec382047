using Xunit;

namespace Strongroom.Tests;

/// <summary>`strongroom admin explain` names the statement that decides.</summary>
[Collection("processes")]
public sealed class ExplainTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-explain-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Explain_NamesTheDecidingStatement()
    {
        await using (var server = await ServerProcess.StartAsync(DataDir))
        {
            using var admin = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            Assert.Equal(200, (await admin.QueryAsync("iam", new Dictionary<string, string> { ["Action"] = "CreateUser", ["Version"] = "2010-05-08", ["UserName"] = "alice" })).Status);
            var policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadProd\",\"Effect\":\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"arn:aws:secretsmanager:*:*:secret:prod/*\"},"
                + "{\"Sid\":\"NoAudit\",\"Effect\":\"Deny\",\"Action\":\"secretsmanager:*\",\"Resource\":\"arn:aws:secretsmanager:*:*:secret:prod/audit*\"}]}";
            var (status, body) = await admin.QueryAsync("iam", new Dictionary<string, string> { ["Action"] = "PutUserPolicy", ["Version"] = "2010-05-08", ["UserName"] = "alice", ["PolicyName"] = "read", ["PolicyDocument"] = policy });
            Assert.True(status == 200, body);

            // The same answer through the admin API; a non-admin may not ask.
            var (apiStatus, answer) = await admin.CallAsync("strongroom", "ExplainAccess", new { UserName = "alice", Action = "secretsmanager:GetSecretValue", Resource = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/audit-AbCdEf" }, CancellationToken.None);
            Assert.Equal(200, apiStatus);
            Assert.Equal("ExplicitDeny", answer.GetProperty("Decision").GetString());
            Assert.Equal("NoAudit", answer.GetProperty("StatementSid").GetString());
            var (_, keyXml) = await admin.QueryAsync("iam", new Dictionary<string, string> { ["Action"] = "CreateAccessKey", ["Version"] = "2010-05-08", ["UserName"] = "alice" });
            var keyId = System.Text.RegularExpressions.Regex.Match(keyXml, "<AccessKeyId>([^<]+)</AccessKeyId>").Groups[1].Value;
            var secret = System.Text.RegularExpressions.Regex.Match(keyXml, "<SecretAccessKey>([^<]+)</SecretAccessKey>").Groups[1].Value;
            using var alice = new TestSigner(server.Endpoint, keyId, secret);
            var (aliceStatus, aliceAnswer) = await alice.CallAsync("strongroom", "ExplainAccess", new { UserName = "alice", Action = "a:b", Resource = "*" }, CancellationToken.None);
            Assert.Equal(400, aliceStatus);
            Assert.Equal("AccessDeniedException", aliceAnswer.GetProperty("__type").GetString());
            var (aliceRoleStatus, _) = await alice.CallAsync("strongroom", "ExplainAccess", new { RoleName = "reader", Action = "a:b", Resource = "*" }, CancellationToken.None);
            Assert.Equal(400, aliceRoleStatus);

            // A role: its own policy allows, the secret's resource policy denies the role's sessions by the role's ARN.
            var trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\"}]}";
            Assert.Equal(200, (await admin.QueryAsync("iam", new Dictionary<string, string> { ["Action"] = "CreateRole", ["Version"] = "2010-05-08", ["RoleName"] = "reader", ["AssumeRolePolicyDocument"] = trust })).Status);
            Assert.Equal(200, (await admin.QueryAsync("iam", new Dictionary<string, string> { ["Action"] = "PutRolePolicy", ["Version"] = "2010-05-08", ["RoleName"] = "reader", ["PolicyName"] = "read", ["PolicyDocument"] = policy })).Status);
            var (_, created) = await admin.CallAsync("secretsmanager", "CreateSecret", new { Name = "prod/db", SecretString = "v", ClientRequestToken = Guid.NewGuid().ToString() }, CancellationToken.None);
            var secretArn = created.GetProperty("ARN").GetString()!;
            var account = secretArn.Split(':')[4];
            var (roleStatus, roleAnswer) = await admin.CallAsync("strongroom", "ExplainAccess", new { RoleName = "reader", Action = "secretsmanager:GetSecretValue", Resource = secretArn }, CancellationToken.None);
            Assert.Equal(200, roleStatus);
            Assert.True(roleAnswer.GetProperty("Allowed").GetBoolean(), roleAnswer.ToString());
            Assert.Equal("ReadProd", roleAnswer.GetProperty("StatementSid").GetString());
            Assert.Contains("role/reader inline policy read", roleAnswer.GetProperty("Explanation").GetString(), StringComparison.Ordinal);
            var deny = $"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"NoReader\",\"Effect\":\"Deny\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{account}:role/reader\"}},\"Action\":\"secretsmanager:*\",\"Resource\":\"*\"}}]}}";
            Assert.Equal(200, (await admin.CallAsync("secretsmanager", "PutResourcePolicy", new { SecretId = "prod/db", ResourcePolicy = deny }, CancellationToken.None)).Status);
            var (_, deniedRole) = await admin.CallAsync("strongroom", "ExplainAccess", new { RoleName = "reader", Action = "secretsmanager:GetSecretValue", Resource = secretArn }, CancellationToken.None);
            Assert.Equal(("ExplicitDeny", "NoReader"), (deniedRole.GetProperty("Decision").GetString(), deniedRole.GetProperty("StatementSid").GetString()));
            var (_, noRole) = await admin.CallAsync("strongroom", "ExplainAccess", new { RoleName = "ghost", Action = "secretsmanager:GetSecretValue", Resource = secretArn }, CancellationToken.None);
            Assert.False(noRole.GetProperty("Allowed").GetBoolean());
            var (bothStatus, both) = await admin.CallAsync("strongroom", "ExplainAccess", new { UserName = "alice", RoleName = "reader", Action = "a:b", Resource = "*" }, CancellationToken.None);
            Assert.Equal((400, "ValidationException"), (bothStatus, both.GetProperty("__type").GetString()));
            await server.TerminateAsync();
        }

        var (allowed, allowOutput) = await ServerProcess.RunAsync("admin", "explain", "--data-dir", DataDir, "--user", "alice", "--action", "secretsmanager:GetSecretValue", "--resource", "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf");
        Assert.True(allowed == 0, allowOutput);
        Assert.Contains("ALLOW", allowOutput, StringComparison.Ordinal);
        Assert.Contains("\"ReadProd\" of user/alice inline policy read", allowOutput, StringComparison.Ordinal);

        var (denied, denyOutput) = await ServerProcess.RunAsync("admin", "explain", "--data-dir", DataDir, "--user", "alice", "--action", "secretsmanager:GetSecretValue", "--resource", "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/audit-AbCdEf");
        Assert.Equal(1, denied);
        Assert.Contains("DENY (explicit)", denyOutput, StringComparison.Ordinal);
        Assert.Contains("\"NoAudit\"", denyOutput, StringComparison.Ordinal);

        var (implicitCode, implicitOutput) = await ServerProcess.RunAsync("admin", "explain", "--data-dir", DataDir, "--user", "alice", "--action", "secretsmanager:GetSecretValue", "--resource", "arn:aws:secretsmanager:us-east-1:111122223333:secret:dev/db-AbCdEf");
        Assert.Equal(1, implicitCode);
        Assert.Contains("DENY (implicit)", implicitOutput, StringComparison.Ordinal);
        Assert.Contains("no statement of any policy applies", implicitOutput, StringComparison.Ordinal);
    }
}
