namespace Strongroom.Core.Identity;

/// <summary>
/// What an IAM or STS call asks permission for, as AWS's Service Authorization Reference defines it for each action:
/// the action and the resource ARN of the entity it acts on — built from the stored entity, so with its path (a user
/// at /ops/ is arn:aws:iam::ACCOUNT:user/ops/NAME) — and the action's condition keys. A request that names no user
/// acts on the caller, as in AWS; AddUserToGroup is checked against the group; UpdateUser against both the old and the
/// new name. Changes to the administrator's user are marked <see cref="IamAccessRequest.Forbidden"/>: no policy can
/// allow them to anyone but the administrator. Thread-safe.
/// </summary>
public sealed class IamAccess
{
    /// <summary>IAM actions whose resource is a user (the UserName parameter, or the caller when it is missing).</summary>
    private static readonly HashSet<string> UserActions = new(StringComparer.Ordinal)
    {
        "GetUser", "DeleteUser", "TagUser", "UntagUser", "ListUserTags", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey",
        "DeleteAccessKey", "ListGroupsForUser", "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
        "AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies",
    };

    /// <summary>The user actions that change the user (or its keys): forbidden on the administrator to everyone else.</summary>
    private static readonly HashSet<string> UserChanges = new(StringComparer.Ordinal)
    {
        "UpdateUser", "DeleteUser", "TagUser", "UntagUser", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
        "PutUserPolicy", "DeleteUserPolicy", "AttachUserPolicy", "DetachUserPolicy",
    };

    private static readonly HashSet<string> GroupActions = new(StringComparer.Ordinal)
    {
        "GetGroup", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup", "PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy",
        "ListGroupPolicies", "AttachGroupPolicy", "DetachGroupPolicy", "ListAttachedGroupPolicies",
    };

    private static readonly HashSet<string> RoleActions = new(StringComparer.Ordinal)
    {
        "GetRole", "DeleteRole", "UpdateAssumeRolePolicy", "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
        "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies", "TagRole", "UntagRole", "ListRoleTags",
    };

    private static readonly HashSet<string> PolicyActions = new(StringComparer.Ordinal)
    {
        "GetPolicy", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion", "SetDefaultPolicyVersion",
    };

    /// <summary>Listings AWS authorises on "*" (no resource-level permissions).</summary>
    private static readonly HashSet<string> Listings = new(StringComparer.Ordinal) { "ListUsers", "ListGroups", "ListRoles", "ListPolicies" };

    private readonly IamService _iam;
    private readonly ServerIdentity _identity;

    public IamAccess(IamService iam, ServerIdentity identity)
    {
        _iam = iam;
        _identity = identity;
    }

    /// <summary>The caller as the requests need it.</summary>
    /// <param name="UserName">An IAM user's name; for an assumed-role session the opaque owner name of its key (never parsed).</param>
    /// <param name="IsSession">True for assumed-role sessions (they have no user a missing UserName could mean).</param>
    public sealed record Caller(string PrincipalArn, string UserName, bool IsSession);

    /// <summary>The parameters of a Query-protocol call.</summary>
    /// <param name="Get">A parameter's value, or null.</param>
    /// <param name="Tags">The Tags.member.N pairs (for aws:RequestTag/… and aws:TagKeys).</param>
    /// <param name="TagKeys">The TagKeys.member.N values (UntagUser, UntagRole).</param>
    /// <param name="List">Any NAME.member.N list by NAME (AssumeRole's TransitiveTagKeys); null reads every list as empty.</param>
    public sealed record Parameters(Func<string, string?> Get, IReadOnlyList<KeyValuePair<string, string>> Tags, IReadOnlyList<string> TagKeys, Func<string, IReadOnlyList<string>>? List = null);

    private string Arn(string type, string? path, string name) => $"arn:aws:iam::{_identity.AccountId}:{type}{(string.IsNullOrEmpty(path) ? "/" : path)}{name}";

