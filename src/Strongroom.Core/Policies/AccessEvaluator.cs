using System.Collections.Concurrent;
using System.Globalization;
using Strongroom.Core.Identity;

namespace Strongroom.Core.Policies;

/// <summary>
/// Decides access checks with AWS's evaluation logic: the caller's identity policies (those of the principal its key
/// was issued to), an assumed role's session policies, the resource's own policy (a secret's resource policy, a KMS key
/// policy, a role's trust policy) and the request context (global keys and the check's condition keys). The admin is
/// recognised by its principal id, never by a name. A denial never says whether the resource exists. The one
/// evaluation of access: the server decides with it, and `strongroom admin explain` asks it too, passing an
/// <see cref="AccessTrace"/> that collects the statements weighed (ADR 0038). Thread-safe.
/// </summary>
public sealed class AccessEvaluator
{
    private const string ResourcePolicyName = "resource policy";
    private readonly IPrincipalPolicies _principals;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PolicyDocument?> _resourcePolicies = new(StringComparer.Ordinal);

    public AccessEvaluator(IamService iam, ServerIdentity identity, TimeProvider time)
        : this((iam ?? throw new ArgumentNullException(nameof(iam))).Principals, identity, time)
    {
    }

    /// <param name="principals">Where a caller's principal and policies are found: the server's verified
    /// <see cref="IamPrincipals"/>, or explain's unverified view of the same rows.</param>
    public AccessEvaluator(IPrincipalPolicies principals, ServerIdentity identity, TimeProvider time)
    {
        _principals = principals;
        _identity = identity;
        _time = time;
    }

    /// <summary>
    /// One check as evaluated: the resource policy parsed (an unparsable one counts as none), the condition keys
    /// case-insensitive. See <see cref="AccessCheck"/> for the members.
    /// </summary>
    private sealed record Check(string Action, string Resource, PolicyDocument? ResourcePolicy, bool KeyPolicy, Dictionary<string, IReadOnlyList<string>> Keys, string? Shown = null, string? Forbidden = null, bool TrustOnly = false);

    private Check From(AccessCheck check) =>
        new(check.Action, check.Resource, ResourcePolicy(check.ResourcePolicy), check.KeyPolicy, new Dictionary<string, IReadOnlyList<string>>(check.Keys, StringComparer.OrdinalIgnoreCase), check.Shown, check.Forbidden, check.TrustOnly);

    /// <summary>
    /// True for the administrator: the caller whose principal id is the one recorded under the root key at
    /// initialisation (<see cref="ServerIdentity.AdminUserId"/>) — never recognised by a name.
    /// </summary>
    public bool IsAdmin(AccessCaller caller) => caller?.PrincipalId is { } id && _identity.AdminUserId is { } admin && id == admin;

    /// <summary>
    /// The first denial among <paramref name="checks"/> for a non-admin caller, or null when every check allows. The
    /// administrator is bound only by trust-only checks (a role's trust policy), so for it only those are decided.
    /// </summary>
    public Task<AccessDenial?> DecideAsync(AccessCaller caller, IEnumerable<AccessCheck> checks, AccessRequestContext request, CancellationToken ct) =>
        DecideAsync(caller, checks, request, null, ct);

    /// <summary>
    /// The same decision, collecting into <paramref name="trace"/> (when given) how each check was decided: the request
    /// context, the policies weighed, the deciding statement. The decision does not depend on it.
    /// </summary>
    public async Task<AccessDenial?> DecideAsync(AccessCaller caller, IEnumerable<AccessCheck> checks, AccessRequestContext request, AccessTrace? trace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(checks);
        return await DecideAsync(caller, checks.Select(From).ToList(), request, trace, ct);
    }

