namespace Strongroom.Core.Policies;

/// <summary>One check as <see cref="AccessEvaluator"/> decided it (see <see cref="AccessTrace"/>). Immutable once recorded.</summary>
/// <param name="Request">The request context evaluated: action, resource, principal and every condition key.</param>
/// <param name="Policies">The caller's identity policies, then its session policies, as weighed.</param>
/// <param name="ResourcePolicy">The resource's policy weighed with them, if any.</param>
/// <param name="Result">The decision and the statement (and its policy) that made it; none for an implicit deny.</param>
/// <param name="Denial">The denial's reason as AWS words it; null when allowed.</param>
public sealed record TracedCheck(RequestContext Request, IReadOnlyList<NamedPolicy> Policies, NamedPolicy? ResourcePolicy, AuthorizationResult Result, string? Denial)
{
    /// <summary>For an implicit deny: the Allow statements that came closest (<see cref="PolicyNearMiss"/>), closest first.</summary>
    public IReadOnlyList<PolicyNearMiss.Miss> Closest(int limit = 3) =>
        Result.Decision != PolicyDecision.ImplicitDeny ? [] : PolicyNearMiss.Closest(Request, ResourcePolicy is null ? Policies : [.. Policies, ResourcePolicy], limit);
}
