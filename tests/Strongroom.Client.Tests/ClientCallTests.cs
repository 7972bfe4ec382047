using System.Text.Json;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>The typed clients against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClientCallTests : IDisposable
{
    private readonly StrongroomServer _server;
    private readonly HttpClient _http = new();

    public ClientCallTests(StrongroomServer server)
    {
        _server = server;
    }

    public void Dispose() => _http.Dispose();

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task SecretsManagerClient_PutStageAndRead_VersionsFollowLabels()
    {
        var json = _server.Client(_http);
        var sm = new SecretsManagerClient(json);
        var name = Unique("client/secret");
        await json.CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = "v1", ClientRequestToken = Guid.NewGuid().ToString() });

        var before = await sm.DescribeSecretAsync(name);
        Assert.Equal(name, before.Name);
        Assert.StartsWith("arn:aws:secretsmanager:us-east-1:", before.Arn, StringComparison.Ordinal);
        Assert.False(before.RotationEnabled);
        var v1 = Assert.Single(before.VersionIdsToStages).Key;

        var v2 = Guid.NewGuid().ToString();
        var pending = await sm.PutSecretValueAsync(name, v2, "v2", ["AWSPENDING"]);
        Assert.Equal(v2, pending.VersionId);
        Assert.Equal(["AWSPENDING"], pending.VersionStages);
        Assert.Equal("v2", (await sm.GetSecretValueAsync(name, versionStage: "AWSPENDING")).SecretString);
        Assert.Equal("v1", (await sm.GetSecretValueAsync(name)).SecretString);

        Assert.Equal(before.Arn, await sm.UpdateSecretVersionStageAsync(name, "AWSCURRENT", moveToVersionId: v2, removeFromVersionId: v1));
        var current = await sm.GetSecretValueAsync(before.Arn);
        Assert.Equal(v2, current.VersionId);
        Assert.Equal("v2", current.SecretString);
        Assert.Contains("AWSPREVIOUS", (await sm.DescribeSecretAsync(name)).VersionIdsToStages[v1]);
        Assert.Equal("v1", (await sm.GetSecretValueAsync(name, versionId: v1)).SecretString);
    }

    [Fact]
    public async Task SecretsManagerClient_GetRandomPassword_HonoursExclusions()
    {
        var sm = new SecretsManagerClient(_server.Client(_http));
        var password = await sm.GetRandomPasswordAsync("abcdefghijklmnopqrstuvwxyz/@\"'\\");
        Assert.Equal(32, password.Length);
        Assert.DoesNotContain(password, c => char.IsAsciiLetterLower(c) || c is '/' or '@' or '"' or '\'' or '\\');
        Assert.Equal(12, (await sm.GetRandomPasswordAsync(new RandomPasswordOptions(PasswordLength: 12, ExcludePunctuation: true))).Length);
    }

    [Fact]
    public async Task AwsJsonClient_ServiceError_CarriesCodeStatusAndRequestId()
    {
        var sm = new SecretsManagerClient(_server.Client(_http));
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => sm.GetSecretValueAsync(Unique("missing")));
        Assert.Equal("ResourceNotFoundException", e.Code);
        Assert.Equal(400, e.HttpStatus);
        Assert.False(string.IsNullOrEmpty(e.RequestId));
        Assert.Contains("can't find", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AwsJsonClient_WrongSecret_InvalidSignature()
    {
        var sm = new SecretsManagerClient(_server.Client(_http, new AwsCredentials("test", "not-test")));
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => sm.GetRandomPasswordAsync(new RandomPasswordOptions()));
        Assert.Equal("InvalidSignatureException", e.Code);
    }

    [Fact]
    public async Task AdminClient_Lifecycle_HmacKeyOnlyWhenMade()
    {
        var admin = new StrongroomAdminClient(_server.Client(_http));
        var name = Unique("hook");
        var created = await admin.CreateRotationFunctionAsync(new RotationFunctionSpec(name, Url: "https://rotator.example/hook", Environment: new Dictionary<string, string> { ["TOKEN"] = "t0k3n" }, TimeoutSeconds: 120, Description: "d"));
        Assert.Equal("http", created.Function.Kind);
        Assert.EndsWith(":function:" + name, created.Function.Arn, StringComparison.Ordinal);
        Assert.StartsWith("arn:aws:lambda:us-east-1:", created.Function.Arn, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(created.HmacKey!).Length);
        Assert.Equal(120, created.Function.TimeoutSeconds);

        var got = await admin.GetRotationFunctionAsync(name);
        Assert.Equal("********", got.Environment["TOKEN"]);
        Assert.Equal("https://rotator.example/hook", got.Url);
        Assert.NotNull(got.CreatedDate);

        var same = await admin.UpdateRotationFunctionAsync(new RotationFunctionSpec(name, Url: "https://rotator.example/v2"));
        Assert.Null(same.HmacKey);
        Assert.Equal("********", same.Function.Environment["TOKEN"]);

        var command = await admin.UpdateRotationFunctionAsync(new RotationFunctionSpec(name, Command: "/usr/bin/rotate", Environment: new Dictionary<string, string>()));
        Assert.Equal("command", command.Function.Kind);
        Assert.Null(command.Function.Url);
        Assert.Empty(command.Function.Environment);
        Assert.Null(command.HmacKey);

        var back = await admin.UpdateRotationFunctionAsync(new RotationFunctionSpec(name, Url: "https://rotator.example/v3"));
        Assert.NotNull(back.HmacKey);
        Assert.NotEqual(created.HmacKey, back.HmacKey);

        Assert.Contains((await admin.ListRotationFunctionsAsync()).Functions, f => f.Name == name);
        await admin.DeleteRotationFunctionAsync(name);
        Assert.Equal("ResourceNotFoundException", (await Assert.ThrowsAsync<AwsServiceException>(() => admin.GetRotationFunctionAsync(name))).Code);
        Assert.Equal("ResourceNotFoundException", (await Assert.ThrowsAsync<AwsServiceException>(() => admin.DeleteRotationFunctionAsync(name))).Code);
    }

    [Fact]
    public async Task AdminClient_FunctionsLiveInTheirRegion()
    {
        var name = Unique("regional");
        await new StrongroomAdminClient(_server.Client(_http)).CreateRotationFunctionAsync(new RotationFunctionSpec(name, Builtin: "postgresql-single-user"));
        var other = new StrongroomAdminClient(_server.Client(_http, region: "eu-west-1"));
        Assert.DoesNotContain((await other.ListRotationFunctionsAsync()).Functions, f => f.Name == name);
        Assert.Equal("ResourceNotFoundException", (await Assert.ThrowsAsync<AwsServiceException>(() => other.GetRotationFunctionAsync(name))).Code);
        await other.CreateRotationFunctionAsync(new RotationFunctionSpec(name, Command: "true"));
        Assert.Equal("builtin", (await new StrongroomAdminClient(_server.Client(_http)).GetRotationFunctionAsync(name)).Kind);
    }

    [Fact]
    public async Task AdminClient_List_PagesByName()
    {
        var admin = new StrongroomAdminClient(_server.Client(_http, region: "ap-southeast-2"));
        var names = Enumerable.Range(0, 5).Select(i => $"page-{i}").ToList();
        foreach (var name in names)
        {
            await admin.CreateRotationFunctionAsync(new RotationFunctionSpec(name, Command: "true"));
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await admin.ListRotationFunctionsAsync(2, token);
            Assert.True(page.Functions.Count <= 2);
            seen.AddRange(page.Functions.Select(f => f.Name));
            token = page.NextToken;
        }
        while (token is not null);
        Assert.Equal(names, seen);
    }

    [Theory]
    [InlineData("{\"Name\":\"dup-check\",\"Command\":\"true\"}", "ResourceExistsException")]
    [InlineData("{\"Name\":\"v1\",\"Command\":\"true\",\"Url\":\"https://x\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v2\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v3\",\"Url\":\"ftp://x/y\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v4\",\"Url\":\"/relative\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v5\",\"Builtin\":\"oracle\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v6\",\"Command\":\"true\",\"TimeoutSeconds\":0}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v7\",\"Command\":\"true\",\"TimeoutSeconds\":901}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v8\",\"Command\":\"true\",\"Environment\":{\"1BAD\":\"x\"}}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v9\",\"Command\":\"true\",\"Environment\":{\"SECRETS_MANAGER_ENDPOINT\":\"x\"}}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v10\",\"Command\":\"true\",\"RoleArn\":\"arn:aws:iam::999999999999:role/r\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"v11\",\"Command\":\"true\",\"RoleArn\":\"arn:aws:iam::123:user/u\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"strongroom-postgresql-multi-user\",\"Command\":\"true\"}", "InvalidParameterException")]
    [InlineData("{\"Name\":\"has space\",\"Command\":\"true\"}", "ValidationException")]
    [InlineData("{\"Name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"Command\":\"true\"}", "ValidationException")]
    [InlineData("{\"Command\":\"true\"}", "ValidationException")]
    public async Task CreateRotationFunction_Invalid_AwsErrorCode(string body, string code)
    {
        var json = _server.Client(_http, region: "us-west-1");
        if (code == "ResourceExistsException")
        {
            await json.CallAsync("strongroom", "Strongroom.CreateRotationFunction", System.Text.Encoding.UTF8.GetBytes(body));
        }

        var e = await Assert.ThrowsAsync<AwsServiceException>(() => json.CallAsync("strongroom", "Strongroom.CreateRotationFunction", System.Text.Encoding.UTF8.GetBytes(body)));
        Assert.Equal(code, e.Code);
    }

    [Fact]
    public async Task CreateRotationFunction_OwnAccountRole_Accepted()
    {
        var json = _server.Client(_http);
        var account = (await new SecretsManagerClient(json).DescribeSecretAsync(await CreateSecretAsync(json))).Arn.Split(':')[4];
        var admin = new StrongroomAdminClient(json);
        var role = Unique("db-rotator");
        await IamQuery.CallAsync(_http, _server.Endpoint, new Dictionary<string, string>
        {
            ["Action"] = "CreateRole", ["RoleName"] = role, ["Path"] = "/rotators/",
            ["AssumeRolePolicyDocument"] = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""",
        });
        var made = await admin.CreateRotationFunctionAsync(new RotationFunctionSpec(Unique("roled"), Command: "true", RoleArn: $"arn:aws:iam::{account}:role/rotators/{role}"));
        Assert.Equal($"arn:aws:iam::{account}:role/rotators/{role}", made.Function.RoleArn);
    }

    private static async Task<string> CreateSecretAsync(AwsJsonClient json)
    {
        var name = Unique("acct");
        await json.CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = "x", ClientRequestToken = Guid.NewGuid().ToString() });
        return name;
    }

    [Fact]
    public async Task AdminApi_NonAdminWithoutPolicy_AccessDenied()
    {
        var user = await IamQuery.UserAsync(_http, _server.Endpoint, Unique("nopolicy"));
        var admin = new StrongroomAdminClient(_server.Client(_http, user));
        foreach (var call in new Func<Task>[]
        {
            () => admin.ListRotationFunctionsAsync(),
            () => admin.CreateRotationFunctionAsync(new RotationFunctionSpec(Unique("denied"), Command: "true")),
            () => admin.GetRotationFunctionAsync("anything"),
        })
        {
            var e = await Assert.ThrowsAsync<AwsServiceException>(call);
            Assert.Equal("AccessDeniedException", e.Code);
        }
    }

    [Fact]
    public async Task AdminApi_NonAdminWithPolicy_AllowedActionsOnly()
    {
        var name = Unique("viewable");
        await new StrongroomAdminClient(_server.Client(_http)).CreateRotationFunctionAsync(new RotationFunctionSpec(name, Command: "true"));
        const string policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"strongroom:ListRotationFunctions\",\"strongroom:GetRotationFunction\"],\"Resource\":\"*\"}]}";
        var user = await IamQuery.UserAsync(_http, _server.Endpoint, Unique("viewer"), policy);
        var viewer = new StrongroomAdminClient(_server.Client(_http, user));
        Assert.Contains((await viewer.ListRotationFunctionsAsync()).Functions, f => f.Name == name);
        Assert.Equal(name, (await viewer.GetRotationFunctionAsync(name)).Name);
        Assert.Equal("AccessDeniedException", (await Assert.ThrowsAsync<AwsServiceException>(() => viewer.DeleteRotationFunctionAsync(name))).Code);
        Assert.Equal("AccessDeniedException", (await Assert.ThrowsAsync<AwsServiceException>(() => viewer.CallAsync("ExplainAccess", new { UserName = "x", Action = "a", Resource = "*" }))).Code);
    }

    [Fact]
    public async Task AdminApi_PolicyScopedToFunctionArn_OnlyThatFunction()
    {
        var admin = new StrongroomAdminClient(_server.Client(_http));
        var mine = await admin.CreateRotationFunctionAsync(new RotationFunctionSpec(Unique("mine"), Command: "true"));
        var theirs = await admin.CreateRotationFunctionAsync(new RotationFunctionSpec(Unique("theirs"), Command: "true"));
        var policy = JsonSerializer.Serialize(new { Version = "2012-10-17", Statement = new[] { new { Effect = "Allow", Action = "strongroom:GetRotationFunction", Resource = mine.Function.Arn } } });
        var user = new StrongroomAdminClient(_server.Client(_http, await IamQuery.UserAsync(_http, _server.Endpoint, Unique("scoped"), policy)));
        Assert.Equal(mine.Function.Name, (await user.GetRotationFunctionAsync(mine.Function.Name)).Name);
        Assert.Equal("AccessDeniedException", (await Assert.ThrowsAsync<AwsServiceException>(() => user.GetRotationFunctionAsync(theirs.Function.Name))).Code);
    }
}
