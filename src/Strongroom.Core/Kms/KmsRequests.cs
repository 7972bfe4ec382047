namespace Strongroom.Core.Kms;

public sealed record CreateKeyRequest(
    string? Policy,
    string? Description,
    string? KeyUsage,
    string? KeySpec,
    string? CustomerMasterKeySpec,
    string? Origin,
    string? CustomKeyStoreId,
    string? XksKeyId,
    bool BypassPolicyLockoutSafetyCheck,
    IReadOnlyList<KeyValuePair<string, string>>? Tags,
    bool MultiRegion);

/// <summary>A page of a KMS listing: the entries and, when truncated, the marker for the next page.</summary>
public sealed record KmsPage<T>(IReadOnlyList<T> Items, string? NextMarker)
{
    public bool Truncated => NextMarker is not null;
}

public sealed record KmsRotationEntry(Guid KeyId, string KeyMaterialId, string KeyMaterialState, DateTimeOffset? RotationDate, string? RotationType);

public sealed record KmsCryptoResult(KmsKeyRecord Key, uint Version, byte[]? Plaintext, byte[]? CiphertextBlob);
