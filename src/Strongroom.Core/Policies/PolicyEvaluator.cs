using System.Text;

namespace Strongroom.Core.Policies;

/// <summary>
/// What IAM's evaluation decides. The safe default is the zero value: a decision never set (a default struct field, an
/// uninitialised variable) is an implicit deny, never an allow.
/// </summary>
public enum PolicyDecision
{
    ImplicitDeny = 0,
    ExplicitDeny = 1,
    Allow = 2,
}

/// <summary>A policy with the name it is shown by (e.g. "user/alice inline read-prod", "resource policy") and where it comes from.</summary>
public sealed record NamedPolicy(string Name, PolicyDocument Document, PolicySource Source = PolicySource.Identity);

/// <summary>The decision and the statement that made it (null for an implicit deny).</summary>
public sealed record AuthorizationResult(PolicyDecision Decision, NamedPolicy? Policy, PolicyStatement? Statement)
{
    public bool Allowed => Decision == PolicyDecision.Allow;
}

/// <summary>
/// AWS's evaluation logic: an explicit Deny in any applicable policy wins; otherwise an Allow from an
/// identity policy (narrowed by session policies when there are any) or from the resource's policy; otherwise
/// an implicit deny. Pure and thread-safe.
/// </summary>
public static class PolicyEvaluator
{
    /// <summary>Whether <paramref name="op"/> is a condition operator IAM knows (with its set and IfExists forms).</summary>
    public static bool IsKnownOperator(string op) => PolicyConditions.IsKnownOperator(op);

    public static AuthorizationResult Evaluate(RequestContext request, IReadOnlyList<NamedPolicy> identityPolicies, NamedPolicy? resourcePolicy = null, IReadOnlyList<NamedPolicy>? sessionPolicies = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(identityPolicies);
        (NamedPolicy, PolicyStatement)? identityAllow = null, resourceAllow = null, sessionAllow = null;
        foreach (var policy in identityPolicies)
        {
            var (deny, allow) = Match(policy, request, resourcePolicy: false);
            if (deny is not null)
            {
                return new AuthorizationResult(PolicyDecision.ExplicitDeny, policy, deny);
            }

            identityAllow ??= allow is null ? null : (policy, allow);
        }

        foreach (var policy in sessionPolicies ?? [])
        {
            var (deny, allow) = Match(policy, request, resourcePolicy: false);
            if (deny is not null)
            {
                return new AuthorizationResult(PolicyDecision.ExplicitDeny, policy, deny);
            }

            sessionAllow ??= allow is null ? null : (policy, allow);
        }

        var sessionsLimit = sessionPolicies is { Count: > 0 };
        if (resourcePolicy is not null)
        {
            var (deny, allow) = Match(resourcePolicy, request, resourcePolicy: true);
            if (deny is not null)
            {
                return new AuthorizationResult(PolicyDecision.ExplicitDeny, resourcePolicy, deny);
            }

            // A resource policy that names the session itself is not limited by session policies; one that
            // names the role (or the account) is, like an identity policy.
            if (allow is not null && sessionsLimit && sessionAllow is null)
            {
                allow = Match(resourcePolicy, request, resourcePolicy: true, sessionPrincipalOnly: true).Allow;
            }

            resourceAllow = allow is null ? null : (resourcePolicy, allow);
        }

        if (identityAllow is { } i && (!sessionsLimit || sessionAllow is not null))
        {
            return new AuthorizationResult(PolicyDecision.Allow, i.Item1, i.Item2);
        }

        if (resourceAllow is { } r)
        {
            return new AuthorizationResult(PolicyDecision.Allow, r.Item1, r.Item2);
        }

        return new AuthorizationResult(PolicyDecision.ImplicitDeny, null, null);
    }

    /// <summary>The first applicable Deny and the first applicable Allow statement of one policy.</summary>
    public static (PolicyStatement? Deny, PolicyStatement? Allow) Match(NamedPolicy policy, RequestContext request, bool resourcePolicy, bool sessionPrincipalOnly = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        PolicyStatement? allow = null;
        foreach (var statement in policy.Document.Statements)
        {
            if (!Applies(statement, policy.Document.VariablesEnabled, request, resourcePolicy, sessionPrincipalOnly))
            {
                continue;
            }

            if (!statement.Allow)
            {
                return (statement, null);
            }

            allow ??= statement;
        }

        return (null, allow);
    }

