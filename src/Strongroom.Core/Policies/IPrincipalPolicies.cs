namespace Strongroom.Core.Policies;

/// <summary>
/// Where <see cref="AccessEvaluator"/> finds the principal behind a caller and the policies that bind it. The server's
/// is <see cref="Identity.IamPrincipals"/> (rows verified under the root key, compiled policies cached);
/// `strongroom admin explain` passes one over an unverified view of the same rows (<see cref="Identity.IamService.Unverified"/>),
/// so both decide with the same evaluation. Implementations are thread-safe.
/// </summary>
public interface IPrincipalPolicies
{
    /// <summary>
    /// The principal of <paramref name="caller"/>, chosen by its <see cref="AccessCaller.Kind"/>, with its policies; null
    /// when there is none, or it is not the one the caller's key was issued to (another unique id).
    /// </summary>
    Task<CallerPolicies?> PoliciesOfAsync(AccessCaller caller, CancellationToken ct);
}
