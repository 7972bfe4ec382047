using Strongroom.Core.Identity;

namespace Strongroom.Protocol.Aws.Auth;

/// <summary>Who made a verified request, and the region and service of its credential scope.</summary>
/// <param name="PrincipalId">
/// The caller's unique id as aws:userid has it: an IAM user's UserId (AIDA…, the administrator's too), an assumed
/// role's "RoleId:SessionName". Null only for credentials that name no stored principal.
/// </param>
/// <param name="Temporary">True for temporary credentials (an ASIA key with its session token).</param>
/// <param name="Kind">
/// A user, a role's session or a user's own (GetSessionToken) session, decided where the key was resolved
/// (<see cref="Core.Identity.IamPrincipals.ResolveAccessKeyAsync"/>): what tells a session from a user, never its name.
/// </param>
public sealed record CallerIdentity(string AccessKeyId, string PrincipalArn, string UserName, string Region, string Service, string? PrincipalId = null, bool Temporary = false, PrincipalKind Kind = PrincipalKind.User);
