using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// Format 1 of an encrypted secret value, as stored in the database. Frozen by golden tests.
/// <code>
/// offset size field
/// 0      3    magic "SRV"
/// 3      1    format version = 0x01
/// 4      1    value kind (1 = SecretString as UTF-8, 2 = SecretBinary)
/// 5      2    length w of the wrapped data key (uint16, big-endian)
/// 7      w    wrapped data key: a <see cref="KmsCiphertextBlob"/> of the 32-byte data key
/// 7+w    12   nonce
/// 19+w   16   GCM tag
/// 35+w   n    ciphertext of the value under the data key
/// </code>
/// AAD for the value = bytes 0..5 (magic, version, kind) followed by the canonical encryption context,
/// the same context the data key is wrapped under.
/// </summary>
public static class SecretEnvelope
{
    public const byte FormatVersion = 1;
    private const int PrefixSize = 7;
    private static ReadOnlySpan<byte> Magic => "SRV"u8;

    public static byte[] Seal(byte kind, ReadOnlySpan<byte> wrappedDataKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> canonicalContext)
    {
        if (wrappedDataKey.Length > ushort.MaxValue)
        {
            throw new ArgumentException("Wrapped data key too long.", nameof(wrappedDataKey));
        }

        var envelope = new byte[PrefixSize + wrappedDataKey.Length + AesGcmSeal.Overhead + plaintext.Length];
        Magic.CopyTo(envelope);
        envelope[3] = FormatVersion;
        envelope[4] = kind;
        BinaryPrimitives.WriteUInt16BigEndian(envelope.AsSpan(5, 2), (ushort)wrappedDataKey.Length);
        wrappedDataKey.CopyTo(envelope.AsSpan(PrefixSize));
        var aad = BuildAad(envelope.AsSpan(0, 5), canonicalContext);
        AesGcmSeal.Seal(dataKey, plaintext, aad, envelope.AsSpan(PrefixSize + wrappedDataKey.Length));
        return envelope;
    }

    /// <summary>Splits a stored envelope into its kind and wrapped data key without decrypting anything.</summary>
    public static (byte Kind, ReadOnlyMemory<byte> WrappedDataKey) ReadHeader(ReadOnlyMemory<byte> envelope)
    {
        var span = envelope.Span;
        if (span.Length < PrefixSize || !span[..3].SequenceEqual(Magic) || span[3] != FormatVersion)
        {
            throw new CryptoFailureException();
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(span.Slice(5, 2));
        if (span.Length < PrefixSize + length + AesGcmSeal.Overhead)
        {
            throw new CryptoFailureException();
        }

        return (span[4], envelope.Slice(PrefixSize, length));
    }

    /// <summary>Decrypts the value with an already unwrapped data key.</summary>
    public static byte[] Open(ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> canonicalContext)
    {
        if (envelope.Length < PrefixSize)
        {
            throw new CryptoFailureException();
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(envelope.Slice(5, 2));
        if (envelope.Length < PrefixSize + length + AesGcmSeal.Overhead)
        {
            throw new CryptoFailureException();
        }

        var aad = BuildAad(envelope[..5], canonicalContext);
        return AesGcmSeal.Open(dataKey, envelope[(PrefixSize + length)..], aad);
    }

    /// <summary>A fresh random 256-bit data key. The caller zeroes it after use.</summary>
    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);

    private static byte[] BuildAad(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> canonicalContext)
    {
        var aad = new byte[prefix.Length + canonicalContext.Length];
        prefix.CopyTo(aad);
        canonicalContext.CopyTo(aad.AsSpan(prefix.Length));
        return aad;
    }
}
