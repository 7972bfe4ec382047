using System.Net;
using Strongroom.Core.Identity;

namespace Strongroom.Protocol.Aws.Iam;

/// <summary>
/// IAM (users, groups, access keys, policies, OIDC providers) and STS (GetCallerIdentity, AssumeRole,
/// AssumeRoleWithWebIdentity, GetSessionToken) over the AWS Query protocol. Thread-safe.
/// </summary>
public sealed class IamApi
{
    public const string IamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/";
    public const string StsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";

    /// <summary>The STS version a request must name to be served without a signature.</summary>
    public const string StsVersion = "2011-06-15";

    /// <summary>The STS operations that AWS serves unsigned (the caller proves who it is with the token or assertion).</summary>
    public static readonly IReadOnlySet<string> UnsignedStsActions = new HashSet<string>(StringComparer.Ordinal) { "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML" };

    /// <summary>The signing names of the services this Query-protocol API answers: IAM and STS.</summary>
    public static readonly IReadOnlyList<string> SigningNames = ["iam", "sts"];

    private static readonly string[] StsActions = ["GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken"];
    private readonly IamService _iam;
    private readonly WebIdentityFederation? _webIdentity;
    private readonly Dictionary<string, Func<Call, Task>> _operations;

    public IamApi(IamService iam, WebIdentityFederation? webIdentity = null)
    {
        _iam = iam;
        _webIdentity = webIdentity;
        _operations = new Dictionary<string, Func<Call, Task>>(StringComparer.Ordinal)
        {
            ["CreateUser"] = async c => WriteUser(c.W.Open("User"), await _iam.Users.CreateUserAsync(c.Q.Required("UserName"), c.Q.Get("Path"), Tags(c.Q), c.Ct)).Close(),
            ["GetUser"] = async c => WriteUser(c.W.Open("User"), await _iam.Users.GetUserAsync(UserOrCaller(c), c.Ct)).Close(),
            ["ListUsers"] = async c => Page(c, "Users", await _iam.Users.ListUsersAsync(c.Q.Get("PathPrefix"), c.Ct), u => u.Name, WriteUser),
            ["DeleteUser"] = c => _iam.Users.DeleteUserAsync(c.Q.Required("UserName"), c.Ct),
            ["UpdateUser"] = c => _iam.Users.UpdateUserAsync(c.Q.Required("UserName"), c.Q.Get("NewUserName"), c.Q.Get("NewPath"), c.Ct),
            ["TagUser"] = c => _iam.Users.ChangeUserTagsAsync(c.Q.Required("UserName"), Tags(c.Q), null, c.Ct),
            ["UntagUser"] = c => _iam.Users.ChangeUserTagsAsync(c.Q.Required("UserName"), null, c.Q.List("TagKeys"), c.Ct),
            ["ListUserTags"] = async c => Members(c.W, "Tags", (await _iam.Users.GetUserAsync(c.Q.Required("UserName"), c.Ct)).Tags, (w, t) => w.Element("Key", t.Key).Element("Value", t.Value)),
            ["CreateAccessKey"] = CreateAccessKeyAsync,
            ["ListAccessKeys"] = async c =>
            {
                var user = UserOrCaller(c);
                Members(c.W, "AccessKeyMetadata", await _iam.AccessKeys.ListAccessKeysAsync(user, c.Ct), (w, k) => w.Element("UserName", k.UserName).Element("AccessKeyId", k.AccessKeyId).Element("Status", k.Status).Time("CreateDate", k.CreatedDate));
            },
            ["UpdateAccessKey"] = c => _iam.AccessKeys.UpdateAccessKeyAsync(UserOrCaller(c), c.Q.Required("AccessKeyId"), c.Q.Required("Status"), c.Ct),
            ["DeleteAccessKey"] = c => _iam.AccessKeys.DeleteAccessKeyAsync(UserOrCaller(c), c.Q.Required("AccessKeyId"), c.Ct),
            ["CreateGroup"] = async c => WriteGroup(c.W.Open("Group"), await _iam.Groups.CreateGroupAsync(c.Q.Required("GroupName"), c.Q.Get("Path"), c.Ct)).Close(),
            ["GetGroup"] = async c =>
            {
                var (group, users) = await _iam.Groups.GetGroupAsync(c.Q.Required("GroupName"), c.Ct);
                WriteGroup(c.W.Open("Group"), group).Close();
                Members(c.W, "Users", users, WriteUser);
            },
            ["ListGroups"] = async c => Page(c, "Groups", (await _iam.Groups.ListGroupsAsync(c.Ct)).Where(g => c.Q.Get("PathPrefix") is not { } prefix || g.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList(), g => g.Name, WriteGroup),
            ["ListGroupsForUser"] = async c => Members(c.W, "Groups", await _iam.Groups.ListGroupsForUserAsync(c.Q.Required("UserName"), c.Ct), WriteGroup),
            ["DeleteGroup"] = c => _iam.Groups.DeleteGroupAsync(c.Q.Required("GroupName"), c.Ct),
            ["AddUserToGroup"] = c => _iam.Groups.SetGroupMembershipAsync(c.Q.Required("GroupName"), c.Q.Required("UserName"), true, c.Ct),
            ["RemoveUserFromGroup"] = c => _iam.Groups.SetGroupMembershipAsync(c.Q.Required("GroupName"), c.Q.Required("UserName"), false, c.Ct),
            ["PutUserPolicy"] = c => _iam.Attachments.PutInlinePolicyAsync(IamService.User, c.Q.Required("UserName"), c.Q.Required("PolicyName"), c.Q.Required("PolicyDocument"), c.Ct),
            ["PutGroupPolicy"] = c => _iam.Attachments.PutInlinePolicyAsync(IamService.Group, c.Q.Required("GroupName"), c.Q.Required("PolicyName"), c.Q.Required("PolicyDocument"), c.Ct),
            ["GetUserPolicy"] = c => GetInlineAsync(c, IamService.User, "UserName"),
            ["GetGroupPolicy"] = c => GetInlineAsync(c, IamService.Group, "GroupName"),
            ["ListUserPolicies"] = async c => Members(c.W, "PolicyNames", await _iam.Attachments.ListInlinePoliciesAsync(IamService.User, c.Q.Required("UserName"), c.Ct), null),
            ["ListGroupPolicies"] = async c => Members(c.W, "PolicyNames", await _iam.Attachments.ListInlinePoliciesAsync(IamService.Group, c.Q.Required("GroupName"), c.Ct), null),
            ["DeleteUserPolicy"] = c => _iam.Attachments.DeleteInlinePolicyAsync(IamService.User, c.Q.Required("UserName"), c.Q.Required("PolicyName"), c.Ct),
            ["DeleteGroupPolicy"] = c => _iam.Attachments.DeleteInlinePolicyAsync(IamService.Group, c.Q.Required("GroupName"), c.Q.Required("PolicyName"), c.Ct),
            ["CreatePolicy"] = async c => WritePolicy(c.W.Open("Policy"), await _iam.Policies.CreatePolicyAsync(c.Q.Required("PolicyName"), c.Q.Get("Path"), c.Q.Required("PolicyDocument"), c.Q.Get("Description"), c.Ct)).Close(),
            ["GetPolicy"] = async c => WritePolicy(c.W.Open("Policy"), await _iam.Policies.GetPolicyAsync(c.Q.Required("PolicyArn"), c.Ct)).Close(),
            ["ListPolicies"] = async c => Page(c, "Policies", c.Q.Get("Scope") == "AWS" ? []
                : (await _iam.Policies.ListPoliciesAsync(c.Q.Flag("OnlyAttached"), c.Ct)).Where(p => c.Q.Get("PathPrefix") is not { } prefix || p.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList(), p => p.Name, WritePolicy),
            ["DeletePolicy"] = c => _iam.Policies.DeletePolicyAsync(c.Q.Required("PolicyArn"), c.Ct),
            ["CreatePolicyVersion"] = async c =>
            {
                var version = await _iam.Policies.CreatePolicyVersionAsync(c.Q.Required("PolicyArn"), c.Q.Required("PolicyDocument"), c.Q.Flag("SetAsDefault"), c.Ct);
                WriteVersion(c.W.Open("PolicyVersion"), version, c.Q.Flag("SetAsDefault") ? version.VersionId : string.Empty, document: false).Close();
            },
            ["GetPolicyVersion"] = async c =>
            {
                var (policy, version) = await _iam.Policies.GetPolicyVersionAsync(c.Q.Required("PolicyArn"), c.Q.Required("VersionId"), c.Ct);
                WriteVersion(c.W.Open("PolicyVersion"), version, policy.DefaultVersionId).Close();
            },
            ["ListPolicyVersions"] = async c =>
            {
                var policy = await _iam.Policies.GetPolicyAsync(c.Q.Required("PolicyArn"), c.Ct);
                Members(c.W, "Versions", policy.Versions, (w, v) => WriteVersion(w, v, policy.DefaultVersionId, document: false));
            },
            ["AttachUserPolicy"] = c => _iam.Attachments.SetAttachmentAsync(IamService.User, c.Q.Required("UserName"), c.Q.Required("PolicyArn"), true, c.Ct),
            ["DetachUserPolicy"] = c => _iam.Attachments.SetAttachmentAsync(IamService.User, c.Q.Required("UserName"), c.Q.Required("PolicyArn"), false, c.Ct),
            ["AttachGroupPolicy"] = c => _iam.Attachments.SetAttachmentAsync(IamService.Group, c.Q.Required("GroupName"), c.Q.Required("PolicyArn"), true, c.Ct),
            ["DetachGroupPolicy"] = c => _iam.Attachments.SetAttachmentAsync(IamService.Group, c.Q.Required("GroupName"), c.Q.Required("PolicyArn"), false, c.Ct),
            ["ListAttachedUserPolicies"] = async c => Attached(c.W, await _iam.Attachments.ListAttachedAsync(IamService.User, c.Q.Required("UserName"), c.Ct)),
            ["ListAttachedGroupPolicies"] = async c => Attached(c.W, await _iam.Attachments.ListAttachedAsync(IamService.Group, c.Q.Required("GroupName"), c.Ct)),
            ["CreateRole"] = async c => WriteRole(c.W.Open("Role"), await _iam.Roles.CreateRoleAsync(c.Q.Required("RoleName"), c.Q.Get("Path"), c.Q.Required("AssumeRolePolicyDocument"), c.Q.Get("Description"), c.Q.Int("MaxSessionDuration"), Tags(c.Q), c.Ct)).Close(),
            ["GetRole"] = async c => WriteRole(c.W.Open("Role"), await _iam.Roles.GetRoleAsync(c.Q.Required("RoleName"), c.Ct)).Close(),
            ["ListRoles"] = async c => Page(c, "Roles", await _iam.Roles.ListRolesAsync(c.Q.Get("PathPrefix"), c.Ct), r => r.Name, WriteRole),
            ["DeleteRole"] = c => _iam.Roles.DeleteRoleAsync(c.Q.Required("RoleName"), c.Ct),
            ["UpdateAssumeRolePolicy"] = c => _iam.Roles.UpdateAssumeRolePolicyAsync(c.Q.Required("RoleName"), c.Q.Required("PolicyDocument"), c.Ct),
            ["PutRolePolicy"] = c => _iam.Attachments.PutInlinePolicyAsync(IamService.Role, c.Q.Required("RoleName"), c.Q.Required("PolicyName"), c.Q.Required("PolicyDocument"), c.Ct),
            ["GetRolePolicy"] = c => GetInlineAsync(c, IamService.Role, "RoleName"),
            ["ListRolePolicies"] = async c => Members(c.W, "PolicyNames", await _iam.Attachments.ListInlinePoliciesAsync(IamService.Role, c.Q.Required("RoleName"), c.Ct), null),
            ["DeleteRolePolicy"] = c => _iam.Attachments.DeleteInlinePolicyAsync(IamService.Role, c.Q.Required("RoleName"), c.Q.Required("PolicyName"), c.Ct),
            ["AttachRolePolicy"] = c => _iam.Attachments.SetAttachmentAsync(IamService.Role, c.Q.Required("RoleName"), c.Q.Required("PolicyArn"), true, c.Ct),
            ["DetachRolePolicy"] = c => _iam.Attachments.SetAttachmentAsync(IamService.Role, c.Q.Required("RoleName"), c.Q.Required("PolicyArn"), false, c.Ct),
            ["ListAttachedRolePolicies"] = async c => Attached(c.W, await _iam.Attachments.ListAttachedAsync(IamService.Role, c.Q.Required("RoleName"), c.Ct)),
            ["TagRole"] = c => _iam.Roles.ChangeRoleTagsAsync(c.Q.Required("RoleName"), Tags(c.Q), null, c.Ct),
            ["UntagRole"] = c => _iam.Roles.ChangeRoleTagsAsync(c.Q.Required("RoleName"), null, c.Q.List("TagKeys"), c.Ct),
            ["ListRoleTags"] = async c => Members(c.W, "Tags", (await _iam.Roles.GetRoleAsync(c.Q.Required("RoleName"), c.Ct)).Tags, (w, t) => w.Element("Key", t.Key).Element("Value", t.Value)),
            ["CreateOpenIDConnectProvider"] = async c =>
            {
                var provider = await _iam.OidcProviders.CreateOidcProviderAsync(c.Q.Required("Url"), c.Q.List("ClientIDList"), c.Q.List("ThumbprintList"), Tags(c.Q), c.Ct);
                c.W.Element("OpenIDConnectProviderArn", provider.Arn);
                WriteTags(c.W, provider.Tags);
            },
            ["GetOpenIDConnectProvider"] = async c =>
            {
                var provider = await _iam.OidcProviders.GetOidcProviderAsync(c.Q.Required("OpenIDConnectProviderArn"), c.Ct);
                // AWS answers the URL without its scheme.
                c.W.Element("Url", provider.Url[(provider.Url.IndexOf("://", StringComparison.Ordinal) + 3)..]);
                MemberList(c.W, "ClientIDList", provider.ClientIds);
                MemberList(c.W, "ThumbprintList", provider.Thumbprints);
                c.W.Time("CreateDate", provider.CreateDate);
                WriteTags(c.W, provider.Tags);
            },
            ["ListOpenIDConnectProviders"] = async c =>
            {
                c.W.Open("OpenIDConnectProviderList");
                foreach (var provider in await _iam.OidcProviders.ListOidcProvidersAsync(c.Ct))
                {
                    c.W.Open("member").Element("Arn", provider.Arn).Close();
                }

                c.W.Close();
            },
            ["DeleteOpenIDConnectProvider"] = c => _iam.OidcProviders.DeleteOidcProviderAsync(c.Q.Required("OpenIDConnectProviderArn"), c.Ct),
            ["AddClientIDToOpenIDConnectProvider"] = c => _iam.OidcProviders.AddOidcClientIdAsync(c.Q.Required("OpenIDConnectProviderArn"), c.Q.Required("ClientID"), c.Ct),
            ["RemoveClientIDFromOpenIDConnectProvider"] = c => _iam.OidcProviders.RemoveOidcClientIdAsync(c.Q.Required("OpenIDConnectProviderArn"), c.Q.Required("ClientID"), c.Ct),
            ["UpdateOpenIDConnectProviderThumbprint"] = c => _iam.OidcProviders.UpdateOidcThumbprintsAsync(c.Q.Required("OpenIDConnectProviderArn"), c.Q.List("ThumbprintList"), c.Ct),
            ["TagOpenIDConnectProvider"] = c => _iam.OidcProviders.ChangeOidcProviderTagsAsync(c.Q.Required("OpenIDConnectProviderArn"), Tags(c.Q) ?? [], null, c.Ct),
            ["UntagOpenIDConnectProvider"] = c => _iam.OidcProviders.ChangeOidcProviderTagsAsync(c.Q.Required("OpenIDConnectProviderArn"), null, c.Q.List("TagKeys"), c.Ct),
            ["ListOpenIDConnectProviderTags"] = async c =>
            {
                var provider = await _iam.OidcProviders.GetOidcProviderAsync(c.Q.Required("OpenIDConnectProviderArn"), c.Ct);
                Page(c, "Tags", provider.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList(), t => t.Key, (w, t) => w.Element("Key", t.Key).Element("Value", t.Value));
            },
        };
    }

    public IReadOnlyCollection<string> Operations => _operations.Keys;

    /// <summary>The XML namespace of <paramref name="service"/>'s answers and errors: STS's, else IAM's.</summary>
    public static string Namespace(string? service) => service == "sts" ? StsNamespace : IamNamespace;

    /// <summary>The error a denied IAM or STS call answers: AccessDenied, 403, with the decision's text as its message.</summary>
    public static AwsError AccessDenied(string message) => new("AccessDenied", message, 403);

    public bool Handles(string service, string action) => service == "sts" ? StsActions.Contains(action) : _operations.ContainsKey(action);

    /// <summary>The STS operations served.</summary>
    public static IReadOnlyList<string> StsOperations => StsActions;

    private sealed record Call(QueryRequest Q, QueryWriter W, string CallerUser, PrincipalKind CallerKind, CancellationToken Ct);

    /// <summary>Runs an IAM or STS action; returns the XML answer.</summary>
    /// <param name="callerKind">What kind of principal the caller is (a role's session has no user), as its key was resolved.</param>
    public async Task<string> InvokeAsync(string service, QueryRequest request, string requestId, string callerArn, string callerUser, PrincipalKind callerKind, string? accessKeyId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var action = request.Action;
        if (service == "sts")
        {
            if (UnsignedStsActions.Contains(action))
            {
                return (await InvokeWebIdentityAsync(request, requestId, new Dictionary<string, IReadOnlyList<string>>(), ct)).Xml;
            }

            using var sts = new QueryWriter(action, StsNamespace, requestId);
            if (action == "AssumeRole")
            {
                var assume = new AssumeRoleRequest(request.Required("RoleArn"), request.Required("RoleSessionName"), request.Int("DurationSeconds"), request.Get("Policy"), Tags(request), NullIfEmpty(request.List("TransitiveTagKeys")));
                var (session, role, secret, token) = await _iam.Sts.AssumeRoleAsync(assume, callerArn, accessKeyId, ct);
                WriteCredentials(sts, session, secret, token)
                    .Open("AssumedRoleUser").Element("AssumedRoleId", role.RoleId + ":" + session.SessionName).Element("Arn", _iam.Sts.SessionArn(role.Name, session.SessionName)).Close();
                return sts.Finish();
            }

            if (action == "GetSessionToken")
            {
                var (session, secret, token) = await _iam.Sts.GetSessionTokenAsync(callerUser, callerArn, accessKeyId, request.Int("DurationSeconds"), request.Get("SerialNumber"), ct);
                WriteCredentials(sts, session, secret, token);
                return sts.Finish();
            }

            // The caller's unique id: a user's UserId (the administrator's too: it is a stored user), a session's RoleId:SessionName.
            string userId;
            if (callerKind == PrincipalKind.AssumedRoleSession)
            {
                // A session signs with its own access key, which names its record.
                var session = accessKeyId is null ? null : await _iam.Sts.FindSessionAsync(accessKeyId, ct);
                userId = session is null ? callerUser : (await _iam.Roles.GetRoleAsync(session.RoleName, ct)).RoleId + ":" + session.SessionName;
            }
            else
            {
                userId = (await _iam.Users.GetUserAsync(callerUser, ct)).UserId;
            }

            sts.Element("UserId", userId).Element("Account", _iam.AccountId).Element("Arn", callerArn);
            _ = accessKeyId;
            return sts.Finish();
        }

        if (!_operations.TryGetValue(action, out var handler))
        {
            throw new AwsError("InvalidAction", $"The action {action} is not valid for this web service.");
        }

        using var writer = new QueryWriter(action, IamNamespace, requestId);
        await handler(new Call(request, writer, callerUser, callerKind, ct));
        return writer.Finish();
    }

    /// <summary>
    /// The UserName parameter, or the caller when it is missing (as AWS: the access-key operations and GetUser then act on
    /// the caller's own user). An assumed-role session has no user: AWS's ValidationError.
    /// </summary>
    private static string UserOrCaller(Call c) =>
        c.Q.Get("UserName") ?? (c.CallerKind == PrincipalKind.AssumedRoleSession
            ? throw new AwsError("ValidationError", "Must specify userName when calling with non-User credentials")
            : c.CallerUser);

    /// <summary>
    /// AssumeRoleWithWebIdentity (and AssumeRoleWithSAML, which answers that SAML is not supported), served without
    /// a caller: the token is the proof. <paramref name="requestKeys"/> are the request's global condition keys
    /// (aws:SourceIp…) for the trust policy. Returns the XML answer and what the token proved (for the audit record).
    /// </summary>
    public async Task<(string Xml, WebIdentityResult Result)> InvokeWebIdentityAsync(QueryRequest request, string requestId, IReadOnlyDictionary<string, IReadOnlyList<string>> requestKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Action == "AssumeRoleWithSAML")
        {
            throw new AwsError("InvalidAction", "AssumeRoleWithSAML is not supported: Strongroom has no SAML identity providers. Use AssumeRoleWithWebIdentity with an IAM OpenID Connect provider.");
        }

        if (request.Action != "AssumeRoleWithWebIdentity" || _webIdentity is null)
        {
            throw new AwsError("InvalidAction", $"The action {request.Action} is not valid for this web service.");
        }

        var input = new WebIdentityRequest(request.Required("RoleArn"), request.Required("RoleSessionName"), request.Required("WebIdentityToken"), request.Int("DurationSeconds"),
            request.Get("Policy"), request.Get("ProviderId"), request.Get("PolicyArns.member.1.arn") is not null);
        var result = await _webIdentity.AssumeRoleWithWebIdentityAsync(input, requestKeys, ct);
        using var sts = new QueryWriter(request.Action, StsNamespace, requestId);
        WriteCredentials(sts, result.Session, result.Secret, result.Token)
            .Element("SubjectFromWebIdentityToken", result.Subject)
            .Open("AssumedRoleUser").Element("AssumedRoleId", result.Role.RoleId + ":" + result.Session.SessionName).Element("Arn", _iam.Sts.SessionArn(result.Role.Name, result.Session.SessionName)).Close()
            .Element("Provider", result.ProviderArn)
            .Element("Audience", result.Audience);
        return (sts.Finish(), result);
    }

    private static QueryWriter WriteCredentials(QueryWriter w, IamSession session, string secret, string token) =>
        w.Open("Credentials").Element("AccessKeyId", session.AccessKeyId).Element("SecretAccessKey", secret).Element("SessionToken", token).Time("Expiration", session.Expiration).Close();

    private static List<string>? NullIfEmpty(List<string> list) => list.Count == 0 ? null : list;

    private static void MemberList(QueryWriter w, string name, IEnumerable<string> values)
    {
        w.Open(name);
        foreach (var value in values)
        {
            w.Element("member", value);
        }

        w.Close();
    }

    private static void WriteTags(QueryWriter w, IReadOnlyCollection<IamTag> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        w.Open("Tags");
        foreach (var tag in tags)
        {
            w.Open("member").Element("Key", tag.Key).Element("Value", tag.Value).Close();
        }

        w.Close();
    }

    private static List<IamTag>? Tags(QueryRequest q)
    {
        var pairs = q.Pairs("Tags");
        return pairs.Count == 0 ? null : pairs.Select(p => new IamTag { Key = p.Key, Value = p.Value }).ToList();
    }

    /// <summary>One page of a listing: MaxItems (default 100) after Marker (the key of the last item returned).</summary>
    private static void Page<T>(Call c, string name, IReadOnlyList<T> items, Func<T, string> key, Func<QueryWriter, T, QueryWriter> write)
    {
        var max = Math.Clamp(c.Q.Int("MaxItems") ?? 100, 1, 1000);
        var marker = c.Q.Get("Marker");
        var rest = marker is null ? items : items.SkipWhile(i => string.CompareOrdinal(key(i), marker) <= 0).ToList();
        var page = rest.Take(max).ToList();
        c.W.Open(name);
        foreach (var item in page)
        {
            write(c.W.Open("member"), item).Close();
        }

        var truncated = rest.Count() > page.Count;
        c.W.Close().Element("IsTruncated", truncated ? "true" : "false");
        if (truncated)
        {
            c.W.Element("Marker", key(page[^1]));
        }
    }

    private static void Members<T>(QueryWriter w, string name, IEnumerable<T> items, Func<QueryWriter, T, QueryWriter>? write)
    {
        w.Open(name);
        foreach (var item in items)
        {
            if (write is null)
            {
                w.Element("member", item?.ToString());
            }
            else
            {
                write(w.Open("member"), item).Close();
            }
        }

        w.Close().Element("IsTruncated", "false");
    }

    private static void Attached(QueryWriter w, IEnumerable<IamManagedPolicy> policies) =>
        Members(w, "AttachedPolicies", policies, (x, p) => x.Element("PolicyName", p.Name).Element("PolicyArn", p.Arn));

    private static QueryWriter WriteUser(QueryWriter w, IamUser u)
    {
        w.Element("Path", u.Path).Element("UserName", u.Name).Element("UserId", u.UserId).Element("Arn", u.Arn).Time("CreateDate", u.CreateDate);
        if (u.Tags.Count > 0)
        {
            w.Open("Tags");
            foreach (var tag in u.Tags)
            {
                w.Open("member").Element("Key", tag.Key).Element("Value", tag.Value).Close();
            }

            w.Close();
        }

        return w;
    }

    private static QueryWriter WriteRole(QueryWriter w, IamRole r)
    {
        w.Element("Path", r.Path).Element("RoleName", r.Name).Element("RoleId", r.RoleId).Element("Arn", r.Arn).Time("CreateDate", r.CreateDate)
            .Element("AssumeRolePolicyDocument", Uri.EscapeDataString(r.AssumeRolePolicyDocument)).Element("Description", r.Description)
            .Element("MaxSessionDuration", r.MaxSessionDuration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (r.Tags.Count > 0)
        {
            w.Open("Tags");
            foreach (var tag in r.Tags)
            {
                w.Open("member").Element("Key", tag.Key).Element("Value", tag.Value).Close();
            }

            w.Close();
        }

        return w;
    }

    private static QueryWriter WriteGroup(QueryWriter w, IamGroup g) =>
        w.Element("Path", g.Path).Element("GroupName", g.Name).Element("GroupId", g.GroupId).Element("Arn", g.Arn).Time("CreateDate", g.CreateDate);

    private static QueryWriter WritePolicy(QueryWriter w, IamManagedPolicy p) =>
        w.Element("PolicyName", p.Name).Element("PolicyId", p.PolicyId).Element("Arn", p.Arn).Element("Path", p.Path).Element("DefaultVersionId", p.DefaultVersionId)
            .Element("AttachmentCount", p.AttachmentCount.ToString(System.Globalization.CultureInfo.InvariantCulture)).Element("IsAttachable", "true")
            .Element("Description", p.Description).Time("CreateDate", p.CreateDate).Time("UpdateDate", p.UpdateDate);

    // IAM returns policy documents URL-encoded; the SDKs decode them.
    private static QueryWriter WriteVersion(QueryWriter w, IamPolicyVersion v, string? defaultVersion, bool document = true) =>
        (document ? w.Element("Document", Uri.EscapeDataString(v.Document)) : w).Element("VersionId", v.VersionId)
            .Element("IsDefaultVersion", (defaultVersion is null || defaultVersion == v.VersionId) ? "true" : "false").Time("CreateDate", v.CreateDate);

    private async Task GetInlineAsync(Call c, IamEntityKind kind, string ownerMember)
    {
        var owner = c.Q.Required(ownerMember);
        var name = c.Q.Required("PolicyName");
        var document = await _iam.Attachments.GetInlinePolicyAsync(kind, owner, name, c.Ct);
        c.W.Element(ownerMember, owner).Element("PolicyName", name).Element("PolicyDocument", Uri.EscapeDataString(document));
    }

    private async Task CreateAccessKeyAsync(Call c)
    {
        var (key, secret) = await _iam.AccessKeys.CreateAccessKeyAsync(UserOrCaller(c), c.Ct);
        c.W.Open("AccessKey").Element("UserName", key.UserName).Element("AccessKeyId", key.AccessKeyId).Element("Status", key.Status)
            .Element("SecretAccessKey", secret).Time("CreateDate", key.CreatedDate).Close();
    }
}
