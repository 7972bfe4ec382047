using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Strongroom.VerifyAuditTrail: `strongroom audit verify` over the API, for the admin or an explicit IAM permission, audited.</summary>
[Collection("processes")]
public sealed class AuditVerifyApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-auditapi-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    private static Dictionary<string, string> Iam(string action, params (string Key, string Value)[] members)
    {
        var form = new Dictionary<string, string> { ["Action"] = action, ["Version"] = "2010-05-08" };
        foreach (var (key, value) in members)
        {
            form[key] = value;
        }

        return form;
    }

    private static async Task<TestSigner> UserAsync(TestSigner admin, Uri endpoint, string name, string? policy)
    {
        Assert.Equal(200, (await admin.QueryAsync("iam", Iam("CreateUser", ("UserName", name)))).Status);
        if (policy is not null)
        {
            var (status, body) = await admin.QueryAsync("iam", Iam("PutUserPolicy", ("UserName", name), ("PolicyName", "p"), ("PolicyDocument", policy)));
            Assert.True(status == 200, body);
        }

        var (_, xml) = await admin.QueryAsync("iam", Iam("CreateAccessKey", ("UserName", name)));
        return new TestSigner(endpoint, Regex.Match(xml, "<AccessKeyId>([^<]+)</AccessKeyId>").Groups[1].Value, Regex.Match(xml, "<SecretAccessKey>([^<]+)</SecretAccessKey>").Groups[1].Value);
    }

    [Fact]
    public async Task VerifyAuditTrail_AdminAndPermittedUser_VerifiedAndAudited_OthersDenied_TamperingNamed()
    {
        await using var server = await ServerProcess.StartAsync(DataDir);
        using var admin = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await admin.CallAsync("CreateSecret", new { Name = "verify/" + i, SecretString = "v", ClientRequestToken = Guid.NewGuid().ToString() })).Status);
        }

        var (status, answer) = await admin.CallAsync("strongroom", "VerifyAuditTrail", new { }, CancellationToken.None);
        Assert.True(status == 200, answer.ToString());
        Assert.True(answer.GetProperty("Verified").GetBoolean(), answer.ToString());
        Assert.True(answer.GetProperty("Records").GetInt64() >= 4, answer.ToString());
        Assert.StartsWith("verified ", answer.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal("stored", answer.GetProperty("PublicKey").GetString());

        // No policy: denied. A policy for another Strongroom operation, or for everything in Secrets Manager: still denied.
        using var nobody = await UserAsync(admin, server.Endpoint, "nobody", null);
        using var rotator = await UserAsync(admin, server.Endpoint, "rotator", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"strongroom:ListRotationRuns\",\"secretsmanager:*\"],\"Resource\":\"*\"}]}");
        foreach (var denied in new[] { nobody, rotator })
        {
            var (deniedStatus, deniedAnswer) = await denied.CallAsync("strongroom", "VerifyAuditTrail", new { }, CancellationToken.None);
            Assert.Equal(400, deniedStatus);
            Assert.Equal("AccessDeniedException", deniedAnswer.GetProperty("__type").GetString());
            Assert.Contains("strongroom:VerifyAuditTrail", deniedAnswer.GetProperty("Message").GetString(), StringComparison.Ordinal);
            Assert.False(deniedAnswer.TryGetProperty("Verified", out _));
        }

        // An explicit permission is enough, and an explicit deny wins over it.
        using var auditor = await UserAsync(admin, server.Endpoint, "auditor", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"strongroom:VerifyAuditTrail\",\"Resource\":\"*\"}]}");
        var (auditorStatus, auditorAnswer) = await auditor.CallAsync("strongroom", "VerifyAuditTrail", new { }, CancellationToken.None);
        Assert.True(auditorStatus == 200, auditorAnswer.ToString());
        Assert.True(auditorAnswer.GetProperty("Verified").GetBoolean());
        using var denier = await UserAsync(admin, server.Endpoint, "denier", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"strongroom:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"strongroom:Verify*\",\"Resource\":\"*\"}]}");
        Assert.Equal("AccessDeniedException", (await denier.CallAsync("strongroom", "VerifyAuditTrail", new { }, CancellationToken.None)).Body.GetProperty("__type").GetString());

        // Each call is in the trail under its caller, allowed or denied, as a read-only event.
        var (lookupStatus, lookup) = await admin.CallAsync("cloudtrail", "LookupEvents", new { LookupAttributes = new[] { new { AttributeKey = "EventName", AttributeValue = "VerifyAuditTrail" } } }, CancellationToken.None);
        Assert.True(lookupStatus == 200, lookup.ToString());
        var events = lookup.GetProperty("Events").EnumerateArray().Select(e => JsonDocument.Parse(e.GetProperty("CloudTrailEvent").GetString()!).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("userIdentity").GetProperty("userName").GetString() == "auditor" && !e.TryGetProperty("errorCode", out _));
        Assert.Contains(events, e => e.GetProperty("userIdentity").GetProperty("userName").GetString() == "nobody" && e.GetProperty("errorCode").GetString() == "AccessDeniedException");
        Assert.All(events, e => Assert.True(e.GetProperty("readOnly").GetBoolean()));

        // An edited record is named, over the API as by the command.
        using (var connection = new SqliteConnection($"Data Source={Strongroom.Storage.Sqlite.SqliteStore.AuditFilePath(Path.Combine(DataDir, "strongroom.db"))};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit_events SET record = replace(record, 'verify/1', 'verify/9') WHERE record LIKE '%verify/1%' AND event_name = 'CreateSecret'";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var (tamperedStatus, tampered) = await auditor.CallAsync("strongroom", "VerifyAuditTrail", new { }, CancellationToken.None);
        Assert.Equal(200, tamperedStatus);
        Assert.False(tampered.GetProperty("Verified").GetBoolean(), tampered.ToString());
        Assert.True(tampered.GetProperty("FirstBadSeq").GetInt64() > 0);
        Assert.Contains("does not match the chain", tampered.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"EventId\":7510", server.Output, StringComparison.Ordinal);
    }
}
