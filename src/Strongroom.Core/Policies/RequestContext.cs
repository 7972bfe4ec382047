namespace Strongroom.Core.Policies;

/// <summary>
/// What an authorisation decision is about: the action, the resource, the caller, and the condition keys
/// (names are case-insensitive; every key may hold several values). Not thread-safe while being built.
/// </summary>
public sealed class RequestContext
{
    private readonly Dictionary<string, IReadOnlyList<string>> _keys = new(StringComparer.OrdinalIgnoreCase);

    public required string Action { get; init; }

    public required string Resource { get; init; }

    /// <summary>The caller's ARN (an assumed-role session's ARN for sessions).</summary>
    public string? PrincipalArn { get; init; }

    /// <summary>The caller's account.</summary>
    public string? AccountId { get; init; }

    /// <summary>
    /// How a resource policy's principal naming the caller's own account (arn:aws:iam::ACCOUNT:root or the bare id) is
    /// read. False: it matches every principal of the account (a trust policy's delegation is checked this way). True,
    /// AWS's rule for resource-based policies in the same account: it only delegates to the account's identity
    /// policies — an Allow naming it grants nothing by itself, a Deny naming it applies to every principal of the account.
    /// </summary>
    public bool AccountPrincipalDelegates { get; init; }

    /// <summary>
    /// For AssumeRoleWithWebIdentity only: the IAM OIDC provider's ARN the token was validated against. It matches
    /// a statement's <c>"Principal": {"Federated": …}</c> (or <c>"*"</c>); an AWS principal (ARN, account, or
    /// <c>{"AWS": "*"}</c>) never matches a web identity.
    /// </summary>
    public string? FederatedPrincipal { get; init; }

    public RequestContext With(string key, params string[] values)
    {
        _keys[key] = values;
        return this;
    }

    public RequestContext With(string key, IReadOnlyList<string> values)
    {
        _keys[key] = values;
        return this;
    }

    public IReadOnlyList<string>? Get(string key) => _keys.TryGetValue(key, out var values) ? values : null;

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Keys => _keys;
}
