using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Server;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// ADR 0038: `strongroom admin explain` and the server decide with one evaluation. For each case the server's decision
/// (Core's <see cref="CallAuthorization"/>, for a caller resolved from a real access key as the SigV4 edge resolves it)
/// and explain's (<see cref="ExplainTool"/>, over the same store without the root key) must agree, and both must be the
/// expected one: allow, explicit deny, implicit deny, a condition not met, NotAction and NotResource, a resource policy,
/// and a role session's policies. And a caller's kind — not its name — decides whether it is a session.
/// </summary>
public sealed class ExplainAgreementTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private const string Region = ServiceFixture.Region;
    private ServiceFixture _fx = null!;
    private IamService _iam = null!;
    private CallAuthorization _decision = null!;
    private AccessCaller _alice = null!;
    private AccessCaller _session = null!;

    private const string AlicePolicy = """
        {"Version":"2012-10-17","Statement":[
          {"Sid":"ReadProd","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:prod/*"},
          {"Sid":"NoAudit","Effect":"Deny","Action":"secretsmanager:*","Resource":"arn:aws:secretsmanager:*:*:secret:prod/audit*"},
          {"Sid":"BlueTeam","Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"blue"}}},
          {"Sid":"DevButDelete","Effect":"Allow","NotAction":["secretsmanager:DeleteSecret","secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:dev/*"},
          {"Sid":"VersionsNotProd","Effect":"Allow","Action":"secretsmanager:ListSecretVersionIds","NotResource":"arn:aws:secretsmanager:*:*:secret:prod/*"}
        ]}
        """;

    private const string RolePolicy = """
        {"Version":"2012-10-17","Statement":[{"Sid":"RoleReads","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:prod/*"}]}
        """;

    public async Task InitializeAsync()
    {
        _fx = await ServiceFixture.CreateAsync();
        var identity = new ServerIdentity(Account, Region);
        _iam = new IamService(_fx.Store, new RootWrap(_fx.Root), identity, _fx.Time);
        _decision = new CallAuthorization(_iam, _fx.Store, _fx.Keys, identity, _fx.Time, new AccessChecks(_fx.Store, _fx.Keys, identity));
        await _fx.Store.WriteAsync(async tx =>
        {
            await tx.SetSettingAsync("account_id", Account, CancellationToken.None);
            return true;
        }, CancellationToken.None);

        await _iam.Users.CreateUserAsync("alice", null, null, CancellationToken.None);
        await _iam.Attachments.PutInlinePolicyAsync(IamService.User, "alice", "main", AlicePolicy, CancellationToken.None);
        var (key, _) = await _iam.AccessKeys.CreateAccessKeyAsync("alice", CancellationToken.None);
        _alice = await CallerAsync(key.AccessKeyId);

        var trust = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{Account}}:root"},"Action":"sts:AssumeRole"}]}""";
        var role = await _iam.Roles.CreateRoleAsync("reader", null, trust, null, null, [new IamTag { Key = "team", Value = "blue" }], CancellationToken.None);
        await _iam.Attachments.PutInlinePolicyAsync(IamService.Role, "reader", "read", RolePolicy, CancellationToken.None);
        var (session, _, _, _) = await _iam.Sts.AssumeRoleAsync(new AssumeRoleRequest(role.Arn, "s1", null, null, null, null), IdentityBootstrap.AdminArn(Account), null, CancellationToken.None);
        _session = await CallerAsync(session.AccessKeyId);

        foreach (var name in new[] { "prod/db", "prod/audit", "dev/db" })
        {
            await _fx.CreateAsync(name);
        }

        await _fx.Service.Writes.CreateSecretAsync(Region, new CreateSecretRequest("team/blue", ServiceFixture.Token(), null, null, null, "v", [new SecretTag("team", "blue")], null, false, null), CancellationToken.None);
        await _fx.Service.Writes.CreateSecretAsync(Region, new CreateSecretRequest("team/red", ServiceFixture.Token(), null, null, null, "v", [new SecretTag("team", "red")], null, false, null), CancellationToken.None);
        await _fx.CreateAsync("shared/cfg");
        var shared = $$"""{"Version":"2012-10-17","Statement":[{"Sid":"AliceReadsShared","Effect":"Allow","Principal":{"AWS":"{{_alice.PrincipalArn}}"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}""";
        await _fx.Service.Policies.PutResourcePolicyAsync(Region, "shared/cfg", shared, false, CancellationToken.None);
        await _fx.CreateAsync("prod/locked");
        var locked = $$"""{"Version":"2012-10-17","Statement":[{"Sid":"NoReader","Effect":"Deny","Principal":{"AWS":"{{role.Arn}}"},"Action":"secretsmanager:*","Resource":"*"}]}""";
        await _fx.Service.Policies.PutResourcePolicyAsync(Region, "prod/locked", locked, false, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _fx.DisposeAsync();

    /// <summary>The caller of a request signed with <paramref name="accessKeyId"/>, resolved as the SigV4 edge resolves it.</summary>
    private async Task<AccessCaller> CallerAsync(string accessKeyId)
    {
        var key = await _iam.Principals.ResolveAccessKeyAsync(accessKeyId, CancellationToken.None) ?? throw new InvalidOperationException("the key does not resolve");
        return new AccessCaller(key.Kind, key.AccessKeyId, key.PrincipalArn, key.UserName, Region, key.PrincipalId);
    }

    /// <summary>The server's decision on secretsmanager:<paramref name="operation"/> of <paramref name="secretName"/>, as explain names decisions.</summary>
    private async Task<string> ServerDecisionAsync(AccessCaller caller, string operation, string secretName)
    {
        var access = await _decision.DecideAsync(caller, "secretsmanager", operation, new StringMembersInput(("SecretId", secretName)), null, new AccessRequestContext(null, null), CancellationToken.None);
        return access.Denial is not { } denial ? "Allow"
            : denial.Message.Contains("with an explicit deny", StringComparison.Ordinal) ? "ExplicitDeny"
            : "ImplicitDeny";
    }

    /// <summary>Who asks (a user or the role's session), the operation, the secret, the expected decision and the deciding statement's Sid.</summary>
    public static TheoryData<string, string, string, string, string?> Cases() => new()
    {
        { "alice", "GetSecretValue", "prod/db", "Allow", "ReadProd" },
        { "alice", "GetSecretValue", "prod/audit", "ExplicitDeny", "NoAudit" },
        { "alice", "GetSecretValue", "dev/db", "ImplicitDeny", null },
        { "alice", "DescribeSecret", "team/blue", "Allow", "BlueTeam" },
        { "alice", "DescribeSecret", "team/red", "ImplicitDeny", null },
        { "alice", "PutSecretValue", "dev/db", "Allow", "DevButDelete" },
        { "alice", "DeleteSecret", "dev/db", "ImplicitDeny", null },
        { "alice", "ListSecretVersionIds", "team/red", "Allow", "VersionsNotProd" },
        { "alice", "ListSecretVersionIds", "prod/db", "ImplicitDeny", null },
        { "alice", "GetSecretValue", "shared/cfg", "Allow", "AliceReadsShared" },
        { "role", "GetSecretValue", "prod/db", "Allow", "RoleReads" },
        { "role", "DescribeSecret", "prod/db", "Allow", "RoleReads" },
        { "role", "GetSecretValue", "dev/db", "ImplicitDeny", null },
        { "role", "GetSecretValue", "prod/locked", "ExplicitDeny", "NoReader" },
        { "role", "GetSecretValue", "shared/cfg", "ImplicitDeny", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ExplainAndTheServer_DecideAlike(string who, string operation, string secret, string expected, string? sid)
    {
        var server = await ServerDecisionAsync(who == "alice" ? _alice : _session, operation, secret);
        var action = "secretsmanager:" + operation;
        var explanation = who == "alice"
            ? await ExplainTool.ExplainAsync(_fx.Store, "alice", action, secret, [], CancellationToken.None, Region)
            : await ExplainTool.ExplainRoleAsync(_fx.Store, "reader", action, secret, [], CancellationToken.None, Region);

        Assert.Equal(server, explanation.Decision);
        Assert.Equal(expected, server);
        Assert.Equal(sid, explanation.StatementSid);
        Assert.Equal(expected == "Allow", explanation.Allowed);
    }

    [Fact]
    public async Task Explain_NamesTheClosestStatement_WhenAConditionIsNotMet()
    {
        var explanation = await ExplainTool.ExplainAsync(_fx.Store, "alice", "secretsmanager:DescribeSecret", "team/red", [], CancellationToken.None, Region);

        Assert.Equal("ImplicitDeny", explanation.Decision);
        Assert.Contains("Closest: statement \"BlueTeam\" of user/alice inline policy main: its conditions are not met: StringEquals secretsmanager:ResourceTag/team [blue]", explanation.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_AgreesWithTheServer_OnTheContextItIsGiven()
    {
        // A condition on a key the request lacks: explain names it; given with --context, it decides as the server does.
        var policy = """{"Version":"2012-10-17","Statement":[{"Sid":"FromOffice","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}""";
        await _iam.Attachments.PutInlinePolicyAsync(IamService.User, "alice", "office", policy, CancellationToken.None);
        var lacking = await ExplainTool.ExplainAsync(_fx.Store, "alice", "secretsmanager:GetSecretValue", "dev/db", [], CancellationToken.None, Region);
        Assert.Contains("the request has no aws:SourceIp", lacking.Text, StringComparison.Ordinal);

        foreach (var (ip, allowed) in new[] { ("10.1.2.3", true), ("192.0.2.1", false) })
        {
            var explained = await ExplainTool.ExplainAsync(_fx.Store, "alice", "secretsmanager:GetSecretValue", "dev/db", [new("aws:SourceIp", [ip])], CancellationToken.None, Region);
            var access = await _decision.DecideAsync(_alice, "secretsmanager", "GetSecretValue", new StringMembersInput(("SecretId", "dev/db")), null, new AccessRequestContext(ip, true), CancellationToken.None);
            Assert.Equal(allowed, explained.Allowed);
            Assert.Equal(allowed, access.Denial is null);
        }
    }

    [Fact]
    public async Task ASession_IsRecognisedByItsKind_NotByItsName()
    {
        Assert.Equal(PrincipalKind.User, _alice.Kind);
        Assert.Equal(PrincipalKind.AssumedRoleSession, _session.Kind);
        Assert.True(_session.IsRoleSession);
        Assert.Equal("Allow", await ServerDecisionAsync(_session, "GetSecretValue", "prod/db"));

        // The session's key, its name unchanged, taken for a user: no user has that name, so nothing is allowed.
        Assert.Equal("ImplicitDeny", await ServerDecisionAsync(_session with { Kind = PrincipalKind.User }, "GetSecretValue", "prod/db"));

        // The session under any other name is still the role's session: the kind decides, the name is never parsed.
        Assert.Equal("Allow", await ServerDecisionAsync(_session with { UserName = "alice" }, "GetSecretValue", "prod/db"));

        // A user's key taken for a session: no session has that key, so nothing is allowed, whatever its name.
        Assert.Equal("ImplicitDeny", await ServerDecisionAsync(_alice with { Kind = PrincipalKind.AssumedRoleSession }, "GetSecretValue", "prod/db"));

        // A caller whose kind was never decided (the zero value) is bound by no policy.
        Assert.Equal(PrincipalKind.Unknown, default(PrincipalKind));
        Assert.Equal("ImplicitDeny", await ServerDecisionAsync(_alice with { Kind = default }, "GetSecretValue", "prod/db"));

        // And no IAM user can be named like a stored session owner: IAM names have no ':'.
        var named = await Assert.ThrowsAsync<Core.Errors.DomainException>(() => _iam.Users.CreateUserAsync(_session.UserName, null, null, CancellationToken.None));
        Assert.Equal("ValidationError", named.Code);
    }

    [Fact]
    public async Task AUserSession_ActsAsItsUser_ButIsNoRoleSession()
    {
        var (session, _, _) = await _iam.Sts.GetSessionTokenAsync("alice", _alice.PrincipalArn, _alice.AccessKeyId, null, null, CancellationToken.None);
        var caller = await CallerAsync(session.AccessKeyId);

        Assert.Equal(PrincipalKind.UserSession, caller.Kind);
        Assert.False(caller.IsRoleSession);
        Assert.Equal("alice", caller.UserName);
        Assert.Equal("Allow", await ServerDecisionAsync(caller, "GetSecretValue", "prod/db"));
    }
}
