namespace Strongroom.Core.Storage;

/// <summary>
/// The store cannot answer now (its database is unreachable, restarting or timed out); the operation may be
/// retried later. Thrown by store implementations in place of their driver's transient errors, so nothing above
/// the storage port knows the driver. The message never holds a connection string, password or stored value.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
        : this("The store is unavailable.")
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
