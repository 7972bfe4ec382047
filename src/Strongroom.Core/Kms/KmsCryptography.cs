using System.Security.Cryptography;
using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Crypto;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>KMS cryptographic operations: Encrypt, Decrypt, GenerateDataKey, ReEncrypt, GenerateRandom.</summary>
public sealed class KmsCryptography
{
    private readonly KmsKeyContext _context;
    private readonly IStoreReader _store;
    private readonly KeyRing _keys;

    internal KmsCryptography(KmsKeyContext context)
    {
        _context = context;
        _store = context.Store;
        _keys = context.Keys;
    }

    private static byte[] Context(IReadOnlyDictionary<string, string>? context) => EncryptionContext.Canonical(context);

    private async Task<KmsKeyRecord> UsableKeyAsync(string region, string keyId, string action, CancellationToken ct)
    {
        var key = await _context.RequireKeyAsync(_store, region, keyId, allowAlias: true, ct);
        RequireCustomerManaged(key, action);
        RequireUsable(key);
        return key;
    }

    public async Task<KmsCryptoResult> EncryptAsync(string region, string keyId, byte[] plaintext, IReadOnlyDictionary<string, string>? context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        if (plaintext.Length is < 1 or > 4096)
        {
            throw DomainException.Constraint("plaintext", "***", plaintext.Length < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 4096");
        }

        var key = await UsableKeyAsync(region, keyId, "Encrypt", ct);
        var blob = await _keys.EncryptAsync(_store, key, plaintext, Context(context), ct);
        return new KmsCryptoResult(key, key.CurrentVersion, null, blob);
    }

    public async Task<KmsCryptoResult> DecryptAsync(string region, byte[] blob, IReadOnlyDictionary<string, string>? context, string? keyId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Length is < 1 or > 6144)
        {
            throw DomainException.Constraint("ciphertextBlob", "***", blob.Length < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 6144");
        }

        KmsKeyRecord? expected = null;
        if (keyId is not null)
        {
            expected = await _context.RequireKeyAsync(_store, region, keyId, allowAlias: true, ct);
        }

        var opened = await OpenAsync(region, blob, Context(context), ct);
        if (expected is not null && expected.KeyId != opened.Key.KeyId)
        {
            CryptographicOperations.ZeroMemory(opened.Plaintext!);
            throw Error(ErrorKind.IncorrectKey, "The key ID in the request does not identify a CMK that can perform this operation.");
        }

        return opened;
    }

    private async Task<KmsCryptoResult> OpenAsync(string region, byte[] blob, byte[] context, CancellationToken ct)
    {
        try
        {
            var (key, version, plaintext) = await _keys.DecryptAsync(_store, blob, context, ct);
            if (key.Region != region)
            {
                CryptographicOperations.ZeroMemory(plaintext);
                throw Error(ErrorKind.InvalidCiphertext, string.Empty);
            }

            RequireCustomerManaged(key, "Decrypt");
            return new KmsCryptoResult(key, version, plaintext, null);
        }
        catch (KmsUnavailableException e)
        {
            throw e.Failure switch
            {
                KmsFailure.Disabled => Error(ErrorKind.Disabled, $"{e.KeyArn} is disabled."),
                KmsFailure.PendingDeletion => Error(ErrorKind.KmsInvalidState, $"{e.KeyArn} is pending deletion."),
                _ => Error(ErrorKind.InvalidCiphertext, string.Empty),
            };
        }
    }

    public async Task<KmsCryptoResult> GenerateDataKeyAsync(string region, string keyId, IReadOnlyDictionary<string, string>? context, int? numberOfBytes, string? keySpec, bool withPlaintext, CancellationToken ct)
    {
        Validate.Range(numberOfBytes, "numberOfBytes", 1, 1024);
        Validate.Enum(keySpec, "keySpec", "AES_256", "AES_128");
        if ((numberOfBytes is null) == (keySpec is null))
        {
            throw Error(ErrorKind.Validation, "Please specify either number of bytes or key spec.");
        }

        var key = await UsableKeyAsync(region, keyId, withPlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext", ct);
        var plaintext = RandomNumberGenerator.GetBytes(numberOfBytes ?? (keySpec == "AES_128" ? 16 : 32));
        var blob = await _keys.EncryptAsync(_store, key, plaintext, Context(context), ct);
        if (!withPlaintext)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return new KmsCryptoResult(key, key.CurrentVersion, null, blob);
        }

        return new KmsCryptoResult(key, key.CurrentVersion, plaintext, blob);
    }

    public async Task<(KmsCryptoResult Source, KmsCryptoResult Destination)> ReEncryptAsync(
        string region, byte[] blob, IReadOnlyDictionary<string, string>? sourceContext, string? sourceKeyId, string destinationKeyId, IReadOnlyDictionary<string, string>? destinationContext, CancellationToken ct)
    {
        var source = await DecryptAsync(region, blob, sourceContext, sourceKeyId, ct);
        try
        {
            var destination = await UsableKeyAsync(region, destinationKeyId, "ReEncryptTo", ct);
            var newBlob = await _keys.EncryptAsync(_store, destination, source.Plaintext!, Context(destinationContext), ct);
            return (source with { Plaintext = null }, new KmsCryptoResult(destination, destination.CurrentVersion, null, newBlob));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(source.Plaintext!);
        }
    }

    public static byte[] GenerateRandom(int? numberOfBytes)
    {
        Validate.Range(numberOfBytes, "numberOfBytes", 1, 1024);
        return RandomNumberGenerator.GetBytes(numberOfBytes ?? throw Error(ErrorKind.Validation, "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null"));
    }
}
