using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>Reads shared by the store and its write transactions. Records returned are fresh copies.</summary>
public interface IStoreReader
{
    Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken);

    Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken);

    Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken);

    /// <summary>Secrets whose ARN is <paramref name="partialArn"/> followed by '-' and six characters.</summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken);

    Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken);

    Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken);

    /// <summary>All versions of a secret, oldest first, with their stages and envelopes.</summary>
    Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken);

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

    Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>An IAM entity row (user, group, role, policy …) as stored, unverified, or null. Read through <see cref="IamRecords"/>.</summary>
    Task<IamEntityRow?> FindIamEntityAsync(string kind, string name, CancellationToken cancellationToken);

    /// <summary>IAM entity rows of a kind by name, or of every kind (null) by kind and name; unverified.</summary>
    Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(string? kind, CancellationToken cancellationToken);

    /// <summary>Access keys of one user.</summary>
    Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken);

    Task<Parameters.ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken);

    /// <summary>Parameters of a region whose key starts with <paramref name="keyPrefix"/>, in key order, after <paramref name="afterKey"/>.</summary>
    Task<IReadOnlyList<Parameters.ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken);

    /// <summary>Every retained version of a parameter, oldest first.</summary>
    Task<IReadOnlyList<Parameters.ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken);
}
