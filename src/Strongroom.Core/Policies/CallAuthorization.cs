using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Policies;

/// <summary>
/// Decides one call before it runs (#17: access decided in Core): the protocol layer hands over the operation and its
/// input as decoded once at the edge; each service's builder (<see cref="SecretAccess"/>, <see cref="KeyAccess"/>,
/// <see cref="ParameterAccess"/>, <see cref="IamAccess"/> and <see cref="AssumeRoleAccess"/>, <see cref="RotationAccess"/>)
/// turns it into access checks (action, resource ARN, condition keys, resource policy), and the
/// <see cref="AccessEvaluator"/> decides them. The admin may do everything but what a role's trust policy refuses;
/// every other principal only what a policy allows. The host maps a denial to its protocol's error. Thread-safe.
/// </summary>
public sealed class CallAuthorization
{
    private readonly SecretAccess _secrets;
    private readonly KeyAccess _keys;
    private readonly ParameterAccess _parameters;
    private readonly IamAccess _iam;
    private readonly AssumeRoleAccess _assumeRole;
    private readonly RotationAccess _rotation;

    public CallAuthorization(IamService iam, IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time, AccessChecks checks)
    {
        Evaluator = new AccessEvaluator(iam, identity, time);
        _secrets = new SecretAccess(checks, identity);
        _keys = new KeyAccess(store, keys, checks, identity);
        _parameters = new ParameterAccess(store, identity);
        _iam = new IamAccess(iam, identity);
        _assumeRole = new AssumeRoleAccess(iam);
        _rotation = new RotationAccess(checks, identity);
    }

    /// <summary>What decides the checks (also what a running call's <see cref="ICallerAccess"/> asks).</summary>
    public AccessEvaluator Evaluator { get; }

    private static readonly IamAccess.Parameters NoParameters = new(_ => null, [], []);

    /// <summary>
    /// The decision on <paramref name="service"/>:<paramref name="operation"/> for <paramref name="caller"/>.
    /// </summary>
    /// <param name="input">A JSON-protocol call's input (<see cref="IAccessInput.Empty"/> for the Query protocols).</param>
    /// <param name="query">A Query-protocol (IAM, STS) call's parameters; null for the JSON protocols.</param>
    public async Task<CallAccess> DecideAsync(AccessCaller caller, string service, string operation, IAccessInput input, IamAccess.Parameters? query, AccessRequestContext request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(input);
        // The secret a Secrets Manager call names is resolved at most once, by whichever needs it first: the checks
        // below, or (for the admin, who has none) the operation.
        var secret = service == "secretsmanager" ? SecretAccess.ResolutionFor(caller.Region, operation, input) : null;

        // GetCallerIdentity and GetSessionToken need no permission, as in AWS; AssumeRoleWithWebIdentity is decided
        // by the role's trust policy alone (WebIdentityFederation), whoever signed the request.
        if (service == "sts" && operation is "GetCallerIdentity" or "GetSessionToken" or "AssumeRoleWithWebIdentity" or "AssumeRoleWithSAML")
        {
            return new CallAccess(null, secret);
        }

        // The admin is bound by nothing but a role's trust policy (and KMS's lockout check, which passes its own): its
        // other calls build no checks at all.
        if (Evaluator.IsAdmin(caller) && !(service == "sts" && operation == "AssumeRole"))
        {
            return new CallAccess(null, secret);
        }

        var checks = await ChecksAsync(caller, service, operation, input, query ?? NoParameters, secret, ct);
        return new CallAccess(await Evaluator.DecideAsync(caller, checks, request, ct), secret);
    }

    private async Task<IReadOnlyList<AccessCheck>> ChecksAsync(AccessCaller caller, string service, string operation, IAccessInput input, IamAccess.Parameters query, SecretResolution? secret, CancellationToken ct)
    {
        var region = caller.Region;
        switch (service)
        {
            case "secretsmanager":
                return await _secrets.ChecksAsync(region, operation, input, secret, ct);
            case "kms":
                return await _keys.ChecksAsync(region, operation, input, ct);
            case "ssm":
                return await _parameters.ChecksAsync(region, operation, input, ct);
            case "sts" when operation == "AssumeRole" && query.Get("RoleArn") is { } roleArn:
                return await _assumeRole.ChecksAsync(roleArn, query, ct);
            case "iam" or "sts":
                var requests = await _iam.RequestsAsync(service, operation, query, new IamAccess.Caller(caller.PrincipalArn, caller.UserName, caller.IsRoleSession), ct);
                return requests.Select(r => new AccessCheck(r.Action, r.Resource, null, false, r.Keys, Forbidden: r.Forbidden)).ToList();
            case "strongroom":
                return await _rotation.ChecksAsync(region, operation, input, ct);
            default:
                return [new AccessCheck(service + ":" + operation, "*", null, false, new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase))];
        }
    }
}
