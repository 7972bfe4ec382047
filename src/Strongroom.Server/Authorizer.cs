using Strongroom.Core.Identity;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.Iam;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Server;

/// <summary>
/// The HTTP edge of access control: hands the verified caller and the input the edge decoded once to Core's decision
/// (<see cref="CallAuthorization"/>, which builds the checks per service and evaluates them with AWS's logic) and maps a
/// denial to the error its protocol's registration names (<see cref="IJsonService.AccessDenied"/>, <see cref="IamApi.AccessDenied"/>
/// for the Query protocol). Thread-safe.
/// </summary>
public sealed class Authorizer
{
    private readonly CallAuthorization _calls;
    private readonly AccessChecks _checks;

    public Authorizer(CallAuthorization calls, AccessChecks checks)
    {
        _calls = calls;
        _checks = checks;
    }

    private static AccessCaller Of(CallerIdentity caller) => new(caller.Kind, caller.AccessKeyId, caller.PrincipalArn, caller.UserName, caller.Region, caller.PrincipalId);

    /// <summary>
    /// True for the administrator: the caller whose principal id is the one recorded under the root key at
    /// initialisation (<see cref="Core.ServerIdentity.AdminUserId"/>) — never recognised by a name.
    /// </summary>
    public bool IsAdmin(CallerIdentity caller) => caller is not null && _calls.Evaluator.IsAdmin(Of(caller));

    /// <summary>The signing names Core's decision has a registration for (<see cref="CallAuthorization.Services"/>).</summary>
    public IReadOnlyCollection<string> Services => _calls.Services;

    /// <summary>
    /// Throws the protocol's denial (<see cref="IJsonService.AccessDenied"/> of <paramref name="json"/>, or
    /// <see cref="IamApi.AccessDenied"/> for a Query-protocol call) when the call is not allowed; else answers the secret
    /// the decision resolved (a Secrets Manager call naming one secret), which the operation reuses.
    /// </summary>
    /// <param name="json">The awsJson service the call was routed to; null for the Query protocol (IAM, STS).</param>
    /// <param name="input">The JSON protocols' request, as the edge decoded it once (null for the Query protocols).</param>
    /// <param name="query">The Query protocols' request (null for the JSON protocols).</param>
    public async Task<SecretResolution?> AuthorizeAsync(CallerIdentity caller, IJsonService? json, string service, string operation, JsonInput? input, QueryRequest? query, string? sourceIp, bool secure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        // A user's GetSessionToken credentials may not call IAM (AWS: only with MFA, which Strongroom has not).
        if (service == "iam" && caller.Kind == PrincipalKind.UserSession)
        {
            throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        var access = await _calls.DecideAsync(Of(caller), service, operation, input is null ? IAccessInput.Empty : new JsonAccessInput(input.Root), query is null ? null : Parameters(query), new AccessRequestContext(sourceIp, secure), ct);
        if (access.Denial is { } denial)
        {
            throw json is null ? IamApi.AccessDenied(denial.Message) : json.AccessDenied(denial.Message);
        }

        return access.Secret;
    }

    /// <summary>A Query-protocol call's parameters as Core's <see cref="IamAccess"/> reads them.</summary>
    private static IamAccess.Parameters Parameters(QueryRequest query) => new(query.Get, query.Pairs("Tags"), query.List("TagKeys"), query.List);

    /// <summary>
    /// The caller's access for what a call reaches while it runs, answered with this request's context
    /// (<paramref name="sourceIp"/>, <paramref name="secure"/> and every other global key), exactly as the direct
    /// call's checks would be. Unrestricted for the admin.
    /// </summary>
    public ICallerAccess AccessOf(CallerIdentity caller, string? sourceIp, bool secure)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return IsAdmin(caller) ? ICallerAccess.Unrestricted : new CallerAccessGate(this, _checks, caller, sourceIp, secure);
    }

    /// <summary>Null when every check allows; else the denial's text. Used by <see cref="CallerAccessGate"/>.</summary>
    internal async Task<string?> DeniedAsync(CallerIdentity caller, IEnumerable<AccessCheck> checks, string? sourceIp, bool secure, CancellationToken ct) =>
        (await _calls.Evaluator.DecideAsync(Of(caller), checks, new AccessRequestContext(sourceIp, secure), ct))?.Message;

    /// <summary>KMS's policy lockout safety check (<see cref="AccessEvaluator.CanChangeKeyPolicyAsync"/>) with this request's context.</summary>
    public Task<bool> CanChangeKeyPolicyAsync(CallerIdentity caller, string keyArn, string policy, string? sourceIp, bool secure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return _calls.Evaluator.CanChangeKeyPolicyAsync(Of(caller), keyArn, policy, new AccessRequestContext(sourceIp, secure), ct);
    }
}
