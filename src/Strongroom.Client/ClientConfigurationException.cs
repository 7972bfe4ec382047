namespace Strongroom.Client;

/// <summary>Credentials, region or endpoint could not be determined (a usage error, not a service error).</summary>
public sealed class ClientConfigurationException : Exception
{
    public ClientConfigurationException()
    {
    }

    public ClientConfigurationException(string message)
        : base(message)
    {
    }

    public ClientConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
