using System.Xml.Linq;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>
/// `strongroom agent` whose only credentials are web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE,
/// AWS_ROLE_SESSION_NAME, as a Kubernetes pod gets them): it assumes the role with STS AssumeRoleWithWebIdentity on
/// the configured endpoint, against a real server trusting a loopback OIDC issuer, and serves what the role may read.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class AgentWebIdentityTests : IDisposable
{
    private const string Audience = "sts.amazonaws.com";
    private readonly StrongroomServer _server;
    private readonly HttpClient _http = new();
    private readonly LoopbackOidcIssuer _issuer = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-web-identity-").FullName;

    public AgentWebIdentityTests(StrongroomServer server)
    {
        _server = server;
    }

    public void Dispose()
    {
        _http.Dispose();
        _issuer.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private Task<XDocument> IamAsync(Dictionary<string, string> parameters) => IamQuery.CallAsync(_http, _server.Endpoint, parameters);

    /// <summary>A role trusting the issuer for <paramref name="subject"/>, allowed to read secrets under "wi/".</summary>
    private async Task<string> RoleAsync(string subject)
    {
        var provider = await IamAsync(new() { ["Action"] = "CreateOpenIDConnectProvider", ["Url"] = _issuer.Url, ["ClientIDList.member.1"] = Audience, ["ThumbprintList.member.1"] = new string('a', 40) });
        var providerArn = provider.Descendants().First(e => e.Name.LocalName == "OpenIDConnectProviderArn").Value;
        var issuerKey = _issuer.Url["http://".Length..];
        var trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"PROVIDER"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"ISSUER:sub":"SUBJECT","ISSUER:aud":"AUDIENCE"}}}]}"""
            .Replace("PROVIDER", providerArn, StringComparison.Ordinal).Replace("ISSUER", issuerKey, StringComparison.Ordinal)
            .Replace("SUBJECT", subject, StringComparison.Ordinal).Replace("AUDIENCE", Audience, StringComparison.Ordinal);
        var roleName = Unique("pods");
        var role = await IamAsync(new() { ["Action"] = "CreateRole", ["RoleName"] = roleName, ["AssumeRolePolicyDocument"] = trust });
        await IamAsync(new()
        {
            ["Action"] = "PutRolePolicy", ["RoleName"] = roleName, ["PolicyName"] = "read-wi",
            ["PolicyDocument"] = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:wi/*"}]}""",
        });
        return role.Descendants().First(e => e.Name.LocalName == "Arn").Value;
    }

    [Fact]
    public async Task Agent_WithOnlyWebIdentityEnvironment_AssumesTheRoleAndServesWhatItMayRead()
    {
        const string subject = "system:serviceaccount:payments:api";
        var roleArn = await RoleAsync(subject);
        var name = Unique("wi/db");
        var other = Unique("other/db");
        foreach (var (secret, value) in new[] { (name, "web-identity-plaintext"), (other, "not-for-the-role") })
        {
            await _server.Client(_http).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = secret, SecretString = value, ClientRequestToken = Guid.NewGuid().ToString() });
        }

        var tokenFile = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(tokenFile, _issuer.Token(subject, Audience, TimeSpan.FromHours(1)));
        await using var agent = await AgentProcess.StartAsync(_server.Endpoint, new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = null,
            ["AWS_SECRET_ACCESS_KEY"] = null,
            ["AWS_ROLE_ARN"] = roleArn,
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
            ["AWS_ROLE_SESSION_NAME"] = "payments-api",
        });
        var header = "X-Aws-Parameters-Secrets-Token: " + agent.Token;
        var (status, body, _) = await AgentProcess.CurlAsync($"http://localhost:{agent.Port}/secretsmanager/get?secretId={name}", header);
        Assert.True(status == 200, body);
        Assert.Contains("web-identity-plaintext", body, StringComparison.Ordinal);

        // The role's policy is what applies: another secret is AccessDenied, passed through by the agent.
        var denied = await AgentProcess.CurlAsync($"http://localhost:{agent.Port}/secretsmanager/get?secretId={other}", header);
        Assert.Equal(400, denied.Status);
        Assert.Contains("AccessDeniedException", denied.Body, StringComparison.Ordinal);
        Assert.Contains("assumed-role/", denied.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("not-for-the-role", denied.Body, StringComparison.Ordinal);

        // The trail names the session the agent opened, and the agent's output never shows the token.
        var events = await _server.Client(_http).CallAsync("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", new { LookupAttributes = new[] { new { AttributeKey = "EventName", AttributeValue = "AssumeRoleWithWebIdentity" } } });
        Assert.Contains(events.GetProperty("Events").EnumerateArray(), e => e.GetProperty("CloudTrailEvent").GetString()!.Contains("payments-api", StringComparison.Ordinal));
        Assert.DoesNotContain(await File.ReadAllTextAsync(tokenFile), agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_WebIdentityTokenRefused_PassesStsErrorThrough()
    {
        var roleArn = await RoleAsync("system:serviceaccount:payments:api");
        var tokenFile = Path.Combine(_dir, "token-other-subject");
        await File.WriteAllTextAsync(tokenFile, _issuer.Token("system:serviceaccount:intruder:x", Audience, TimeSpan.FromHours(1)));
        await using var agent = await AgentProcess.StartAsync(_server.Endpoint, new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = null,
            ["AWS_SECRET_ACCESS_KEY"] = null,
            ["AWS_ROLE_ARN"] = roleArn,
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
        });
        var (status, body, _) = await AgentProcess.CurlAsync($"http://localhost:{agent.Port}/secretsmanager/get?secretId=wi/anything", "X-Aws-Parameters-Secrets-Token: " + agent.Token);
        Assert.Equal(403, status);
        Assert.Contains("AccessDenied", body, StringComparison.Ordinal);
        Assert.Contains("AssumeRoleWithWebIdentity", body, StringComparison.Ordinal);
    }
}
