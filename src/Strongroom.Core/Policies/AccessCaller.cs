namespace Strongroom.Core.Policies;

/// <summary>The caller of one request as the access decision sees it, from its verified signature.</summary>
/// <param name="AccessKeyId">The access key the request was signed with.</param>
/// <param name="PrincipalArn">The user's or the assumed-role session's ARN.</param>
/// <param name="UserName">An IAM user's name; for an assumed-role session its "session:…" key name (<see cref="Identity.SessionNames"/>).</param>
/// <param name="Region">The region of the request's credential scope.</param>
/// <param name="PrincipalId">The unique id of the principal the key was issued to (a user's id, or "ROLEID:session"); null when unknown.</param>
public sealed record AccessCaller(string AccessKeyId, string PrincipalArn, string UserName, string Region, string? PrincipalId = null);
