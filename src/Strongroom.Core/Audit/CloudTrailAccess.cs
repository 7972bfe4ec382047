using Strongroom.Core.Policies;

namespace Strongroom.Core.Audit;

/// <summary>
/// CloudTrail's registration with <see cref="CallAuthorization"/>: LookupEvents over the audit trail has no
/// resource-level permissions in AWS, so a call is cloudtrail:Operation on "*". Thread-safe.
/// </summary>
public sealed class CloudTrailAccess : IServiceAccess
{
    /// <inheritdoc/>
    public string SigningName => "cloudtrail";

    /// <inheritdoc/>
    public Task<IReadOnlyList<AccessCheck>> ChecksAsync(ServiceCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Task.FromResult(ActionOnlyAccess.Check(SigningName, call.Operation));
    }
}
