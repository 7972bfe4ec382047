using Strongroom.Core.Secrets;

namespace Strongroom.Core.Policies;

/// <summary>
/// How one AWS service's calls are decided: the service's SigV4 signing name (also its IAM action prefix) and the access
/// checks a call of it asks for. <see cref="CallAuthorization"/> holds one per signing name and has no per-service
/// switch; a new service is one implementation added to its list, beside the protocol API the host registers for the
/// same signing name (a test ties the two lists together). Implementations are thread-safe.
/// </summary>
public interface IServiceAccess
{
    /// <summary>The signing name (credential scope service) this decides: "secretsmanager", "kms", "iam", "sts".</summary>
    string SigningName { get; }

    /// <summary>
    /// The secret the call names, resolved at most once and shared by the checks and the operation; null for a service
    /// or an operation that names none (only Secrets Manager's calls have one).
    /// </summary>
    SecretResolution? ResolutionFor(string region, string operation, IAccessInput input) => null;

    /// <summary>Whether <paramref name="operation"/> needs no permission at all, whoever calls (STS's GetCallerIdentity, as in AWS).</summary>
    bool NeedsNoPermission(string operation) => false;

    /// <summary>Whether <paramref name="operation"/> binds the admin too (STS's AssumeRole: the role's trust policy); else the admin has no checks.</summary>
    bool BindsAdmin(string operation) => false;

    /// <summary>The checks of one call, in order; every one must allow.</summary>
    Task<IReadOnlyList<AccessCheck>> ChecksAsync(ServiceCall call, CancellationToken ct);
}
