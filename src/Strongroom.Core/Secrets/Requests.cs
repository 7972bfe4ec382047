namespace Strongroom.Core.Secrets;

// Inputs of the Secrets Manager use cases, already type-checked by the protocol layer. Length, range and
// cross-member rules are checked by the use cases so every caller gets them.

/// <summary>A replica region as requested; <see cref="Region"/> is null when the member was left out (AWS: "Invalid replica region.").</summary>
public sealed record ReplicaRegion(string? Region, string? KmsKeyId);

public sealed record CreateSecretRequest(
    string Name,
    string? ClientRequestToken,
    string? Description,
    string? KmsKeyId,
    byte[]? SecretBinary,
    string? SecretString,
    IReadOnlyList<SecretTag>? Tags,
    IReadOnlyList<ReplicaRegion>? AddReplicaRegions,
    bool ForceOverwriteReplicaSecret,
    string? Type);

public sealed record PutSecretValueRequest(
    string SecretId,
    string? ClientRequestToken,
    byte[]? SecretBinary,
    string? SecretString,
    IReadOnlyList<string>? VersionStages);

public sealed record UpdateSecretRequest(
    string SecretId,
    string? ClientRequestToken,
    string? Description,
    string? KmsKeyId,
    byte[]? SecretBinary,
    string? SecretString,
    string? Type);

public sealed record ListFilter(string Key, IReadOnlyList<string> Values);

public sealed record ListSecretsRequest(
    bool IncludePlannedDeletion,
    int? MaxResults,
    string? NextToken,
    IReadOnlyList<ListFilter>? Filters,
    string? SortOrder,
    string? SortBy);

public sealed record RandomPasswordRequest(
    long? PasswordLength,
    string? ExcludeCharacters,
    bool ExcludeNumbers,
    bool ExcludePunctuation,
    bool ExcludeUppercase,
    bool ExcludeLowercase,
    bool IncludeSpace,
    bool? RequireEachIncludedType);

public sealed record RotateSecretRequest(
    string SecretId,
    string? ClientRequestToken,
    string? RotationLambdaArn,
    RotationRules? RotationRules,
    bool? RotateImmediately);
