namespace Strongroom.Core.Identity;

/// <summary>An AssumeRoleWithWebIdentity call's input, as parsed by the protocol layer. The token is a secret: it is never logged or audited.</summary>
public sealed record WebIdentityRequest(
    string RoleArn,
    string RoleSessionName,
    string WebIdentityToken,
    int? DurationSeconds,
    string? Policy,
    string? ProviderId,
    bool HasPolicyArns);
