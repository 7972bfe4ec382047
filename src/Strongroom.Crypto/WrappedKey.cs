using System.Text;

namespace Strongroom.Crypto;

/// <summary>
/// Format 1 of KMS key material wrapped by the root key. Frozen by golden tests.
/// <code>
/// offset size field
/// 0      3    magic "SRW"
/// 3      1    format version = 0x01
/// 4      12   nonce
/// 16     16   GCM tag
/// 32     32   wrapped key material
/// </code>
/// AAD = header (4 bytes) followed by the UTF-8 binding string the caller names (for a KMS key version
/// "&lt;key ARN&gt;#&lt;version&gt;", for an access key "access-key:&lt;id&gt;"), so a wrapped value moved to
/// another row fails to unwrap. The payload may be any length (key material is 32 bytes).
/// When the root key is held by a device (<see cref="RootKey.IsDeviceHeld"/>), the device runs the same AES-256-GCM
/// (random nonce, same AAD) and the bytes have the same layout: its ciphertext-then-tag output is stored tag first.
/// </summary>
public static class WrappedKey
{
    public const byte FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "SRW"u8;

    public static byte[] Wrap(RootKey rootKey, ReadOnlySpan<byte> keyMaterial, string binding)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        var output = new byte[4 + AesGcmSeal.Overhead + keyMaterial.Length];
        Magic.CopyTo(output);
        output[3] = FormatVersion;
        if (rootKey.Device is { } device)
        {
            var nonce = output.AsSpan(4, AesGcmSeal.NonceSize);
            System.Security.Cryptography.RandomNumberGenerator.Fill(nonce);
            var sealedData = device.Seal(nonce, keyMaterial, Aad(binding));
            if (sealedData.Length != keyMaterial.Length + AesGcmSeal.TagSize)
            {
                throw new CryptoFailureException();
            }

            sealedData.AsSpan(keyMaterial.Length).CopyTo(output.AsSpan(4 + AesGcmSeal.NonceSize));
            sealedData.AsSpan(0, keyMaterial.Length).CopyTo(output.AsSpan(4 + AesGcmSeal.Overhead));
            return output;
        }

        AesGcmSeal.Seal(rootKey.Bytes, keyMaterial, Aad(binding), output.AsSpan(4));
        return output;
    }

    public static byte[] Unwrap(RootKey rootKey, ReadOnlySpan<byte> wrapped, string binding)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        if (wrapped.Length < 4 + AesGcmSeal.Overhead || !wrapped[..3].SequenceEqual(Magic) || wrapped[3] != FormatVersion)
        {
            throw new CryptoFailureException();
        }

        if (rootKey.Device is { } device)
        {
            var body = wrapped[4..];
            var ciphertextAndTag = new byte[body.Length - AesGcmSeal.NonceSize];
            body[AesGcmSeal.Overhead..].CopyTo(ciphertextAndTag);
            body.Slice(AesGcmSeal.NonceSize, AesGcmSeal.TagSize).CopyTo(ciphertextAndTag.AsSpan(ciphertextAndTag.Length - AesGcmSeal.TagSize));
            return device.Open(body[..AesGcmSeal.NonceSize], ciphertextAndTag, Aad(binding));
        }

        return AesGcmSeal.Open(rootKey.Bytes, wrapped[4..], Aad(binding));
    }

    private static byte[] Aad(string binding)
    {
        var text = Encoding.UTF8.GetBytes(binding);
        var aad = new byte[4 + text.Length];
        Magic.CopyTo(aad);
        aad[3] = FormatVersion;
        text.CopyTo(aad, 4);
        return aad;
    }
}
