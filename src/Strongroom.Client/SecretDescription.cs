namespace Strongroom.Client;

/// <summary>DescribeSecret's answer (the members a client needs). VersionIdsToStages maps each version id to its staging labels.</summary>
public sealed record SecretDescription(
    string Arn,
    string Name,
    string? Description,
    string? KmsKeyId,
    bool RotationEnabled,
    string? RotationLambdaArn,
    IReadOnlyDictionary<string, IReadOnlyList<string>> VersionIdsToStages,
    DateTimeOffset? LastRotatedDate,
    DateTimeOffset? NextRotationDate,
    DateTimeOffset? DeletedDate);
