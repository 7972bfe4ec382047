namespace Strongroom.Core.Storage;

/// <summary>
/// The storage port, composed of one port per aggregate (secrets, KMS keys, parameters, IAM, audit, rotation runs,
/// outbox, settings) on one unit of work (<see cref="IUnitOfWork"/>). Implementations are thread-safe. Nothing above
/// this interface knows which database runs; one conformance suite is run against every implementation.
/// </summary>
public interface IStore : IStoreReader, IUnitOfWork, IStoreMaintenance, ISecretQueries, IAuditStore, IRotationRunStore, IOutboxStore,
    IAsyncDisposable;
