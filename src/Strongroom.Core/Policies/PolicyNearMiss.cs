namespace Strongroom.Core.Policies;

/// <summary>
/// For an implicit deny, the Allow statements that came closest to allowing the request, as AWS's policy simulator
/// shows them: which of action, resource and conditions matched, and which condition keys the request lacked. Only a
/// diagnosis for a person (`strongroom explain`); decisions are <see cref="PolicyEvaluator"/>'s alone. Stateless.
/// </summary>
public static class PolicyNearMiss
{
    /// <summary>One Allow statement and what stopped it.</summary>
    /// <param name="Policy">The policy holding it.</param>
    /// <param name="Statement">The statement.</param>
    /// <param name="ActionMatches">Its Action (or NotAction) lets the action in.</param>
    /// <param name="ResourceMatches">Its Resource (or NotResource) lets the resource in.</param>
    /// <param name="MissingKeys">Condition keys the statement tests that the request does not carry (…IfExists and Null tests excepted).</param>
    /// <param name="Conditions">The statement's conditions, as Operator Key [values].</param>
    public sealed record Miss(NamedPolicy Policy, PolicyStatement Statement, bool ActionMatches, bool ResourceMatches, IReadOnlyList<string> MissingKeys, IReadOnlyList<string> Conditions)
    {
        /// <summary>How close: an action match counts most, then the resource, then conditions without missing keys.</summary>
        public int Score => (ActionMatches ? 4 : 0) + (ResourceMatches ? 2 : 0) + (MissingKeys.Count == 0 ? 1 : 0);
    }

    /// <summary>The Allow statements of <paramref name="policies"/>, closest first, at most <paramref name="limit"/>; none that match neither action nor resource.</summary>
    public static IReadOnlyList<Miss> Closest(RequestContext request, IEnumerable<NamedPolicy> policies, int limit = 3)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policies);
        var misses = new List<Miss>();
        foreach (var policy in policies)
        {
            var variables = policy.Document.VariablesEnabled;
            foreach (var s in policy.Document.Statements.Where(s => s.Allow))
            {
                // The same element matching as the decision's (PolicyEvaluator.Applies), one element at a time.
                var action = PolicyEvaluator.ActionMatches(s, request);
                var resource = PolicyEvaluator.ResourceMatches(s, variables, request);
                if (!action && !resource)
                {
                    continue;
                }

                var missing = s.Conditions
                    .Where(c => !c.Operator.EndsWith("IfExists", StringComparison.Ordinal) && c.Operator != "Null" && request.Get(c.Key) is not { Count: > 0 })
                    .Select(c => c.Key).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                var conditions = s.Conditions.Select(c => $"{c.Operator} {c.Key} [{string.Join(", ", c.Values)}]").ToList();
                misses.Add(new Miss(policy, s, action, resource, missing, conditions));
            }
        }

        return [.. misses.OrderByDescending(m => m.Score).Take(limit)];
    }
}
