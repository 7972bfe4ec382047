namespace Strongroom.Core.Policies;

/// <summary>
/// AWS KMS's rule for a key: the key policy is always consulted and must allow. An explicit Deny in any policy (IAM,
/// session, key policy) wins. A key policy statement that names the caller itself (its user ARN, its role, its
/// session, or "*") allows on its own; a statement that names the caller's account (arn:aws:iam::ACCOUNT:root or the
/// account id) only delegates to IAM, so the caller's identity policies (narrowed by its session policies) must then
/// allow too. A key policy that neither names the caller nor delegates denies, whatever IAM says. Session policies
/// narrow what a statement naming the role or the account grants, not one naming the session or everyone ("*").
/// Pure and thread-safe.
/// </summary>
public static class KeyPolicyEvaluator
{
    public static KeyAccessResult Evaluate(RequestContext request, IReadOnlyList<NamedPolicy> identityPolicies, IReadOnlyList<NamedPolicy>? sessionPolicies, NamedPolicy keyPolicy)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(keyPolicy);
        var fromIdentity = PolicyEvaluator.Evaluate(request, identityPolicies, null, sessionPolicies);
        if (fromIdentity.Decision == PolicyDecision.ExplicitDeny)
        {
            return new KeyAccessResult(fromIdentity, false);
        }

        // A Deny naming the caller, its role or its account.
        var (deny, delegation) = PolicyEvaluator.Match(keyPolicy, request, resourcePolicy: true);
        if (deny is not null)
        {
            return new KeyAccessResult(new AuthorizationResult(PolicyDecision.ExplicitDeny, keyPolicy, deny), fromIdentity.Allowed);
        }

        // Without the account, only statements that name the caller itself match.
        var direct = new RequestContext { Action = request.Action, Resource = request.Resource, PrincipalArn = request.PrincipalArn, AccountId = null };
        foreach (var (key, values) in request.Keys)
        {
            direct.With(key, values);
        }

        var fromKey = PolicyEvaluator.Evaluate(direct, [], keyPolicy, sessionPolicies);
        if (fromKey.Allowed)
        {
            return new KeyAccessResult(fromKey, fromIdentity.Allowed);
        }

        // A statement naming everyone ("*", as the AWS managed keys' "through this service" statement does) applies
        // at request time, like one naming the session itself, so session policies do not narrow it.
        if (sessionPolicies is { Count: > 0 })
        {
            var anyone = new RequestContext { Action = request.Action, Resource = request.Resource };
            foreach (var (key, values) in request.Keys)
            {
                if (!string.Equals(key, "aws:PrincipalArn", StringComparison.OrdinalIgnoreCase))
                {
                    anyone.With(key, values);
                }
            }

            if (PolicyEvaluator.Match(keyPolicy, anyone, resourcePolicy: true) is { Allow: { } everyone })
            {
                return new KeyAccessResult(new AuthorizationResult(PolicyDecision.Allow, keyPolicy, everyone), fromIdentity.Allowed);
            }
        }

        return delegation is not null && fromIdentity.Allowed
            ? new KeyAccessResult(fromIdentity, true)
            : new KeyAccessResult(new AuthorizationResult(PolicyDecision.ImplicitDeny, null, null), fromIdentity.Allowed);
    }
}
