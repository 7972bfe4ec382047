namespace Strongroom.Crypto;

/// <summary>
/// The one error every decryption or unwrap failure becomes: a changed byte, a wrong key, a wrong
/// context, a truncated blob. It deliberately carries no detail, so callers cannot learn which.
/// </summary>
public sealed class CryptoFailureException : Exception
{
    public CryptoFailureException()
        : base("The ciphertext could not be decrypted.")
    {
    }

    public CryptoFailureException(string message)
        : base(message)
    {
    }

    public CryptoFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
