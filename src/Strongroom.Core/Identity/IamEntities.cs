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

/// <summary>
/// Temporary credentials: an assumed role's (AssumeRole, AssumeRoleWithWebIdentity, a service session) or an IAM
/// user's own (GetSessionToken). The token is kept only as its SHA-256. Stored as an IAM entity, so every node of a
/// cluster sees the session, its tags and its web-identity context. Members added after format 1 are optional.
/// </summary>
public sealed class IamSession
{
    /// <summary>The session kinds: an assumed role (also null, in rows written before kinds existed), a web identity, a user's own.</summary>
    public const string RoleKind = "role";
    public const string WebIdentityKind = "web-identity";
    public const string UserKind = "user";

    public int V { get; set; } = 1;

    public string AccessKeyId { get; set; } = string.Empty;

    /// <summary>The assumed role (empty for a user's session).</summary>
    public string RoleName { get; set; } = string.Empty;

    public string SessionName { get; set; } = string.Empty;

    public string TokenHash { get; set; } = string.Empty;

    public DateTimeOffset Expiration { get; set; }

    public string? Policy { get; set; }

    /// <summary><see cref="RoleKind"/>, <see cref="WebIdentityKind"/> or <see cref="UserKind"/>; null means a role session.</summary>
    public string? Kind { get; set; }

    /// <summary>For a user's session (GetSessionToken): the IAM user whose permissions it carries.</summary>
    public string? UserName { get; set; }

    /// <summary>Session tags (AssumeRole's Tags, a web identity token's principal_tags, inherited transitive tags).</summary>
    public List<IamTag>? Tags { get; set; }

    /// <summary>Keys of <see cref="Tags"/> that pass on to the sessions this session assumes (role chaining).</summary>
    public List<string>? TransitiveTagKeys { get; set; }

    /// <summary>For a web identity session: the IAM OIDC provider's ARN (aws:FederatedProvider).</summary>
    public string? FederatedProvider { get; set; }

    /// <summary>For a web identity session: the provider's context keys (e.g. "host/path:sub") and their values.</summary>
    public SortedDictionary<string, List<string>>? FederationKeys { get; set; }

    public bool IsUserSession => Kind == UserKind;
}

/// <summary>An IAM OpenID Connect identity provider (kind "oidc-provider", named by its URL without the scheme).</summary>
public sealed class IamOidcProvider
{
    public int V { get; set; } = 1;

    /// <summary>The issuer URL as registered (https://host/path; http:// only for a loopback host), without a trailing slash.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH.</summary>
    public string Arn { get; set; } = string.Empty;

    /// <summary>The client ids (audiences) a token's aud (or azp) must name.</summary>
    public List<string> ClientIds { get; set; } = [];

    /// <summary>SHA-1 thumbprints (40 hex digits) of certificates the JWKS endpoint may present when no trusted CA signs it.</summary>
    public List<string> Thumbprints { get; set; } = [];

    public DateTimeOffset CreateDate { get; set; }

    public List<IamTag> Tags { get; set; } = [];
}
