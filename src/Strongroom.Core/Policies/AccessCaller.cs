using Strongroom.Core.Identity;

namespace Strongroom.Core.Policies;

/// <summary>The caller of one request as the access decision sees it, from its verified signature.</summary>
/// <param name="Kind">What kind of principal it is, decided where its key was resolved (<see cref="IamPrincipals.ResolveAccessKeyAsync"/>): never told from its name.</param>
/// <param name="AccessKeyId">The access key the request was signed with (for a session, the session's own key id).</param>
/// <param name="PrincipalArn">The user's or the assumed-role session's ARN.</param>
/// <param name="UserName">An IAM user's name (a GetSessionToken session's too: its user's); for an assumed-role session the opaque owner name of its key, never parsed.</param>
/// <param name="Region">The region of the request's credential scope.</param>
/// <param name="PrincipalId">The unique id of the principal the key was issued to (a user's id, or "ROLEID:session"); null when unknown.</param>
public sealed record AccessCaller(PrincipalKind Kind, string AccessKeyId, string PrincipalArn, string UserName, string Region, string? PrincipalId = null)
{
    /// <summary>True for a session of an IAM role (it has no user, and the role's policies bind it).</summary>
    public bool IsRoleSession => Kind == PrincipalKind.AssumedRoleSession;
}
