using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>Reads of the secrets aggregate: secrets, their versions and stages.</summary>
public interface ISecretReader
{
    Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken);

    Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken);

    /// <summary>Secrets whose ARN is <paramref name="partialArn"/> followed by '-' and six characters.</summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken);

    Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken);

    Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken);

    /// <summary>All versions of a secret, oldest first, with their stages and envelopes.</summary>
    Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken);
}
