using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// The 256-bit root of the key hierarchy. Held in memory only, in an array pinned at allocation (the GC never copies
/// it elsewhere) and zeroed on dispose.
/// </summary>
public sealed class RootKey : IDisposable
{
    private readonly byte[] _bytes;

    public RootKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != AesGcmSeal.KeySize)
        {
            throw new ArgumentException("A root key is 32 bytes.", nameof(bytes));
        }

        _bytes = GC.AllocateArray<byte>(AesGcmSeal.KeySize, pinned: true);
        bytes.CopyTo(_bytes);
    }

    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A short, non-secret fingerprint (first 8 bytes of SHA-256 over a label and the key), for logs.</summary>
    public string Fingerprint()
    {
        Span<byte> input = stackalloc byte[AesGcmSeal.KeySize + 16];
        "strongroom-root\0"u8.CopyTo(input);
        _bytes.CopyTo(input[16..]);
        var hash = SHA256.HashData(input);
        CryptographicOperations.ZeroMemory(input);
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    public static RootKey Generate()
    {
        var bytes = RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);
        try
        {
            return new RootKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);

    /// <summary>Gives the key bytes to <paramref name="use"/> without letting them escape.</summary>
    public T Use<T>(Func<byte[], T> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        return use(_bytes);
    }
}
