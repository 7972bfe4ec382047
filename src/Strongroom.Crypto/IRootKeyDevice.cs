namespace Strongroom.Crypto;

/// <summary>
/// A root key that stays inside a device (a PKCS#11 token): the device runs AES-256-GCM with it and never gives the key
/// out. <see cref="WrappedKey"/> asks it to seal and open each wrapped value. Implementations are thread-safe.
/// </summary>
public interface IRootKeyDevice : IDisposable
{
    /// <summary>AES-256-GCM under the device's key with a 12-byte <paramref name="nonce"/>; returns ciphertext followed by the 16-byte tag.</summary>
    byte[] Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad);

    /// <summary>Opens ciphertext-and-tag sealed by <see cref="Seal"/>.</summary>
    /// <exception cref="CryptoFailureException">when the tag does not verify under the device's key.</exception>
    byte[] Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> aad);
}
