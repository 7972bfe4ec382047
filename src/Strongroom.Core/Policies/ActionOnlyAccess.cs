namespace Strongroom.Core.Policies;

/// <summary>
/// A service whose actions have no resource-level permissions: SERVICE:Operation on "*", without condition keys
/// (CloudTrail's LookupEvents, <see cref="Audit.CloudTrailAccess"/>). <see cref="CallAuthorization"/> decides a service it has no registration for
/// the same way. Thread-safe.
/// </summary>
public sealed class ActionOnlyAccess : IServiceAccess
{
    public ActionOnlyAccess(string signingName) => SigningName = signingName;

    public string SigningName { get; }

    public Task<IReadOnlyList<AccessCheck>> ChecksAsync(ServiceCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Task.FromResult(Check(SigningName, call.Operation));
    }

    /// <summary>The one check: <paramref name="service"/>:<paramref name="operation"/> on "*".</summary>
    public static IReadOnlyList<AccessCheck> Check(string service, string operation) =>
        [new AccessCheck(service + ":" + operation, "*", null, false, new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase))];
}
