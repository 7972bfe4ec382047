using Strongroom.Core.Identity;

namespace Strongroom.Core.Policies;

/// <summary>The principal behind a caller's key, with the policies that bind it (see <see cref="IPrincipalPolicies"/>). Immutable.</summary>
/// <param name="IdentityPolicies">The user's (inline, attached, its groups') or the role's policies.</param>
/// <param name="SessionPolicies">An assumed-role session's session policy (AssumeRole's Policy); null or empty when none.</param>
/// <param name="User">The IAM user, for a user and a user's GetSessionToken session.</param>
/// <param name="Role">The role, for an assumed-role session.</param>
/// <param name="Session">The session's record, for an assumed-role session.</param>
public sealed record CallerPolicies(IReadOnlyList<NamedPolicy> IdentityPolicies, IReadOnlyList<NamedPolicy>? SessionPolicies, IamUser? User, IamRole? Role, IamSession? Session)
{
    /// <summary>No principal: bound by no policy (a key whose principal is gone, a caller of no known kind).</summary>
    public static CallerPolicies None { get; } = new([], null, null, null, null);
}
