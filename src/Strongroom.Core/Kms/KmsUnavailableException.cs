namespace Strongroom.Core.Kms;

/// <summary>Why a key could not be used.</summary>
public enum KmsFailure
{
    NotFound,
    Disabled,
    PendingDeletion,
    InvalidCiphertext,
}

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

    public KmsUnavailableException(KmsFailure failure, string? keyArn, Exception? innerException = null)
        : base(failure.ToString(), innerException)
    {
        Failure = failure;
        KeyArn = keyArn;
    }

    public KmsFailure Failure { get; }

    public string? KeyArn { get; }
}
