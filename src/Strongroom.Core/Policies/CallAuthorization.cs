using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Policies;

/// <summary>
/// Decides one call before it runs (#17: access decided in Core): the protocol layer hands over the operation and its
/// input as decoded once at the edge; the service's registration (<see cref="IServiceAccess"/>: <see cref="SecretAccess"/>,
/// <see cref="KeyAccess"/>, <see cref="ParameterAccess"/>, <see cref="IamServiceAccess"/>, <see cref="StsAccess"/>,
/// <see cref="RotationAccess"/>, <see cref="Audit.CloudTrailAccess"/>), found by the call's signing name, turns it
/// into access checks (action, resource ARN, condition keys, resource policy), and the <see cref="AccessEvaluator"/>
/// decides them. A service without a registration is checked as SERVICE:Operation on "*". The admin may do everything
/// but what a role's trust policy refuses; every other principal only what a policy allows. The host maps a denial to
/// its protocol's error. Thread-safe.
/// </summary>
public sealed class CallAuthorization
{
    private static readonly IamAccess.Parameters NoParameters = new(_ => null, [], []);

    /// <summary>The one registration of each service, by signing name (built once; a duplicate name fails here).</summary>
    private readonly Dictionary<string, IServiceAccess> _services;

    public CallAuthorization(IamService iam, IStoreReader store, KeyRing keys, ServerIdentity identity, TimeProvider time, AccessChecks checks)
    {
        Evaluator = new AccessEvaluator(iam, identity, time);
        var iamAccess = new IamAccess(iam, identity);
        IServiceAccess[] services =
        [
            new SecretAccess(checks, identity),
            new KeyAccess(store, keys, checks, identity),
            new ParameterAccess(store, identity),
            new IamServiceAccess(iamAccess),
            new StsAccess(iamAccess, new AssumeRoleAccess(iam)),
            new RotationAccess(checks, identity),
            new CloudTrailAccess(),
        ];
        _services = services.ToDictionary(s => s.SigningName, StringComparer.Ordinal);
    }

    /// <summary>What decides the checks (also what a running call's <see cref="ICallerAccess"/> asks).</summary>
    public AccessEvaluator Evaluator { get; }

    /// <summary>The signing names of the services with a registration (the host checks its protocol APIs against these).</summary>
    public IReadOnlyCollection<string> Services => _services.Keys;

    /// <summary>The registration of <paramref name="service"/>; for an unregistered one, SERVICE:Operation on "*".</summary>
    public IServiceAccess For(string service) => _services.TryGetValue(service, out var access) ? access : new ActionOnlyAccess(service);

    /// <summary>
    /// The decision on <paramref name="service"/>:<paramref name="operation"/> for <paramref name="caller"/>.
    /// </summary>
    /// <param name="input">A JSON-protocol call's input (<see cref="IAccessInput.Empty"/> for the Query protocols).</param>
    /// <param name="query">A Query-protocol (IAM, STS) call's parameters; null for the JSON protocols.</param>
    public async Task<CallAccess> DecideAsync(AccessCaller caller, string service, string operation, IAccessInput input, IamAccess.Parameters? query, AccessRequestContext request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(input);
        var access = For(service);
        // The secret a call names (Secrets Manager) is resolved at most once, by whichever needs it first: the checks
        // below, or (for the admin, who has none) the operation.
        var secret = access.ResolutionFor(caller.Region, operation, input);

        // Some operations need no permission at all (STS's GetCallerIdentity, as in AWS).
        if (access.NeedsNoPermission(operation))
        {
            return new CallAccess(null, secret);
        }

        // The admin is bound by nothing but a role's trust policy (and KMS's lockout check, which passes its own): its
        // other calls build no checks at all.
        if (Evaluator.IsAdmin(caller) && !access.BindsAdmin(operation))
        {
            return new CallAccess(null, secret);
        }

        var checks = await access.ChecksAsync(new ServiceCall(caller, operation, input, query ?? NoParameters, secret), ct);
        return new CallAccess(await Evaluator.DecideAsync(caller, checks, request, ct), secret);
    }
}
