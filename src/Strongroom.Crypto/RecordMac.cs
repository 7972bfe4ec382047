using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// Format 1 of a stored row's integrity tag: HMAC-SHA256 under a key derived from the root key, so that someone who
/// can write the database but does not hold the root key cannot make an edited row pass. Frozen by golden tests.
/// <code>
/// offset size field
/// 0      1    format version = 0x01
/// 1      32   HMAC-SHA256(K, content)
/// </code>
/// K = HKDF-SHA256(IKM = root key, salt = empty, info = "strongroom/record-mac/v1", L = 32): never the root key
/// itself, and distinct from every other use of it. The caller encodes the content (which row, which fields); the
/// key is derived per call and zeroed at once. Thread-safe: no state is kept.
/// </summary>
public static class RecordMac
{
    public const byte FormatVersion = 1;
    public const int Size = 1 + 32;
    private static ReadOnlySpan<byte> Info => "strongroom/record-mac/v1"u8;

    public static byte[] Compute(RootKey rootKey, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        var output = new byte[Size];
        output[0] = FormatVersion;
        Tag(rootKey, content, output.AsSpan(1));
        return output;
    }

    /// <summary>True when <paramref name="mac"/> is the tag of <paramref name="content"/> under <paramref name="rootKey"/> (compared in fixed time).</summary>
    public static bool Verify(RootKey rootKey, ReadOnlySpan<byte> content, ReadOnlySpan<byte> mac)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        if (mac.Length != Size || mac[0] != FormatVersion)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        Tag(rootKey, content, expected);
        return CryptographicOperations.FixedTimeEquals(expected, mac[1..]);
    }

    private static void Tag(RootKey rootKey, ReadOnlySpan<byte> content, Span<byte> destination)
    {
        Span<byte> key = stackalloc byte[32];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, rootKey.Bytes, key, [], Info);
            HMACSHA256.HashData(key, content, destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
