using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>Queries over many secrets, outside any transaction: listings, due dates, last-access days.</summary>
public interface ISecretQueries
{
    Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken);

    /// <summary>Stage maps (version id → stages) of many secrets at once, for listings.</summary>
    Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken);

    /// <summary>Sets LastAccessedDate of a secret and one version to <paramref name="day"/>. Outside any transaction; idempotent.</summary>
    Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken);

    /// <summary>
    /// Secrets (not replicas, not deleted) with rotation on whose NextRotationDate (the end of the next
    /// rotation window) is at or before <paramref name="windowEndsBy"/>, earliest first.
    /// </summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsDueForRotationAsync(DateTimeOffset windowEndsBy, int limit, CancellationToken cancellationToken);

    /// <summary>Secrets whose scheduled deletion date is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
