namespace Strongroom.Core.Identity;

/// <summary>
/// What kind of principal signed a request, decided once where its access key is resolved
/// (<see cref="IamPrincipals.ResolveAccessKeyAsync"/>) and carried with the caller from then on, so no code tells a
/// session from a user by its name. The zero value is the safe default: a caller whose kind was never decided is
/// bound by no policy (every check it meets is an implicit deny).
/// </summary>
public enum PrincipalKind
{
    /// <summary>Not decided: no policy binds it, so nothing is allowed it (the administrator excepted, known by its id).</summary>
    Unknown = 0,

    /// <summary>An IAM user signing with its long-term access key (the administrator too).</summary>
    User = 1,

    /// <summary>A session of an IAM role: AssumeRole, AssumeRoleWithWebIdentity, a rotation run's session.</summary>
    AssumedRoleSession = 2,

    /// <summary>A user's own temporary credentials (GetSessionToken): it acts as that user, but may not call IAM.</summary>
    UserSession = 3,
}
