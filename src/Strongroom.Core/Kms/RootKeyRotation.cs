using System.Security.Cryptography;
using Strongroom.Core.Identity;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// Re-wraps every root-wrapped value from one root key to another inside one store transaction, and
/// records the new key's fingerprint with them: the store is either wholly under the old key or wholly
/// under the new one. Secret data is untouched (it is wrapped by KMS keys, not by the root key). The
/// integrity tags of IAM and access-key rows (derived from the root key) are recomputed under the new key —
/// but only for rows whose tag holds under the old one: a row altered without the root key stays refused.
/// </summary>
public static class RootKeyRotation
{
    /// <summary>Returns how many values were re-wrapped or re-tagged. Throws if any KMS or named value does not unwrap under <paramref name="from"/>.</summary>
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

        var count = values.Count;
        foreach (var row in await tx.ListIamEntitiesAsync(null, ct))
        {
            if (row.Mac is not null && RecordMac.Verify(from, IamRecords.EntityContent(row.Kind, row.Name, row.Json), row.Mac))
            {
                await tx.PutIamEntityAsync(row with { Mac = RecordMac.Compute(to, IamRecords.EntityContent(row.Kind, row.Name, row.Json)) }, ct);
                count++;
            }
        }

        foreach (var key in await tx.ListAllAccessKeysAsync(ct))
        {
            if (key.PrincipalId is null || key.Mac is null || !RecordMac.Verify(from, IamRecords.AccessKeyContent(key), key.Mac))
            {
                continue;
            }

            var binding = IamRecords.AccessKeyBinding(key.AccessKeyId, key.PrincipalId, key.PrincipalArn);
            byte[] secret;
            try
            {
                secret = WrappedKey.Unwrap(from, key.WrappedSecret, binding);
            }
            catch (CryptoFailureException)
            {
                continue;
            }

            try
            {
                var rewrapped = new AccessKeyRecord
                {
                    AccessKeyId = key.AccessKeyId,
                    WrappedSecret = WrappedKey.Wrap(to, secret, binding),
                    PrincipalArn = key.PrincipalArn,
                    UserName = key.UserName,
                    Status = key.Status,
                    CreatedDate = key.CreatedDate,
                    PrincipalId = key.PrincipalId,
                };
                rewrapped.Mac = RecordMac.Compute(to, IamRecords.AccessKeyContent(rewrapped));
                await tx.UpsertAccessKeyAsync(rewrapped, ct);
                count++;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }

        await tx.SetSettingAsync(RootWrap.FingerprintSetting, to.Fingerprint(), ct);
        return count;
    }
}
