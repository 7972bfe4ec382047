namespace Strongroom.Crypto;

/// <summary>The root key could not be obtained. The message says why and where, and never holds key bytes.</summary>
public sealed class RootKeyUnavailableException : Exception
{
    public RootKeyUnavailableException()
    {
    }

    public RootKeyUnavailableException(string message)
        : base(message)
    {
    }

    public RootKeyUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