    /// <summary>The requests one call makes, in order; every one must be allowed.</summary>
    public async Task<IReadOnlyList<IamAccessRequest>> RequestsAsync(string service, string operation, Parameters input, Caller caller, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(caller);
        var action = service + ":" + operation;
        if (service == "sts")
        {
            return operation == "AssumeRole" && input.Get("RoleArn") is { } roleArn
                ? [new IamAccessRequest(action, await RoleArnAsync(roleArn, ct), new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase))]
                : [new IamAccessRequest(action, "*", new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase))];
        }

        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (input.Tags.Count > 0)
        {
            foreach (var (key, value) in input.Tags)
            {
                keys["aws:RequestTag/" + key] = [value];
            }

            keys["aws:TagKeys"] = input.Tags.Select(t => t.Key).ToList();
        }
        else if (input.TagKeys.Count > 0)
        {
            keys["aws:TagKeys"] = input.TagKeys;
        }

        if (operation.StartsWith("Attach", StringComparison.Ordinal) || operation.StartsWith("Detach", StringComparison.Ordinal))
        {
            if (input.Get("PolicyArn") is { } attached)
            {
                keys["iam:PolicyARN"] = [attached];
            }
        }

        if (Listings.Contains(operation))
        {
            return [new IamAccessRequest(action, "*", keys)];
        }

        switch (operation)
        {
            case "CreateUser":
                return [new IamAccessRequest(action, Arn("user", input.Get("Path"), input.Get("UserName") ?? string.Empty), keys)];
            case "CreateGroup":
                return [new IamAccessRequest(action, Arn("group", input.Get("Path"), input.Get("GroupName") ?? string.Empty), keys)];
            case "CreateRole":
                return [new IamAccessRequest(action, Arn("role", input.Get("Path"), input.Get("RoleName") ?? string.Empty), keys)];
            case "CreatePolicy":
                return [new IamAccessRequest(action, Arn("policy", input.Get("Path"), input.Get("PolicyName") ?? string.Empty), keys)];
            case "UpdateUser":
            {
                // AWS: renaming needs the permission on the source and on the target user.
                var (source, stored) = await UserAsync(input.Get("UserName"), caller, keys, ct);
                var requests = new List<IamAccessRequest> { new(action, source, keys, Forbidden(stored, operation)) };
                if (input.Get("NewUserName") is not null || input.Get("NewPath") is not null)
                {
                    var target = Arn("user", input.Get("NewPath") ?? stored?.Path, input.Get("NewUserName") ?? stored?.Name ?? input.Get("UserName") ?? string.Empty);
                    if (target != source)
                    {
                        requests.Add(new IamAccessRequest(action, target, keys, Forbidden(stored, operation)));
                    }
                }

                return requests;
            }
        }

        if (UserActions.Contains(operation))
        {
            var (arn, stored) = await UserAsync(input.Get("UserName"), caller, keys, ct);
            return [new IamAccessRequest(action, arn, keys, Forbidden(stored, operation))];
        }

        if (GroupActions.Contains(operation))
        {
            var name = input.Get("GroupName") ?? string.Empty;
            var group = name.Length == 0 ? null : await _iam.Groups.FindGroupAsync(name, ct);
            return [new IamAccessRequest(action, group?.Arn ?? Arn("group", "/", name), keys)];
        }

        if (RoleActions.Contains(operation))
        {
            var name = input.Get("RoleName") ?? string.Empty;
            var role = name.Length == 0 ? null : await _iam.Roles.FindRoleAsync(name, ct);
            foreach (var tag in role?.Tags ?? [])
            {
                keys["aws:ResourceTag/" + tag.Key] = [tag.Value];
                keys["iam:ResourceTag/" + tag.Key] = [tag.Value];
            }

            return [new IamAccessRequest(action, role?.Arn ?? Arn("role", "/", name), keys)];
        }

        if (PolicyActions.Contains(operation))
        {
            var given = input.Get("PolicyArn");
            var policy = given is null ? null : await _iam.Policies.FindPolicyAsync(given, ct);
            return [new IamAccessRequest(action, policy?.Arn ?? given ?? "*", keys)];
        }

        // An action this table does not name: the entity its parameters name, else "*".
        var resource = input.Get("UserName") is { } user ? (await UserAsync(user, caller, keys, ct)).Arn
            : input.Get("GroupName") is { } groupName ? Arn("group", "/", groupName)
            : input.Get("RoleName") is { } roleName ? await RoleArnAsync(Arn("role", "/", roleName), ct)
            : input.Get("OpenIDConnectProviderArn") is { } provider ? provider
            : operation == "CreateOpenIDConnectProvider" && IamOidcProviders.CanonicalIssuer(input.Get("Url")) is { } issuer ? $"arn:aws:iam::{_identity.AccountId}:oidc-provider/{issuer.Name}"
            : input.Get("PolicyArn") ?? "*";
        return [new IamAccessRequest(action, resource, keys)];
    }

    /// <summary>The user a request acts on (the named one, else the caller), its ARN with its path, and its tags as condition keys.</summary>
    private async Task<(string Arn, IamUser? Stored)> UserAsync(string? name, Caller caller, Dictionary<string, IReadOnlyList<string>> keys, CancellationToken ct)
    {
        if (name is null && caller.IsSession)
        {
            // An assumed role has no user; the call itself is then refused (Must specify userName…).
            return (caller.PrincipalArn, null);
        }

        name ??= caller.UserName;
        var stored = await _iam.Users.FindUserAsync(name, ct);
        foreach (var tag in stored?.Tags ?? [])
        {
            keys["aws:ResourceTag/" + tag.Key] = [tag.Value];
            keys["iam:ResourceTag/" + tag.Key] = [tag.Value];
        }

        return (stored?.Arn ?? Arn("user", "/", name), stored);
    }

    private async Task<string> RoleArnAsync(string roleArn, CancellationToken ct)
    {
        var prefix = $"arn:aws:iam::{_identity.AccountId}:role/";
        if (!roleArn.StartsWith(prefix, StringComparison.Ordinal))
        {
            return roleArn;
        }

        var role = await _iam.Roles.FindRoleAsync(roleArn[(roleArn.LastIndexOf('/') + 1)..], ct);
        return role?.Arn ?? roleArn;
    }

    private string? Forbidden(IamUser? target, string operation) =>
        target is not null && UserChanges.Contains(operation) && _iam.IsAdmin(target)
            ? "because the administrator can be changed only by the administrator"
            : null;
}
