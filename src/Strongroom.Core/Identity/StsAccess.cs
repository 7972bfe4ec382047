using Strongroom.Core.Policies;

namespace Strongroom.Core.Identity;

/// <summary>
/// STS's registration with <see cref="CallAuthorization"/>: GetCallerIdentity and GetSessionToken need no permission,
/// as in AWS, and AssumeRoleWithWebIdentity / AssumeRoleWithSAML are decided by the role's trust policy alone
/// (<see cref="WebIdentityFederation"/>), whoever signed the request; AssumeRole is decided by
/// <see cref="AssumeRoleAccess"/> (the trust policy binds the admin too); anything else as <see cref="IamAccess"/>
/// builds it. Thread-safe.
/// </summary>
public sealed class StsAccess : IServiceAccess
{
    private const string AssumeRole = "AssumeRole";
    private readonly IamAccess _iam;
    private readonly AssumeRoleAccess _assumeRole;

    public StsAccess(IamAccess iam, AssumeRoleAccess assumeRole)
    {
        _iam = iam;
        _assumeRole = assumeRole;
    }

    /// <inheritdoc/>
    public string SigningName => "sts";

    /// <inheritdoc/>
    public bool NeedsNoPermission(string operation) => operation is "GetCallerIdentity" or "GetSessionToken" or "AssumeRoleWithWebIdentity" or "AssumeRoleWithSAML";

    /// <inheritdoc/>
    public bool BindsAdmin(string operation) => operation == AssumeRole;

    /// <inheritdoc/>
    public Task<IReadOnlyList<AccessCheck>> ChecksAsync(ServiceCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return call.Operation == AssumeRole && call.Query.Get("RoleArn") is { } roleArn
            ? _assumeRole.ChecksAsync(roleArn, call.Query, ct)
            : IamServiceAccess.RequestChecksAsync(_iam, SigningName, call, ct);
    }
}
