using Strongroom.Core.Kms;

namespace Strongroom.Core.Storage;

/// <summary>Writes of the KMS keys aggregate inside a unit of work (with its reads).</summary>
public interface IKmsKeyWriter : IKmsKeyReader
{
    Task InsertKmsKeyAsync(KmsKeyRecord key, byte[] wrappedMaterial, CancellationToken cancellationToken);

    Task InsertKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken);

    Task UpdateKmsKeyAsync(KmsKeyRecord key, CancellationToken cancellationToken);

    Task InsertKmsKeyVersionAsync(Guid keyId, KmsKeyVersion version, byte[] wrappedMaterial, CancellationToken cancellationToken);

    /// <summary>Points an existing alias at another key.</summary>
    Task UpdateKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken);

    Task DeleteKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken);

    /// <summary>Deletes a key with all its material and aliases.</summary>
    Task DeleteKmsKeyAsync(Guid keyId, CancellationToken cancellationToken);
}
