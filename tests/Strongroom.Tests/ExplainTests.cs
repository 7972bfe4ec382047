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
