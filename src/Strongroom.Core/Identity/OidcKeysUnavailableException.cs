namespace Strongroom.Core.Identity;

/// <summary>An issuer's signing keys could not be fetched or read. The message names the URL or file, never key material.</summary>
public sealed class OidcKeysUnavailableException : Exception
{
    public OidcKeysUnavailableException()
    {
    }

    public OidcKeysUnavailableException(string message)
        : base(message)
    {
    }

    public OidcKeysUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
