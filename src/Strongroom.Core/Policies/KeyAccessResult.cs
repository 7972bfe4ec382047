namespace Strongroom.Core.Policies;

/// <summary>The decision on a KMS key, and whether the caller's IAM policies alone allowed it (for the denial's wording).</summary>
public sealed record KeyAccessResult(AuthorizationResult Result, bool IdentityAllowed);
