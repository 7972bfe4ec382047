using Strongroom.Core.Policies;

namespace Strongroom.Core.Identity;

/// <summary>
/// IAM's registration with <see cref="CallAuthorization"/>: an IAM call's checks are the requests <see cref="IamAccess"/>
/// builds for it (the entity's ARN with its path, the action's condition keys, changes to the administrator forbidden).
/// Thread-safe.
/// </summary>
public sealed class IamServiceAccess : IServiceAccess
{
    private readonly IamAccess _iam;

    public IamServiceAccess(IamAccess iam) => _iam = iam;

    /// <inheritdoc/>
    public string SigningName => "iam";

    /// <inheritdoc/>
    public Task<IReadOnlyList<AccessCheck>> ChecksAsync(ServiceCall call, CancellationToken ct) => RequestChecksAsync(_iam, SigningName, call, ct);

    /// <summary>The checks of <see cref="IamAccess.RequestsAsync"/> for a call of <paramref name="service"/> (IAM, or STS but AssumeRole).</summary>
    internal static async Task<IReadOnlyList<AccessCheck>> RequestChecksAsync(IamAccess iam, string service, ServiceCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        var caller = call.Caller;
        var requests = await iam.RequestsAsync(service, call.Operation, call.Query, new IamAccess.Caller(caller.PrincipalArn, caller.UserName, caller.IsRoleSession), ct);
        return requests.Select(r => new AccessCheck(r.Action, r.Resource, null, false, r.Keys, Forbidden: r.Forbidden)).ToList();
    }
}
