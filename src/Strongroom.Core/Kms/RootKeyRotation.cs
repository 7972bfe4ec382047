using System.Security.Cryptography;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// Re-wraps every root-wrapped value from one root key to another inside one store transaction, and
/// records the new key's fingerprint with them: the store is either wholly under the old key or wholly
/// under the new one. Secret data is untouched (it is wrapped by KMS keys, not by the root key).
/// </summary>
public static class RootKeyRotation
{
    /// <summary>Returns how many values were re-wrapped. Throws if any value does not unwrap under <paramref name="from"/>.</summary>
    public static async Task<int> RewrapAllAsync(IStoreTransaction tx, RootKey from, RootKey to, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var values = await tx.ListRootWrappedAsync(ct);
        foreach (var value in values)
        {
            var plaintext = WrappedKey.Unwrap(from, value.Wrapped, value.Binding);
            try
            {
                await tx.ReplaceRootWrappedAsync(value, WrappedKey.Wrap(to, plaintext, value.Binding), ct);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }

        await tx.SetSettingAsync(RootWrap.FingerprintSetting, to.Fingerprint(), ct);
        return values.Count;
    }
}
