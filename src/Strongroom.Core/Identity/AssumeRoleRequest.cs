namespace Strongroom.Core.Identity;

/// <summary>An AssumeRole call's input, as parsed by the protocol layer; limits are checked by <see cref="IamService"/>.</summary>
public sealed record AssumeRoleRequest(
    string RoleArn,
    string RoleSessionName,
    int? DurationSeconds,
    string? Policy,
    IReadOnlyList<IamTag>? Tags,
    IReadOnlyList<string>? TransitiveTagKeys);
