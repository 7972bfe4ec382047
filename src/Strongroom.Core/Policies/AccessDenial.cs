namespace Strongroom.Core.Policies;

/// <summary>
/// Why a call is refused, as AWS words it: <see cref="Message"/> is "User: ARN is not authorized to perform: ACTION on
/// resource: RESOURCE REASON". The resource is what the caller named (<see cref="AccessCheck.Shown"/>), so a denial never
/// reveals whether it exists. The host maps it to the protocol's error (AccessDeniedException, or AccessDenied for IAM/STS).
/// </summary>
public sealed record AccessDenial(string Action, string Resource, string Reason, string Message)
{
    internal static AccessDenial For(AccessCaller caller, string action, string resource, string reason) =>
        new(action, resource, reason, $"User: {caller.PrincipalArn} is not authorized to perform: {action} on resource: {resource} {reason}");
}
