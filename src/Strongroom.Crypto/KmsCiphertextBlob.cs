using System.Buffers.Binary;

namespace Strongroom.Crypto;

/// <summary>
/// Format 1 of a KMS ciphertext blob (what Encrypt and GenerateDataKey return, and what a secret
/// version stores as its wrapped data key). Frozen by golden tests; a change is a new format byte.
/// <code>
/// offset size field
/// 0      3    magic "SRK"
/// 3      1    format version = 0x01
/// 4      16   KMS key id (GUID, RFC 4122 byte order)
/// 20     4    key material version (uint32, big-endian)
/// 24     12   nonce
/// 36     16   GCM tag
/// 52     n    ciphertext
/// </code>
/// AAD = bytes 0..24 (the header) followed by the canonical encryption context.
/// </summary>
public static class KmsCiphertextBlob
{
    public const byte FormatVersion = 1;
    public const int HeaderSize = 24;
    private static ReadOnlySpan<byte> Magic => "SRK"u8;

    public static byte[] Seal(Guid keyId, uint keyVersion, ReadOnlySpan<byte> keyMaterial, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> canonicalContext)
    {
        var blob = new byte[HeaderSize + AesGcmSeal.Overhead + plaintext.Length];
        WriteHeader(blob, keyId, keyVersion);
        var aad = BuildAad(blob.AsSpan(0, HeaderSize), canonicalContext);
        AesGcmSeal.Seal(keyMaterial, plaintext, aad, blob.AsSpan(HeaderSize));
        return blob;
    }

    /// <summary>Reads which key and version made the blob. Throws <see cref="CryptoFailureException"/> on a malformed blob.</summary>
    public static (Guid KeyId, uint KeyVersion) ReadHeader(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderSize + AesGcmSeal.Overhead || !blob[..3].SequenceEqual(Magic) || blob[3] != FormatVersion)
        {
            throw new CryptoFailureException();
        }

        return (new Guid(blob.Slice(4, 16), bigEndian: true), BinaryPrimitives.ReadUInt32BigEndian(blob.Slice(20, 4)));
    }

    public static byte[] Open(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> keyMaterial, ReadOnlySpan<byte> canonicalContext)
    {
        ReadHeader(blob);
        var aad = BuildAad(blob[..HeaderSize], canonicalContext);
        return AesGcmSeal.Open(keyMaterial, blob[HeaderSize..], aad);
    }

    private static void WriteHeader(Span<byte> destination, Guid keyId, uint keyVersion)
    {
        Magic.CopyTo(destination);
        destination[3] = FormatVersion;
        keyId.TryWriteBytes(destination.Slice(4, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(20, 4), keyVersion);
    }

    private static byte[] BuildAad(ReadOnlySpan<byte> header, ReadOnlySpan<byte> canonicalContext)
    {
        var aad = new byte[header.Length + canonicalContext.Length];
        header.CopyTo(aad);
        canonicalContext.CopyTo(aad.AsSpan(header.Length));
        return aad;
    }
}
