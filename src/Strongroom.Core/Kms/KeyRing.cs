using System.Collections.Concurrent;
using System.Security.Cryptography;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// Resolves KMS keys and makes and opens data keys under them. Unwrapped key material is cached in
/// memory (zeroed on dispose) so the read path costs two AES-GCM operations and no store round trip
/// for key material. Thread-safe.
/// </summary>
public sealed class KeyRing : IDisposable
{
    public const string SecretsManagerAlias = "alias/aws/secretsmanager";

    private readonly IStore _store;
    private readonly RootKey _rootKey;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(Guid, uint), byte[]> _material = new();
    private readonly ConcurrentDictionary<Guid, KmsKeyRecord> _keys = new();

    public KeyRing(IStore store, RootKey rootKey, ServerIdentity identity, TimeProvider time)
    {
        _store = store;
        _rootKey = rootKey;
        _identity = identity;
        _time = time;
    }

    public string KeyArn(string region, Guid keyId) => $"arn:aws:kms:{region}:{_identity.AccountId}:key/{keyId:D}";

    /// <summary>
    /// Finds the key a secret names (key id, key ARN, alias name or alias ARN; null or empty = the AWS managed
    /// key, created on first use inside <paramref name="tx"/>).
    /// </summary>
    public async Task<KmsKeyRecord> ResolveForEncryptAsync(IStoreTransaction tx, string region, string? keyIdentifier, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        KmsKeyRecord? key;
        if (string.IsNullOrEmpty(keyIdentifier) || keyIdentifier == SecretsManagerAlias)
        {
            key = await EnsureManagedKeyAsync(tx, region, SecretsManagerAlias, ct);
        }
        else
        {
            key = await ResolveAsync(tx, region, keyIdentifier, ct);
        }

        if (key is null)
        {
            throw new KmsUnavailableException("not found");
        }

        if (key.State != "Enabled")
        {
            throw new KmsUnavailableException(key.State);
        }

        return key;
    }

    private async Task<KmsKeyRecord?> ResolveAsync(IStoreReader reader, string region, string identifier, CancellationToken ct)
    {
        string? aliasName = null;
        Guid keyId;
        if (identifier.StartsWith("alias/", StringComparison.Ordinal))
        {
            aliasName = identifier;
        }
        else if (identifier.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = identifier.Split(':', 6);
            if (parts.Length != 6 || parts[2] != "kms" || parts[3] != region || parts[4] != _identity.AccountId)
            {
                return null;
            }

            if (parts[5].StartsWith("alias/", StringComparison.Ordinal))
            {
                aliasName = parts[5];
            }
            else if (!parts[5].StartsWith("key/", StringComparison.Ordinal) || !Guid.TryParse(parts[5][4..], out keyId))
            {
                return null;
            }
            else
            {
                return await FindKeyAsync(reader, keyId, region, ct);
            }
        }
        else if (Guid.TryParse(identifier, out keyId))
        {
            return await FindKeyAsync(reader, keyId, region, ct);
        }
        else
        {
            return null;
        }

        if (aliasName == SecretsManagerAlias && reader is IStoreTransaction tx)
        {
            return await EnsureManagedKeyAsync(tx, region, SecretsManagerAlias, ct);
        }

        var aliased = await reader.FindKmsAliasAsync(region, aliasName, ct);
        return aliased is null ? null : await FindKeyAsync(reader, aliased.Value, region, ct);
    }

    private static async Task<KmsKeyRecord?> FindKeyAsync(IStoreReader reader, Guid keyId, string region, CancellationToken ct)
    {
        var key = await reader.FindKmsKeyAsync(keyId, ct);
        return key is not null && key.Region == region ? key : null;
    }

