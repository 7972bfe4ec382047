using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// AES-256-GCM with a random 96-bit nonce and a 128-bit tag. Output layout: nonce (12) | tag (16) | ciphertext.
/// Thread-safe: no state is kept between calls.
/// </summary>
public static class AesGcmSeal
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="destination"/>, which must be plaintext.Length + <see cref="Overhead"/> long.</summary>
    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, Span<byte> destination)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException("AES-256 needs a 32-byte key.", nameof(key));
        }

        if (destination.Length != plaintext.Length + Overhead)
        {
            throw new ArgumentException("Destination has the wrong length.", nameof(destination));
        }

        var nonce = destination[..NonceSize];
        var tag = destination.Slice(NonceSize, TagSize);
        var ciphertext = destination[Overhead..];
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, aad);
    }

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var output = new byte[plaintext.Length + Overhead];
        Seal(key, plaintext, aad, output);
        return output;
    }

    /// <summary>Decrypts a nonce|tag|ciphertext span into <paramref name="destination"/> (sealed.Length - Overhead bytes).</summary>
    /// <exception cref="CryptoFailureException">on any authentication failure or malformed input.</exception>
    public static void Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> aad, Span<byte> destination)
    {
        if (key.Length != KeySize || sealedData.Length < Overhead || destination.Length != sealedData.Length - Overhead)
        {
            throw new CryptoFailureException();
        }

        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedData[..NonceSize], sealedData[Overhead..], sealedData.Slice(NonceSize, TagSize), destination, aad);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(destination);
            throw new CryptoFailureException();
        }
    }

    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> aad)
    {
        if (sealedData.Length < Overhead)
        {
            throw new CryptoFailureException();
        }

        var output = new byte[sealedData.Length - Overhead];
        Open(key, sealedData, aad, output);
        return output;
    }
}
