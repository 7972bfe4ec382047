namespace Strongroom.Server;

/// <summary>
/// The root key is not available yet, and the server should start sealed rather than exit: a Shamir data directory
/// waiting for its shares, or a KMS that is unreachable or refuses. The message says why; it never holds key material.
/// </summary>
public sealed class RootKeySealedException : Exception
{
    public RootKeySealedException()
    {
    }

    public RootKeySealedException(string message)
        : base(message)
    {
    }

    public RootKeySealedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the server should try again by itself (KMS); false when operators must unseal (Shamir).</summary>
    public bool Retries { get; init; }
}
