namespace Strongroom.Core.Storage;

/// <summary>The unit of work: one serialisable write transaction over every aggregate.</summary>
public interface IUnitOfWork
{
    /// <summary>Runs <paramref name="work"/> in one write transaction; writers are serialised.</summary>
    Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken cancellationToken);
}
