using Strongroom.Core.Audit;
using Strongroom.Protocol.Aws.Auth;

namespace Strongroom.Server;

/// <summary>
/// CloudTrail's userIdentity for a signed caller: an IAM user (the admin included) is type IAMUser with its IAM UserId
/// (AIDA…) as principalId; a session of an assumed role (AssumeRole, AssumeRoleWithWebIdentity, a rotation run's
/// credentials) is type AssumedRole with principalId ROLEID:SESSION, the assumed-role ARN, and
/// sessionContext.sessionIssuer naming the role. Stateless.
/// </summary>
public static class AuditIdentities
{
    /// <param name="caller">Who signed.</param>
    /// <param name="accountId">The server's account.</param>
    /// <param name="fallbackPrincipalId">The principal id when the key names none (keys stored before keys named their principal).</param>
    public static AuditIdentity For(CallerIdentity caller, string accountId, Func<string, string> fallbackPrincipalId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(fallbackPrincipalId);
        var principalId = caller.PrincipalId ?? fallbackPrincipalId(caller.PrincipalArn);
        // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
        const string Marker = ":assumed-role/";
        var at = caller.PrincipalArn.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return new AuditIdentity("IAMUser", principalId, caller.PrincipalArn, accountId, caller.AccessKeyId, caller.UserName);
        }

        var rest = caller.PrincipalArn[(at + Marker.Length)..];
        var roleName = rest.Contains('/', StringComparison.Ordinal) ? rest[..rest.IndexOf('/', StringComparison.Ordinal)] : rest;
        var colon = principalId.IndexOf(':', StringComparison.Ordinal);
        var roleId = colon > 0 ? principalId[..colon] : principalId;
        // The assumed-role ARN carries no role path; the issuer is named by the role's path-less ARN.
        var issuer = new AuditSessionIssuer("Role", roleId, $"arn:aws:iam::{accountId}:role/{roleName}", accountId, roleName);
        return new AuditIdentity("AssumedRole", principalId, caller.PrincipalArn, accountId, caller.AccessKeyId, null, issuer);
    }
}
