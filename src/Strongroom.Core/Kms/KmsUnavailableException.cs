namespace Strongroom.Core.Kms;

/// <summary>A key cannot be used: not found, disabled, pending deletion, or the blob does not decrypt.</summary>
public sealed class KmsUnavailableException : Exception
{
    public KmsUnavailableException()
    {
    }

    public KmsUnavailableException(string message)
        : base(message)
    {
    }

    public KmsUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
