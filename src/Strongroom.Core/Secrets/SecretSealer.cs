using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;
using Strongroom.Crypto;
using static Strongroom.Core.Secrets.StagingLabels;

namespace Strongroom.Core.Secrets;

/// <summary>
/// Sealing: a secret version's value encrypted under a data key from the secret's KMS key, bound to the
/// secret ARN and version id by the encryption context; opened the same way. Plaintext is zeroed after use.
/// </summary>
internal sealed class SecretSealer
{
    private const byte KindString = 1;
    private const byte KindBinary = 2;

    private readonly KeyRing _keys;

    internal SecretSealer(KeyRing keys)
    {
        _keys = keys;
    }

    internal async Task<KmsKeyRecord> ResolveKeyForEncryptAsync(IStoreTransaction tx, string region, string? keyId, CancellationToken ct)
    {
        try
        {
            return await _keys.ResolveForEncryptAsync(tx, region, keyId, ct);
        }
        catch (KmsUnavailableException e)
        {
            throw new DomainException(ErrorKind.EncryptionFailure, e.Failure switch
            {
                KmsFailure.NotFound => "Secrets Manager can't find the specified KMS key.",
                KmsFailure.PendingDeletion => $"{e.KeyArn} is pending deletion.",
                _ => $"{e.KeyArn} is disabled.",
            });
        }
    }

    internal async Task SealIntoAsync(IStoreReader reader, SecretRecord secret, SecretVersionRecord version, KmsKeyRecord key, string? text, byte[]? binary, CancellationToken ct)
    {
        var context = EncryptionContext.ForSecretVersion(secret.Arn, version.VersionId);
        var (dataKey, blob) = await _keys.GenerateDataKeyAsync(reader, key, context, ct);
        var plaintext = text is not null ? Encoding.UTF8.GetBytes(text) : binary!;
        try
        {
            version.Envelope = SecretEnvelope.Seal(text is not null ? KindString : KindBinary, blob, dataKey, plaintext, context);
            version.KmsKeyArn = key.Arn;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            if (text is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    internal async Task<SecretValue> OpenAsync(IStoreReader reader, SecretRecord secret, SecretVersionRecord version, CancellationToken ct)
    {
        var context = EncryptionContext.ForSecretVersion(secret.Arn, version.VersionId);
        byte[]? dataKey = null;
        try
        {
            var (kind, wrapped) = SecretEnvelope.ReadHeader(version.Envelope);
            dataKey = await _keys.DecryptDataKeyAsync(reader, wrapped, context, ct);
            var plaintext = SecretEnvelope.Open(version.Envelope, dataKey, context);
            if (kind == KindBinary)
            {
                return SecretValue.FromBinary(plaintext);
            }

            var text = Encoding.UTF8.GetString(plaintext);
            CryptographicOperations.ZeroMemory(plaintext);
            return SecretValue.FromString(text);
        }
        catch (Exception e) when (e is KmsUnavailableException or CryptoFailureException)
        {
            throw new DomainException(ErrorKind.DecryptionFailure, "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
        }
        finally
        {
            if (dataKey is not null)
            {
                CryptographicOperations.ZeroMemory(dataKey);
            }
        }
    }

    internal async Task<bool> SameValueAsync(IStoreReader reader, SecretRecord secret, SecretVersionRecord version, string? text, byte[]? binary, CancellationToken ct)
    {
        if (version.Envelope is null)
        {
            return false;
        }

        using var stored = await OpenAsync(reader, secret, version, ct);
        if (text is not null)
        {
            return stored.Text is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored.Text), Encoding.UTF8.GetBytes(text));
        }

        return stored.Binary is not null && binary is not null && CryptographicOperations.FixedTimeEquals(stored.Binary, binary);
    }

    internal async Task ReencryptLabelledVersionsAsync(IStoreTransaction tx, SecretRecord secret, KmsKeyRecord key, CancellationToken ct)
    {
        foreach (var version in await tx.ListVersionsAsync(secret.Id, ct))
        {
            if (version.Envelope is null || !version.Stages.Any(s => s is Current or Previous or Pending) || version.KmsKeyArn == key.Arn)
            {
                continue;
            }

            using var value = await OpenAsync(tx, secret, version, ct);
            await SealIntoAsync(tx, secret, version, key, value.Text, value.Binary, ct);
            await tx.UpdateVersionValueAsync(secret.Id, version.VersionId, version.Envelope!, version.KmsKeyArn!, ct);
        }
    }
}
