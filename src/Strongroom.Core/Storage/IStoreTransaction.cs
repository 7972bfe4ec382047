using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>
/// One serialisable write transaction. Every change made through it commits together when the work
/// passed to <see cref="IStore.WriteAsync{T}"/> returns, or not at all when it throws.
/// </summary>
public interface IStoreTransaction : IStoreReader
{
    Task SetSettingAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>Inserts the secret and sets its <see cref="SecretRecord.Id"/>.</summary>
    Task InsertSecretAsync(SecretRecord secret, CancellationToken cancellationToken);

    Task UpdateSecretAsync(SecretRecord secret, CancellationToken cancellationToken);

    /// <summary>Deletes the secret, its versions and its stages.</summary>
    Task DeleteSecretAsync(long secretId, CancellationToken cancellationToken);

    Task InsertVersionAsync(long secretId, SecretVersionRecord version, CancellationToken cancellationToken);

    Task UpdateVersionValueAsync(long secretId, string versionId, byte[] envelope, string kmsKeyArn, CancellationToken cancellationToken);

    Task DeleteVersionAsync(long secretId, string versionId, CancellationToken cancellationToken);

    /// <summary>Replaces every stage of the secret. A stage names at most one version (the store enforces it).</summary>
    Task ReplaceStagesAsync(long secretId, IEnumerable<KeyValuePair<string, string>> stageToVersion, CancellationToken cancellationToken);

    Task InsertKmsKeyAsync(KmsKeyRecord key, byte[] wrappedMaterial, CancellationToken cancellationToken);

    Task InsertKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken);

    Task UpdateKmsKeyAsync(KmsKeyRecord key, CancellationToken cancellationToken);

    Task InsertKmsKeyVersionAsync(Guid keyId, KmsKeyVersion version, byte[] wrappedMaterial, CancellationToken cancellationToken);

    /// <summary>Points an existing alias at another key.</summary>
    Task UpdateKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken);

    Task DeleteKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken);

    /// <summary>Deletes a key with all its material and aliases.</summary>
    Task DeleteKmsKeyAsync(Guid keyId, CancellationToken cancellationToken);

    Task UpsertAccessKeyAsync(AccessKeyRecord accessKey, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the row (its JSON and its integrity tag). Write through <see cref="IamRecords"/>, which computes the tag.</summary>
    Task PutIamEntityAsync(IamEntityRow row, CancellationToken cancellationToken);

    Task DeleteIamEntityAsync(string kind, string name, CancellationToken cancellationToken);

    Task DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>Writes the parameter row (latest version, labels, tags).</summary>
    Task UpsertParameterAsync(Parameters.ParameterRecord parameter, CancellationToken cancellationToken);

    Task InsertParameterVersionAsync(string region, string key, Parameters.ParameterVersionRecord version, CancellationToken cancellationToken);

    Task DeleteParameterVersionAsync(string region, string key, long version, CancellationToken cancellationToken);

    /// <summary>Deletes a parameter with every version, label and tag.</summary>
    Task DeleteParameterAsync(string region, string key, CancellationToken cancellationToken);

    /// <summary>Every access key (users' and sessions'), by id: for root-key rotation and the upgrade at start.</summary>
    Task<IReadOnlyList<AccessKeyRecord>> ListAllAccessKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every value wrapped by the root key under a binding the store can name (KMS key material, named values), for
    /// root-key rotation. Access-key secrets are not among them: their binding names their principal, so rotation
    /// re-wraps them from <see cref="ListAllAccessKeysAsync"/>.
    /// </summary>
    Task<IReadOnlyList<RootWrappedValue>> ListRootWrappedAsync(CancellationToken cancellationToken);

    Task ReplaceRootWrappedAsync(RootWrappedValue value, byte[] wrapped, CancellationToken cancellationToken);

    /// <summary>A named value wrapped by the root key (binding "named:&lt;name&gt;"), e.g. the audit signing key.</summary>
    Task<byte[]?> GetRootWrappedAsync(string name, CancellationToken cancellationToken);

    Task PutRootWrappedAsync(string name, byte[] wrapped, CancellationToken cancellationToken);

    /// <summary>Adds an event to the outbox (one row per event and endpoint); the pair is unique.</summary>
    Task InsertOutboxEntryAsync(Events.OutboxEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="IStore.InsertRotationRunAsync"/> inside this transaction, so the run's event (ADR 0028) commits with
    /// it: records the run and sets its RunId unless a run of the same secret is still Running (then returns false).
    /// </summary>
    Task<bool> InsertRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);

    /// <summary><see cref="IStore.UpdateRotationRunAsync"/> inside this transaction.</summary>
    Task UpdateRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);
}