    private async Task<AccessDenial?> DecideAsync(AccessCaller caller, IReadOnlyList<Check> checks, AccessRequestContext request, AccessTrace? trace, CancellationToken ct)
    {
        if (IsAdmin(caller))
        {
            trace?.Administrator = true;
            foreach (var check in checks.Where(c => c.TrustOnly))
            {
                if (Decide(check, caller, CallerPolicies.None, request, trace) is { } reason)
                {
                    return Denial(caller, check, reason);
                }
            }

            return null;
        }

        var principal = await _principals.PoliciesOfAsync(caller, ct) ?? CallerPolicies.None;
        foreach (var check in checks)
        {
            if ((check.Forbidden ?? Decide(check, caller, principal, request, trace)) is { } reason)
            {
                return Denial(caller, check, reason);
            }
        }

        return null;
    }

    /// <summary>
    /// KMS's policy lockout safety check: whether <paramref name="caller"/> could still call kms:PutKeyPolicy on
    /// <paramref name="keyArn"/> if its key policy were <paramref name="policy"/>, by AWS's rule for key policies:
    /// the key policy names the caller, or it names the account (delegating to IAM) and an identity policy allows
    /// it; an explicit deny anywhere refuses. The candidate is parsed here, never cached.
    /// </summary>
    public async Task<bool> CanChangeKeyPolicyAsync(AccessCaller caller, string keyArn, string policy, AccessRequestContext request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        PolicyDocument candidate;
        try
        {
            candidate = PolicyDocument.Parse(policy);
        }
        catch (PolicySyntaxException)
        {
            return false;
        }

        Check[] checks = [new Check("kms:PutKeyPolicy", keyArn, candidate, true, []), new Check("kms:PutKeyPolicy", keyArn, candidate, false, [], TrustOnly: true)];
        return await DecideAsync(caller, checks, request, null, ct) is null;
    }

    private static AccessDenial Denial(AccessCaller caller, Check check, string reason) => AccessDenial.For(caller, check.Action, check.Shown ?? check.Resource, reason);

    /// <summary>One check's decision: null when allowed, else the denial's reason as AWS words it.</summary>
    private string? Decide(Check check, AccessCaller caller, CallerPolicies principal, AccessRequestContext request, AccessTrace? trace)
    {
        // Identity, session and resource policies are evaluated together, as AWS does: an explicit Deny in any of them
        // wins; a session policy bounds what the role's identity policies and a resource policy naming the role grant (a
        // resource policy naming the session itself is not bounded); a resource policy's principal naming this account
        // only delegates to identity policies (it grants nothing by itself) — except in a trust-only check, and in a key
        // policy, whose evaluator (KeyPolicyEvaluator) finds the delegating statement itself.
        var context = new RequestContext { Action = check.Action, Resource = check.Resource, PrincipalArn = caller.PrincipalArn, AccountId = _identity.AccountId, AccountPrincipalDelegates = !check.TrustOnly && !check.KeyPolicy };
        AddGlobalKeys(context, caller, principal, request);
        foreach (var (key, values) in check.Keys)
        {
            context.With(key, values);
        }

        if (check.TrustOnly)
        {
            var trustPolicy = check.ResourcePolicy is null ? null : new NamedPolicy(ResourcePolicyName, check.ResourcePolicy, PolicySource.Resource);
            var trust = trustPolicy is null ? null : PolicyEvaluator.Evaluate(context, [], trustPolicy);
            var refused = trust is { Allowed: true } ? null : $"because no resource-based policy allows the {check.Action} action";
            trace?.Add(new TracedCheck(context, [], trustPolicy, trust ?? new AuthorizationResult(PolicyDecision.ImplicitDeny, null, null), refused));
            return refused;
        }

        if (check.KeyPolicy && check.ResourcePolicy is not null)
        {
            // AWS KMS (and a role's trust policy): the resource policy must allow, itself or by delegating to the
            // account's IAM policies.
            var keyPolicy = new NamedPolicy(ResourcePolicyName, check.ResourcePolicy, PolicySource.Resource);
            var keyAccess = KeyPolicyEvaluator.Evaluate(context, principal.IdentityPolicies, principal.SessionPolicies, keyPolicy);
            var keyDenial = keyAccess.Result.Allowed ? null
                : keyAccess.Result.Decision == PolicyDecision.ExplicitDeny ? ExplicitDenyText(keyAccess.Result)
                : keyAccess.IdentityAllowed ? $"because no resource-based policy allows the {check.Action} action"
                : $"because no identity-based policy allows the {check.Action} action";
            trace?.Add(new TracedCheck(context, Weighed(principal), keyPolicy, keyAccess.Result, keyDenial));
            return keyDenial;
        }

        var resourcePolicy = check.ResourcePolicy is null ? null : new NamedPolicy(ResourcePolicyName, check.ResourcePolicy, PolicySource.Resource);
        var result = PolicyEvaluator.Evaluate(context, principal.IdentityPolicies, resourcePolicy, principal.SessionPolicies);
        var denial = result.Allowed ? null
            : result.Decision == PolicyDecision.ExplicitDeny ? ExplicitDenyText(result)
            : $"because no identity-based policy allows the {check.Action} action";
        trace?.Add(new TracedCheck(context, Weighed(principal), resourcePolicy, result, denial));
        return denial;
    }

