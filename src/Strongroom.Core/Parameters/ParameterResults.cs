namespace Strongroom.Core.Parameters;

/// <summary>A parameter value as answered. <see cref="Value"/> is the plaintext, or the base64 ciphertext of an undecrypted SecureString.</summary>
public sealed record ParameterValue(
    string Name,
    string Type,
    string Value,
    long Version,
    string? Selector,
    string? SourceResult,
    DateTimeOffset LastModifiedDate,
    string Arn,
    string DataType);

public sealed record ParameterFilter(string Key, string? Option, IReadOnlyList<string> Values);

public sealed record PutParameterRequest(
    string Name,
    string? Description,
    string Value,
    string? Type,
    string? KeyId,
    bool Overwrite,
    string? AllowedPattern,
    IReadOnlyList<KeyValuePair<string, string>>? Tags,
    string? Tier,
    string? Policies,
    string? DataType);

public sealed record ParameterPage<T>(IReadOnlyList<T> Items, string? NextToken);

public sealed record ParameterHistoryEntry(ParameterRecord Parameter, ParameterVersionRecord Version, string Value, IReadOnlyList<string> Labels);
