using Strongroom.Core.Policies;

namespace Strongroom.Core.Identity;

/// <summary>
/// AssumeRole decided as AWS decides it in one account: the role's trust policy is its resource policy, so a trust
/// policy naming the caller's ARN lets it in without any identity policy, while one naming the account
/// (arn:aws:iam::ACCOUNT:root or the bare id) only delegates to identity policies (the KMS key-policy rule); and
/// whatever the identity policies allow, the trust policy must name the caller or its account (a trust-only check,
/// which binds the admin too). Passing session tags needs sts:TagSession the same way. Thread-safe.
/// </summary>
public sealed class AssumeRoleAccess
{
    private readonly IamService _iam;

    public AssumeRoleAccess(IamService iam) => _iam = iam;

    /// <summary>The checks of an AssumeRole call naming <paramref name="roleArn"/>; malformed session tags are refused first.</summary>
    public async Task<IReadOnlyList<AccessCheck>> ChecksAsync(string roleArn, IamAccess.Parameters input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        const string action = "sts:AssumeRole";
        var role = await _iam.Roles.FindRoleByArnAsync(roleArn, ct);
        var trust = role?.AssumeRolePolicyDocument;
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (input.Get("RoleSessionName") is { } sessionName)
        {
            keys["sts:RoleSessionName"] = [sessionName];
        }

        if (input.Get("ExternalId") is { } externalId)
        {
            keys["sts:ExternalId"] = [externalId];
        }

        foreach (var tag in role?.Tags ?? [])
        {
            keys["aws:ResourceTag/" + tag.Key] = [tag.Value];
        }

        // Malformed tags are a validation error before any permission is looked at, as in AWS.
        var tags = input.Tags;
        var transitive = input.List?.Invoke("TransitiveTagKeys") ?? [];
        SessionTags.Validate(tags.Select(t => new IamTag { Key = t.Key, Value = t.Value }).ToList(), transitive);
        foreach (var (key, value) in tags)
        {
            keys["aws:RequestTag/" + key] = [value];
        }

        if (tags.Count > 0)
        {
            keys["aws:TagKeys"] = tags.Select(t => t.Key).ToList();
        }

        if (transitive.Count > 0)
        {
            keys["sts:TransitiveTagKeys"] = transitive;
        }

        var checks = new List<AccessCheck>
        {
            new(action, roleArn, trust, true, keys),
            new(action, roleArn, trust, false, keys, TrustOnly: true),
        };
        if (tags.Count > 0)
        {
            checks.Add(new("sts:TagSession", roleArn, trust, true, keys));
            checks.Add(new("sts:TagSession", roleArn, trust, false, keys, TrustOnly: true));
        }

        return checks;
    }
}
