using Strongroom.Core.Kms;

namespace Strongroom.Core.Storage;

/// <summary>Reads of the KMS keys aggregate: keys, their material generations and aliases.</summary>
public interface IKmsKeyReader
{
    Task<KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken);

    Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken);

    Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken);

    /// <summary>Keys of a region ordered by key id, after <paramref name="afterKeyId"/>.</summary>
    Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken);

    /// <summary>Aliases of a region (optionally of one key) ordered by name, after <paramref name="afterAlias"/>.</summary>
    Task<IReadOnlyList<KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken);

    /// <summary>Material generations of a key, oldest first.</summary>
    Task<IReadOnlyList<KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken);

    /// <summary>Keys whose deletion date or automatic rotation date is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