    /// <summary>The AWS managed key behind <paramref name="alias"/> in <paramref name="region"/>, created if missing.</summary>
    public async Task<KmsKeyRecord> EnsureManagedKeyAsync(IStoreTransaction tx, string region, string alias, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var existing = await tx.FindKmsAliasAsync(region, alias, ct);
        if (existing is not null)
        {
            var found = await tx.FindKmsKeyAsync(existing.Value, ct);
            if (found is not null)
            {
                return found;
            }
        }

        var keyId = Guid.NewGuid();
        var key = new KmsKeyRecord
        {
            KeyId = keyId,
            Region = region,
            Arn = KeyArn(region, keyId),
            State = "Enabled",
            Manager = "AWS",
            Description = "Default key that protects my Secrets Manager data when no other key is defined",
            CreatedDate = _time.GetUtcNow(),
            CurrentVersion = 1,
        };
        var material = RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);
        try
        {
            var wrapped = WrappedKey.Wrap(_rootKey, material, MaterialBinding(key.Arn, 1));
            await tx.InsertKmsKeyAsync(key, wrapped, ct);
            await tx.InsertKmsAliasAsync(region, alias, keyId, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }

        return key;
    }

    /// <summary>A fresh data key and its blob under <paramref name="key"/>. The caller zeroes the plaintext.</summary>
    public async Task<(byte[] Plaintext, byte[] Blob)> GenerateDataKeyAsync(IStoreReader reader, KmsKeyRecord key, byte[] canonicalContext, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        var material = await GetMaterialAsync(reader, key, key.CurrentVersion, ct);
        var dataKey = SecretEnvelope.NewDataKey();
        var blob = KmsCiphertextBlob.Seal(key.KeyId, key.CurrentVersion, material, dataKey, canonicalContext);
        return (dataKey, blob);
    }

    /// <summary>Opens a data-key blob. Throws <see cref="KmsUnavailableException"/> when the key is unusable or the blob is bad.</summary>
    public async Task<byte[]> DecryptDataKeyAsync(IStoreReader reader, ReadOnlyMemory<byte> blob, byte[] canonicalContext, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Guid keyId;
        uint version;
        try
        {
            (keyId, version) = KmsCiphertextBlob.ReadHeader(blob.Span);
        }
        catch (CryptoFailureException e)
        {
            throw new KmsUnavailableException("invalid ciphertext", e);
        }

        if (!_keys.TryGetValue(keyId, out var key))
        {
            key = await reader.FindKmsKeyAsync(keyId, ct) ?? throw new KmsUnavailableException("not found");
            _keys[keyId] = key;
        }

        if (key.State != "Enabled")
        {
            throw new KmsUnavailableException(key.State);
        }

        var material = await GetMaterialAsync(reader, key, version, ct);
        try
        {
            return KmsCiphertextBlob.Open(blob.Span, material, canonicalContext);
        }
        catch (CryptoFailureException e)
        {
            throw new KmsUnavailableException("invalid ciphertext", e);
        }
    }

    /// <summary>Forgets what is cached about a key, after its state changed.</summary>
    public void Invalidate(Guid keyId) => _keys.TryRemove(keyId, out _);

    private async Task<byte[]> GetMaterialAsync(IStoreReader reader, KmsKeyRecord key, uint version, CancellationToken ct)
    {
        if (_material.TryGetValue((key.KeyId, version), out var cached))
        {
            return cached;
        }

        var wrapped = await reader.GetKmsKeyMaterialAsync(key.KeyId, version, ct) ?? throw new KmsUnavailableException("key version not found");
        byte[] material;
        try
        {
            material = WrappedKey.Unwrap(_rootKey, wrapped, MaterialBinding(key.Arn, version));
        }
        catch (CryptoFailureException e)
        {
            throw new KmsUnavailableException("key material does not unwrap", e);
        }

        return _material.GetOrAdd((key.KeyId, version), material);
    }

    private static string MaterialBinding(string keyArn, uint version) =>
        keyArn + "#" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var material in _material.Values)
        {
            CryptographicOperations.ZeroMemory(material);
        }

        _material.Clear();
    }
}
