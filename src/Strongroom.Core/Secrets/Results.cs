namespace Strongroom.Core.Secrets;

/// <summary>A secret with its label map (version id → labels; only versions that carry a label).</summary>
public sealed record SecretView(SecretRecord Secret, IReadOnlyDictionary<string, List<string>> VersionStages);

public sealed record WriteResult(SecretRecord Secret, string? VersionId, IReadOnlyList<string>? VersionStages);

/// <summary>A decrypted value. Dispose to zero binary bytes.</summary>
public sealed record SecretValueResult(SecretRecord Secret, SecretVersionRecord Version, SecretValue Value) : IDisposable
{
    public void Dispose() => Value.Dispose();
}

public sealed record ListSecretsResult(IReadOnlyList<SecretView> Secrets, string? NextToken);

public sealed record VersionListResult(SecretRecord Secret, IReadOnlyList<SecretVersionRecord> Versions, string? NextToken);

public sealed record BatchError(string SecretId, string ErrorCode, string Message);

public sealed record BatchGetResult(IReadOnlyList<SecretValueResult> Values, IReadOnlyList<BatchError> Errors, string? NextToken);

public sealed record DeleteResult(string Arn, string Name, DateTimeOffset DeletionDate);

public sealed record PolicyValidationResult(bool Passed, IReadOnlyList<(string CheckName, string ErrorMessage)> Errors);