    /// <summary>The identity policies, then the session policies, as a trace names them.</summary>
    private static IReadOnlyList<NamedPolicy> Weighed(CallerPolicies principal) =>
        principal.SessionPolicies is { Count: > 0 } session ? [.. principal.IdentityPolicies, .. session] : principal.IdentityPolicies;

    /// <summary>
    /// Where an explicit deny came from, as AWS words it, told by the denying policy's typed <see cref="PolicySource"/>
    /// rather than by its display name or identity (#17: no stringly-typed kinds).
    /// </summary>
    private static string ExplicitDenyText(AuthorizationResult result) =>
        result.Policy?.Source == PolicySource.Resource
            ? "with an explicit deny in a resource-based policy"
            : "with an explicit deny in an identity-based policy";

    private void AddGlobalKeys(RequestContext context, AccessCaller caller, CallerPolicies principal, AccessRequestContext request)
    {
        var now = _time.GetUtcNow();
        if (principal.Role is { } role)
        {
            var session = principal.Session;
            // An assumed-role session: aws:PrincipalArn is the role's ARN; there is no aws:username. Its principal
            // tags are the role's, overridden by the session's own tags (AssumeRole Tags, a token's principal_tags).
            context.With("aws:userid", role.RoleId + ":" + session?.SessionName).With("aws:PrincipalArn", role.Arn).With("aws:PrincipalType", "AssumedRole");
            foreach (var tag in SessionTags.PrincipalTags(role.Tags, session?.Tags))
            {
                context.With("aws:PrincipalTag/" + tag.Key, tag.Value);
            }

            // A web identity session keeps its provider's keys (e.g. "host/path:sub"), as AWS does for chained roles.
            if (session?.FederatedProvider is { } provider)
            {
                context.With("aws:FederatedProvider", provider);
                foreach (var (key, values) in session.FederationKeys ?? [])
                {
                    context.With(key, values);
                }
            }
        }
        else
        {
            context.With("aws:username", caller.UserName).With("aws:userid", principal.User?.UserId ?? caller.UserName).With("aws:PrincipalArn", caller.PrincipalArn).With("aws:PrincipalType", "User");
        }

        context.With("aws:PrincipalAccount", _identity.AccountId)
            .With("aws:CurrentTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .With("aws:EpochTime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))
            .With("kms:CallerAccount", _identity.AccountId);
        if (request.Secure is { } secure)
        {
            context.With("aws:SecureTransport", secure ? "true" : "false");
        }

        if (request.SourceIp is not null)
        {
            context.With("aws:SourceIp", request.SourceIp);
        }

        foreach (var tag in principal.User?.Tags ?? [])
        {
            context.With("aws:PrincipalTag/" + tag.Key, tag.Value);
        }
    }

    private PolicyDocument? ResourcePolicy(string? json)
    {
        if (json is null)
        {
            return null;
        }

        return _resourcePolicies.GetOrAdd(json, text =>
        {
            try
            {
                return PolicyDocument.Parse(text);
            }
            catch (PolicySyntaxException)
            {
                return null;
            }
        });
    }
}
