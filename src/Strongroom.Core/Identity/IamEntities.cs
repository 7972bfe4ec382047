namespace Strongroom.Core.Identity;

// IAM entities, stored as JSON documents (format "v":1). Mutable; not thread-safe.

public sealed class IamTag
{
    public string Key { get; set; } = string.Empty;

    public string Value { get; set; } = string.Empty;
}

public sealed class IamUser
{
    public int V { get; set; } = 1;

    public string Name { get; set; } = string.Empty;

    public string Arn { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public string Path { get; set; } = "/";

    public DateTimeOffset CreateDate { get; set; }

    public List<IamTag> Tags { get; set; } = [];

    public SortedDictionary<string, string> InlinePolicies { get; set; } = new(StringComparer.Ordinal);

    public List<string> AttachedPolicies { get; set; } = [];

    public List<string> Groups { get; set; } = [];
}

public sealed class IamGroup
{
    public int V { get; set; } = 1;

    public string Name { get; set; } = string.Empty;

    public string Arn { get; set; } = string.Empty;

    public string GroupId { get; set; } = string.Empty;

    public string Path { get; set; } = "/";

    public DateTimeOffset CreateDate { get; set; }

    public SortedDictionary<string, string> InlinePolicies { get; set; } = new(StringComparer.Ordinal);

    public List<string> AttachedPolicies { get; set; } = [];
}

public sealed class IamPolicyVersion
{
    public string VersionId { get; set; } = "v1";

    public string Document { get; set; } = string.Empty;

    public DateTimeOffset CreateDate { get; set; }
}

public sealed class IamManagedPolicy
{
    public int V { get; set; } = 1;

    public string Name { get; set; } = string.Empty;

    public string Arn { get; set; } = string.Empty;

    public string PolicyId { get; set; } = string.Empty;

    public string Path { get; set; } = "/";

    public string? Description { get; set; }

    public DateTimeOffset CreateDate { get; set; }

    public DateTimeOffset UpdateDate { get; set; }

    public string DefaultVersionId { get; set; } = "v1";

    public int NextVersion { get; set; } = 2;

    public List<IamPolicyVersion> Versions { get; set; } = [];

    public int AttachmentCount { get; set; }

    public string DefaultDocument => Versions.First(v => v.VersionId == DefaultVersionId).Document;
}

public sealed class IamRole
{
    public int V { get; set; } = 1;

    public string Name { get; set; } = string.Empty;

    public string Arn { get; set; } = string.Empty;

    public string RoleId { get; set; } = string.Empty;

    public string Path { get; set; } = "/";

    public string? Description { get; set; }

    public DateTimeOffset CreateDate { get; set; }

    public string AssumeRolePolicyDocument { get; set; } = string.Empty;

    public int MaxSessionDuration { get; set; } = 3600;

    public List<IamTag> Tags { get; set; } = [];

    public SortedDictionary<string, string> InlinePolicies { get; set; } = new(StringComparer.Ordinal);

    public List<string> AttachedPolicies { get; set; } = [];
}

/// <summary>Temporary credentials of an assumed role. The token is kept only as its SHA-256.</summary>
public sealed class IamSession
{
    public int V { get; set; } = 1;

    public string AccessKeyId { get; set; } = string.Empty;

    public string RoleName { get; set; } = string.Empty;

    public string SessionName { get; set; } = string.Empty;

    public string TokenHash { get; set; } = string.Empty;

    public DateTimeOffset Expiration { get; set; }

    public string? Policy { get; set; }
}