    /// <summary>Whether the statement's Action (or NotAction) lets <paramref name="request"/>'s action in (case-insensitively, as IAM).</summary>
    public static bool ActionMatches(PolicyStatement s, RequestContext request)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(request);
        return s.Actions is not null ? AnyAction(s.Actions, request.Action) : !AnyAction(s.NotActions!, request.Action);
    }

    /// <summary>Whether the statement's Resource (or NotResource), its policy variables substituted, lets <paramref name="request"/>'s resource in.</summary>
    public static bool ResourceMatches(PolicyStatement s, bool variables, RequestContext request)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(request);
        return (s.Resources is null || AnyResource(s.Resources, variables, request)) && (s.NotResources is null || !AnyResource(s.NotResources, variables, request));
    }

    // Indexed loops: the decision's hot path allocates no enumerator or closure per statement.
    private static bool AnyAction(IReadOnlyList<string> patterns, string action)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (Glob(patterns[i], action, ignoreCase: true))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyResource(IReadOnlyList<string> patterns, bool variables, RequestContext request)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (Substitute(patterns[i], variables, request) is { } pattern && Glob(pattern, request.Resource, ignoreCase: false))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Applies(PolicyStatement s, bool variables, RequestContext request, bool resourcePolicy, bool sessionPrincipalOnly)
    {
        if (!ActionMatches(s, request) || !ResourceMatches(s, variables, request))
        {
            return false;
        }

        if (resourcePolicy || s.Principals is not null || s.NotPrincipals is not null)
        {
            if (s.Principals is not null && !PrincipalMatches(s.Principals, request, sessionPrincipalOnly, s.Allow))
            {
                return false;
            }

            if (s.NotPrincipals is not null && PrincipalMatches(s.NotPrincipals, request, false, false))
            {
                return false;
            }
        }

        foreach (var condition in s.Conditions)
        {
            if (!PolicyConditions.Holds(condition, variables, request))
            {
                return false;
            }
        }

        return true;
    }

    private static bool PrincipalMatches(IReadOnlyDictionary<string, IReadOnlyList<string>> principals, RequestContext request, bool sessionOnly, bool allow)
    {
        if (sessionOnly)
        {
            // Only a statement naming exactly the caller's own (session) ARN.
            return request.PrincipalArn is not null && principals.TryGetValue("AWS", out var named) && named.Contains(request.PrincipalArn, StringComparer.Ordinal);
        }

        if (principals.ContainsKey("*"))
        {
            return true;
        }

        if (request.FederatedPrincipal is not null)
        {
            return principals.TryGetValue("Federated", out var federated) && federated.Contains(request.FederatedPrincipal, StringComparer.Ordinal);
        }

        // A service principal ({"Service": "lambda.amazonaws.com"}) matches only a request the service itself makes
        // (aws:PrincipalServiceName, set by the server, never from request input).
        if (principals.TryGetValue("Service", out var services) && request.Get("aws:PrincipalServiceName") is { Count: > 0 } callingServices
            && services.Any(s => callingServices.Contains(s, StringComparer.Ordinal)))
        {
            return true;
        }

        if (!principals.TryGetValue("AWS", out var values))
        {
            return false;
        }

        var candidates = new List<string>();
        if (request.PrincipalArn is not null)
        {
            candidates.Add(request.PrincipalArn);
        }

        candidates.AddRange(request.Get("aws:PrincipalArn") ?? []);
        foreach (var value in values)
        {
            if (value == "*")
            {
                return true;
            }

            var account = value.Length == 12 && value.All(char.IsAsciiDigit) ? value
                : value.StartsWith("arn:aws:iam::", StringComparison.Ordinal) && value.EndsWith(":root", StringComparison.Ordinal) ? value.Split(':')[4] : null;
            // The account principal: in an Allow it only delegates to identity policies (when the request says so).
            if (account is not null && request.AccountId == account && !(allow && request.AccountPrincipalDelegates))
            {
                return true;
            }

            if (candidates.Contains(value, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Replaces ${key} policy variables; null when a referenced key is missing (the element then matches nothing).</summary>
    public static string? Substitute(string text, bool enabled, RequestContext request)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(request);
        if (!enabled || !text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                builder.Append(text, i, text.Length - i);
                break;
            }

            var end = text.IndexOf('}', start);
            if (end < 0)
            {
                builder.Append(text, i, text.Length - i);
                break;
            }

            builder.Append(text, i, start - i);
            var inner = text[(start + 2)..end];
            string? replacement = inner switch
            {
                "*" => "*",
                "?" => "?",
                "$" => "$",
                _ => null,
            };
            if (replacement is null)
            {
                var name = inner;
                string? fallback = null;
                var comma = inner.IndexOf(',', StringComparison.Ordinal);
                if (comma >= 0)
                {
                    name = inner[..comma].Trim();
                    var rest = inner[(comma + 1)..].Trim();
                    fallback = rest.Length >= 2 && rest[0] == '\'' && rest[^1] == '\'' ? rest[1..^1] : null;
                }

                var values = request.Get(name);
                replacement = values is { Count: > 0 } ? values[0] : fallback;
                if (replacement is null)
                {
                    return null;
                }

                // A value must not be able to widen the pattern it is put into.
                replacement = replacement.Replace("*", "${*}", StringComparison.Ordinal).Replace("?", "${?}", StringComparison.Ordinal);
                replacement = LiteralWildcards(replacement);
            }
            else if (replacement is "*" or "?")
            {
                replacement = replacement == "*" ? LiteralStar : LiteralQuestion;
            }

            builder.Append(replacement);
            i = end + 1;
        }

        return builder.ToString();
    }

    // Private-use characters stand for literal * and ? inside a pattern after substitution.
    internal const string LiteralStar = "\uE000";
    internal const string LiteralQuestion = "\uE001";

    private static string LiteralWildcards(string value) =>
        value.Replace("${*}", LiteralStar, StringComparison.Ordinal).Replace("${?}", LiteralQuestion, StringComparison.Ordinal);

    /// <summary>Wildcard match: * any run, ? one character (literal forms from ${*}/${?} match themselves).</summary>
    public static bool Glob(string pattern, string value, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(value);
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], value[v], ignoreCase)))
            {
                p++;
                v++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Same(char patternChar, char valueChar, bool ignoreCase)
    {
        patternChar = patternChar switch
        {
            '\uE000' => '*',
            '\uE001' => '?',
            _ => patternChar,
        };
        return ignoreCase ? char.ToLowerInvariant(patternChar) == char.ToLowerInvariant(valueChar) : patternChar == valueChar;
    }
}
