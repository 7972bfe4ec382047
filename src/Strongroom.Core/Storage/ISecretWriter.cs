using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>Writes of the secrets aggregate inside a unit of work (with its reads).</summary>
public interface ISecretWriter : ISecretReader
{
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
}
