namespace Strongroom.Core.Secrets;

/// <summary>
/// A plaintext secret value in memory. Exactly one of the two forms. The bytes are zeroed by
/// <see cref="Dispose"/>; strings cannot be zeroed, so they are kept only as long as the request.
/// </summary>
public sealed class SecretValue : IDisposable
{
    private SecretValue(string? text, byte[]? binary)
    {
        Text = text;
        Binary = binary;
    }

    public string? Text { get; }

    public byte[]? Binary { get; }

    public bool IsBinary => Binary is not null;

    public static SecretValue FromString(string text) => new(text, null);

    public static SecretValue FromBinary(byte[] bytes) => new(null, bytes);

    public void Dispose()
    {
        if (Binary is not null)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(Binary);
        }
    }
}
