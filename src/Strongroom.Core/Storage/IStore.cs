using Strongroom.Core.Secrets;

namespace Strongroom.Core.Storage;

/// <summary>
/// The storage port. Implementations are thread-safe. Nothing above this interface knows which
/// database runs; one conformance suite is run against every implementation.
/// </summary>
public interface IStore : IStoreReader, IAsyncDisposable
{
    /// <summary>Creates or migrates the schema (forward only).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one write transaction; writers are serialised.</summary>
    Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken);

    Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken);

    /// <summary>Stage maps (version id → stages) of many secrets at once, for listings.</summary>
    Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken);

    /// <summary>Sets LastAccessedDate of a secret and one version to <paramref name="day"/>. Outside any transaction; idempotent.</summary>
    Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken);

    /// <summary>Secrets whose scheduled deletion date is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
