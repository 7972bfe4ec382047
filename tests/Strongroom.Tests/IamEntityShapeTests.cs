using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Crypto;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Golden tests of the IAM entity documents (users, groups, managed policies, roles, sessions) as the store keeps them
/// (the iam_entities table's json column, format "V":1): what IamService writes, and that documents written by earlier
/// builds read back whole. A failure means stored IAM state would no longer read the same; the fix is a new format
/// version (or an added member with its own expected value), never a changed expected value.
/// </summary>
public sealed class IamEntityShapeTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-iam-shape-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 10, 0, 0, 250, TimeSpan.Zero));
    private SqliteStore _store = null!;
    private RootKeyHolder _root = null!;
    private IamService _iam = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteStore(Path.Combine(_dir, "strongroom.db"));
        await _store.InitializeAsync(Ct);
        _root = new RootKeyHolder(RootKey.Generate(), null);
        _iam = new IamService(_store, new RootWrap(_root), new ServerIdentity(Account, "us-east-1"), _time);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _root.Dispose();
        Directory.Delete(_dir, true);
    }

    private const string Document = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}""";
    private const string Trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/team/alice"},"Action":"sts:AssumeRole"}]}""";

    /// <summary>Document in the escaped form System.Text.Json writes it inside a string member.</summary>
    private static string Escaped(string json) => json.Replace("\"", "\\u0022", StringComparison.Ordinal);

    [Fact]
    public async Task Entities_WrittenByIamService_AreStoredAsTheFrozenDocuments()
    {
        var user = await _iam.Users.CreateUserAsync("alice", "/team/", [new IamTag { Key = "k", Value = "v" }], Ct);
        await _iam.Attachments.PutInlinePolicyAsync(IamService.User, "alice", "inline", Document, Ct);
        var policy = await _iam.Policies.CreatePolicyAsync("managed", null, Document, "golden", Ct);
        await _iam.Attachments.SetAttachmentAsync(IamService.User, "alice", policy.Arn, true, Ct);
        var group = await _iam.Groups.CreateGroupAsync("devs", null, Ct);
        await _iam.Groups.SetGroupMembershipAsync("devs", "alice", true, Ct);
        var role = await _iam.Roles.CreateRoleAsync("reader", "/svc/", Trust, "golden role", 7200, [new IamTag { Key = "t", Value = "" }], Ct);
        var (session, _, _, _) = await _iam.Sts.AssumeRoleAsync(
            new AssumeRoleRequest(role.Arn, "s1", 900, null, [new IamTag { Key = "project", Value = "blue" }], ["project"]), user.Arn, null, Ct);

        Assert.Equal(
            $$"""{"V":1,"Name":"alice","Arn":"arn:aws:iam::111122223333:user/team/alice","UserId":"{{user.UserId}}","Path":"/team/","CreateDate":"2026-11-01T10:00:00+00:00","Tags":[{"Key":"k","Value":"v"}],"InlinePolicies":{"inline":"{{Escaped(Document)}}"},"AttachedPolicies":["arn:aws:iam::111122223333:policy/managed"],"Groups":["devs"]}""",
            (await _store.FindIamEntityAsync(IamService.User, "alice", Ct))!.Json);
        Assert.Equal(
            $$"""{"V":1,"Name":"devs","Arn":"arn:aws:iam::111122223333:group/devs","GroupId":"{{group.GroupId}}","Path":"/","CreateDate":"2026-11-01T10:00:00+00:00","InlinePolicies":{},"AttachedPolicies":[]}""",
            (await _store.FindIamEntityAsync(IamService.Group, "devs", Ct))!.Json);
        Assert.Equal(
            $$"""{"V":1,"Name":"managed","Arn":"arn:aws:iam::111122223333:policy/managed","PolicyId":"{{policy.PolicyId}}","Path":"/","Description":"golden","CreateDate":"2026-11-01T10:00:00+00:00","UpdateDate":"2026-11-01T10:00:00+00:00","DefaultVersionId":"v1","NextVersion":2,"Versions":[{"VersionId":"v1","Document":"{{Escaped(Document)}}","CreateDate":"2026-11-01T10:00:00+00:00"}],"AttachmentCount":1,"DefaultDocument":"{{Escaped(Document)}}"}""",
            (await _store.FindIamEntityAsync(IamService.Policy, "managed", Ct))!.Json);
        Assert.Equal(
            $$"""{"V":1,"Name":"reader","Arn":"arn:aws:iam::111122223333:role/svc/reader","RoleId":"{{role.RoleId}}","Path":"/svc/","Description":"golden role","CreateDate":"2026-11-01T10:00:00+00:00","AssumeRolePolicyDocument":"{{Escaped(Trust)}}","MaxSessionDuration":7200,"Tags":[{"Key":"t","Value":""}],"InlinePolicies":{},"AttachedPolicies":[]}""",
            (await _store.FindIamEntityAsync(IamService.Role, "reader", Ct))!.Json);
        Assert.Equal(
            $$"""{"V":1,"AccessKeyId":"{{session.AccessKeyId}}","RoleName":"reader","SessionName":"s1","TokenHash":"{{session.TokenHash}}","Expiration":"2026-11-01T10:15:00+00:00","Policy":null,"Kind":"role","UserName":null,"Tags":[{"Key":"project","Value":"blue"}],"TransitiveTagKeys":["project"],"FederatedProvider":null,"FederationKeys":null,"IsUserSession":false}""",
            (await _store.FindIamEntityAsync(IamService.Session, session.AccessKeyId, Ct))!.Json);

        // Every row IamService writes carries its integrity tag (ADR 0010).
        Assert.All(await _store.ListIamEntitiesAsync(null, Ct), row => Assert.NotNull(row.Mac));
    }

    [Fact]
    public async Task Documents_WrittenByEarlierBuilds_ReadBackWhole()
    {
        // Rows as builds before integrity tags (issue #25) wrote them: no tag, until the upgrade at start tags them.
        await _store.WriteAsync(
            async tx =>
            {
                await tx.PutIamEntityAsync(new IamEntityRow(IamService.User, "bob", """{"V":1,"Name":"bob","Arn":"arn:aws:iam::111122223333:user/bob","UserId":"AIDAGOLDENGOLDEN1","Path":"/","CreateDate":"2026-01-02T03:04:05+00:00","Tags":[{"Key":"a","Value":"b"}],"InlinePolicies":{"p":"{}"},"AttachedPolicies":["arn:aws:iam::111122223333:policy/x"],"Groups":["g"]}""", null), Ct);
                await tx.PutIamEntityAsync(new IamEntityRow(IamService.Role, "r", """{"V":1,"Name":"r","Arn":"arn:aws:iam::111122223333:role/r","RoleId":"AROAGOLDENGOLDEN1","Path":"/","Description":null,"CreateDate":"2026-01-02T03:04:05+00:00","AssumeRolePolicyDocument":"{}","MaxSessionDuration":3600,"Tags":[],"InlinePolicies":{},"AttachedPolicies":[]}""", null), Ct);
                await tx.PutIamEntityAsync(new IamEntityRow(IamService.Policy, "x", """{"V":1,"Name":"x","Arn":"arn:aws:iam::111122223333:policy/x","PolicyId":"ANPAGOLDENGOLDEN1","Path":"/","Description":null,"CreateDate":"2026-01-02T03:04:05+00:00","UpdateDate":"2026-01-03T03:04:05+00:00","DefaultVersionId":"v2","NextVersion":3,"Versions":[{"VersionId":"v1","Document":"{}","CreateDate":"2026-01-02T03:04:05+00:00"},{"VersionId":"v2","Document":"[]","CreateDate":"2026-01-03T03:04:05+00:00"}],"AttachmentCount":1,"DefaultDocument":"[]"}""", null), Ct);
                await tx.PutIamEntityAsync(new IamEntityRow(IamService.Group, "g", """{"V":1,"Name":"g","Arn":"arn:aws:iam::111122223333:group/g","GroupId":"AGPAGOLDENGOLDEN1","Path":"/","CreateDate":"2026-01-02T03:04:05+00:00","InlinePolicies":{},"AttachedPolicies":[]}""", null), Ct);
                return true;
            },
            Ct);

        var upgrade = await IdentityBootstrap.RunAsync(_store, new RootWrap(_root), Account, _time, Ct);
        Assert.True(upgrade.Upgraded);

        var bob = await _iam.Users.GetUserAsync("bob", Ct);
        Assert.Equal(
            ("arn:aws:iam::111122223333:user/bob", "AIDAGOLDENGOLDEN1", "/", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "a=b", "p:{}", "arn:aws:iam::111122223333:policy/x", "g"),
            (bob.Arn, bob.UserId, bob.Path, bob.CreateDate, string.Join(",", bob.Tags.Select(t => t.Key + "=" + t.Value)), string.Join(",", bob.InlinePolicies.Select(p => p.Key + ":" + p.Value)),
                string.Join(",", bob.AttachedPolicies), string.Join(",", bob.Groups)));
        var role = await _iam.Roles.GetRoleAsync("r", Ct);
        Assert.Equal(("AROAGOLDENGOLDEN1", "{}", 3600, (string?)null), (role.RoleId, role.AssumeRolePolicyDocument, role.MaxSessionDuration, role.Description));
        var policy = await _iam.Policies.GetPolicyAsync("arn:aws:iam::111122223333:policy/x", Ct);
        Assert.Equal(("ANPAGOLDENGOLDEN1", "v2", 3, 2, "[]", 1), (policy.PolicyId, policy.DefaultVersionId, policy.NextVersion, policy.Versions.Count, policy.DefaultDocument, policy.AttachmentCount));
        var (group, members) = await _iam.Groups.GetGroupAsync("g", Ct);
        Assert.Equal(("AGPAGOLDENGOLDEN1", "bob"), (group.GroupId, string.Join(",", members.Select(u => u.Name))));
    }
}
