using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// Resolves KMS keys and makes and opens ciphertext under them. Unwrapped key material is cached in
/// memory (zeroed when forgotten and on dispose; every use works on its own copy, zeroed after it) so the
/// read path costs two AES-GCM operations and no store round trip for key material; key records are cached
/// for decryption and invalidated by <see cref="Invalidate"/> when a key's state or material changes.
/// Thread-safe.
/// </summary>
public sealed class KeyRing : IDisposable
{
    public const string SecretsManagerAlias = "alias/aws/secretsmanager";
    public const string SsmAlias = "alias/aws/ssm";
    private static readonly string[] ManagedAliases = [SecretsManagerAlias, SsmAlias];

    private readonly IKmsKeyReader _store;
    private readonly RootWrap _root;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(Guid, uint), CachedMaterial> _material = new();
    private readonly ConcurrentDictionary<Guid, KmsKeyRecord> _keys = new();
    private readonly Dictionary<Guid, long> _generations = [];
    private long _allGeneration;

    public KeyRing(IKmsKeyReader store, RootWrap root, ServerIdentity identity, TimeProvider time)
    {
        _store = store;
        _root = root;
        _identity = identity;
        _time = time;
    }

    public string KeyArn(string region, Guid keyId) => $"arn:aws:kms:{region}:{_identity.AccountId}:key/{keyId:D}";

    public string AliasArn(string region, string aliasName) => $"arn:aws:kms:{region}:{_identity.AccountId}:{aliasName}";

    /// <summary>A stable, non-secret id of one material generation: 64 lowercase hex characters.</summary>
    public static string KeyMaterialId(string keyArn, uint version) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("strongroom-key-material:" + keyArn + "#" + version.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    public static bool IsManagedAlias(string aliasName) => ManagedAliases.Contains(aliasName, StringComparer.Ordinal);

    /// <summary>
    /// Finds the key a secret names (key id, key ARN, alias name or alias ARN; null or empty = the AWS managed
    /// key, created on first use inside <paramref name="tx"/>) and checks that it can encrypt.
    /// </summary>
    public async Task<KmsKeyRecord> ResolveForEncryptAsync(IStoreTransaction tx, string region, string? keyIdentifier, CancellationToken ct)
    {
        var key = await FindAsync(tx, region, string.IsNullOrEmpty(keyIdentifier) ? SecretsManagerAlias : keyIdentifier, allowAlias: true, ct)
            ?? throw new KmsUnavailableException(KmsFailure.NotFound, null);
        EnsureUsable(key);
        return key;
    }

    public static void EnsureUsable(KmsKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw new KmsUnavailableException(KmsFailure.PendingDeletion, key.Arn);
        }

        if (key.State != KmsKeyState.Enabled)
        {
            throw new KmsUnavailableException(KmsFailure.Disabled, key.Arn);
        }
    }

    /// <summary>
    /// Resolves a key identifier in <paramref name="region"/>: key id or key ARN, and with
    /// <paramref name="allowAlias"/> also an alias name or alias ARN. A predefined AWS alias with no key yet
    /// gets its AWS managed key when <paramref name="reader"/> is a write transaction. Null when nothing matches.
    /// </summary>
    public async Task<KmsKeyRecord?> FindAsync(IKmsKeyReader reader, string region, string identifier, bool allowAlias, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(identifier);
        string? aliasName = null;
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
            else
            {
                return parts[5].StartsWith("key/", StringComparison.Ordinal) && Guid.TryParse(parts[5].AsSpan(4), out var arnKeyId)
                    ? await FindKeyAsync(reader, arnKeyId, region, ct)
                    : null;
            }
        }
        else
        {
            return Guid.TryParse(identifier, out var keyId) ? await FindKeyAsync(reader, keyId, region, ct) : null;
        }

        if (!allowAlias)
        {
            return null;
        }

        var aliased = await reader.FindKmsAliasAsync(region, aliasName, ct);
        if (aliased is not null)
        {
            return await FindKeyAsync(reader, aliased.Value, region, ct);
        }

        return IsManagedAlias(aliasName) && reader is IStoreTransaction tx ? await EnsureManagedKeyAsync(tx, region, aliasName, ct) : null;
    }

    private static async Task<KmsKeyRecord?> FindKeyAsync(IKmsKeyReader reader, Guid keyId, string region, CancellationToken ct)
    {
        var key = await reader.FindKmsKeyAsync(keyId, ct);
        return key is not null && key.Region == region ? key : null;
    }

    /// <summary>The AWS managed key behind <paramref name="alias"/> in <paramref name="region"/>, created if missing.</summary>
    public async Task<KmsKeyRecord> EnsureManagedKeyAsync(IStoreTransaction tx, string region, string alias, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var existing = await tx.FindKmsAliasAsync(region, alias, ct);
        if (existing is not null && await tx.FindKmsKeyAsync(existing.Value, ct) is { } found)
        {
            return found;
        }

        var service = alias["alias/aws/".Length..];
        var now = _time.GetUtcNow();
        var keyId = Guid.NewGuid();
        var key = new KmsKeyRecord
        {
            KeyId = keyId,
            Region = region,
            Arn = KeyArn(region, keyId),
            State = KmsKeyState.Enabled,
            Manager = KmsKeyManager.Aws,
            Description = service == "ssm"
                ? "Default key that protects my SSM parameters when no other key is defined"
                : "Default key that protects my Secrets Manager data when no other key is defined",
            CreatedDate = now,
            CurrentVersion = 1,
            RotationEnabled = true,
            RotationPeriodInDays = 365,
            NextRotationDate = now.AddDays(365),
            Policy = ManagedKeyPolicy(region, service),
        };
        await InsertNewKeyAsync(tx, key, ct);
        await tx.InsertKmsAliasAsync(region, alias, keyId, now, ct);
        return key;
    }

    /// <summary>Stores a new key with fresh version-1 material.</summary>
    public async Task InsertNewKeyAsync(IStoreTransaction tx, KmsKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(key);
        var material = RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);
        try
        {
            await tx.InsertKmsKeyAsync(key, await _root.WrapAsync(tx, material, MaterialBinding(key.Arn, key.CurrentVersion), ct), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Adds a new material generation; new encryptions use it, older ones still decrypt.</summary>
    public async Task RotateAsync(IStoreTransaction tx, KmsKeyRecord key, string rotationType, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(key);
        var version = key.CurrentVersion + 1;
        var material = RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);
        try
        {
            await tx.InsertKmsKeyVersionAsync(key.KeyId, new KmsKeyVersion(version, now, rotationType), await _root.WrapAsync(tx, material, MaterialBinding(key.Arn, version), ct), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }

        key.CurrentVersion = version;
        await tx.UpdateKmsKeyAsync(key, ct);
    }

    public string ManagedKeyPolicy(string region, string service) =>
        "{\"Version\":\"2012-10-17\",\"Id\":\"auto-" + service + "-1\",\"Statement\":[" +
        "{\"Sid\":\"Allow access through " + service + " for all principals in the account that are authorized to use " + service + "\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":[\"kms:Encrypt\",\"kms:Decrypt\",\"kms:ReEncrypt*\",\"kms:GenerateDataKey*\",\"kms:CreateGrant\",\"kms:DescribeKey\"],\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"kms:ViaService\":\"" + service + "." + region + ".amazonaws.com\",\"kms:CallerAccount\":\"" + _identity.AccountId + "\"}}}," +
        "{\"Sid\":\"Allow direct access to key metadata to the account\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + _identity.AccountId + ":root\"},\"Action\":[\"kms:Describe*\",\"kms:Get*\",\"kms:List*\",\"kms:RevokeGrant\"],\"Resource\":\"*\"}]}";

    public string DefaultKeyPolicy() =>
        "{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[{\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + _identity.AccountId + ":root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";

    /// <summary>Encrypts under the key's current material. The key must be usable (<see cref="EnsureUsable"/>).</summary>
    public async Task<byte[]> EncryptAsync(IStoreReader reader, KmsKeyRecord key, ReadOnlyMemory<byte> plaintext, byte[] canonicalContext, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        var version = key.CurrentVersion;
        var material = await MaterialCopyAsync(reader, key, version, ct);
        try
        {
            return KmsCiphertextBlob.Seal(key.KeyId, version, material, plaintext.Span, canonicalContext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>A fresh data key and its blob under <paramref name="key"/>. The caller zeroes the plaintext.</summary>
    public async Task<(byte[] Plaintext, byte[] Blob)> GenerateDataKeyAsync(IStoreReader reader, KmsKeyRecord key, byte[] canonicalContext, CancellationToken ct)
    {
        var dataKey = SecretEnvelope.NewDataKey();
        return (dataKey, await EncryptAsync(reader, key, dataKey, canonicalContext, ct));
    }

    /// <summary>Opens a data-key blob made by this ring. Throws <see cref="KmsUnavailableException"/>.</summary>
    public async Task<byte[]> DecryptDataKeyAsync(IStoreReader reader, ReadOnlyMemory<byte> blob, byte[] canonicalContext, CancellationToken ct) =>
        (await DecryptAsync(reader, blob, canonicalContext, ct)).Plaintext;

    /// <summary>
    /// Opens any blob made by this ring, naming the key and material version that made it. Throws
    /// <see cref="KmsUnavailableException"/>: InvalidCiphertext for a malformed or tampered blob or a wrong
    /// context, NotFound/Disabled/PendingDeletion for an unusable key.
    /// </summary>
    public async Task<(KmsKeyRecord Key, uint Version, byte[] Plaintext)> DecryptAsync(IStoreReader reader, ReadOnlyMemory<byte> blob, byte[] canonicalContext, CancellationToken ct)
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
            throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, null, e);
        }

        var key = await CachedKeyAsync(reader, keyId, ct) ?? throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, null);
        if (version > key.CurrentVersion)
        {
            // Another node may have rotated the key since this one cached it (its change feed tells this node within a
            // poll): the store decides whether the version exists before the blob is refused.
            key = await ReloadKeyAsync(reader, keyId, ct) ?? throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, null);
        }

        EnsureUsable(key);
        if (version == 0 || version > key.CurrentVersion)
        {
            throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, key.Arn);
        }

        var material = await MaterialCopyAsync(reader, key, version, ct);
        try
        {
            return (key, version, KmsCiphertextBlob.Open(blob.Span, material, canonicalContext));
        }
        catch (CryptoFailureException e)
        {
            throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, key.Arn, e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>
    /// The key a blob made by this ring names in its header (whatever key a request claims), or null when the header
    /// is malformed or names no key. Says nothing about whether the blob opens: that is <see cref="DecryptAsync"/>'s.
    /// </summary>
    public async Task<KmsKeyRecord?> KeyOfBlobAsync(IStoreReader reader, ReadOnlyMemory<byte> blob, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Guid keyId;
        try
        {
            (keyId, _) = KmsCiphertextBlob.ReadHeader(blob.Span);
        }
        catch (CryptoFailureException)
        {
            return null;
        }

        return await CachedKeyAsync(reader, keyId, ct);
    }

    private async Task<KmsKeyRecord?> CachedKeyAsync(IKmsKeyReader reader, Guid keyId, CancellationToken ct) =>
        _keys.TryGetValue(keyId, out var key) ? key : await ReloadKeyAsync(reader, keyId, ct);

    /// <summary>The key record as the store has it now, cached unless an invalidation came while it was read.</summary>
    private async Task<KmsKeyRecord?> ReloadKeyAsync(IKmsKeyReader reader, Guid keyId, CancellationToken ct)
    {
        var generation = Generation(keyId);
        var key = await reader.FindKmsKeyAsync(keyId, ct);
        if (key is null)
        {
            return null;
        }

        lock (_generations)
        {
            // A record read before a concurrent Invalidate must not be cached after it.
            if (_generations.GetValueOrDefault(keyId) + _allGeneration == generation)
            {
                _keys[keyId] = key;
            }
        }

        return key;
    }

    private long Generation(Guid keyId)
    {
        lock (_generations)
        {
            return _generations.GetValueOrDefault(keyId) + _allGeneration;
        }
    }

    /// <summary>The change-feed domain KMS key changes mark, so every node's key ring follows.</summary>
    public const string ChangeDomain = "kms";

    /// <summary>Forgets what is cached about every key (another node changed some).</summary>
    public void InvalidateAll()
    {
        lock (_generations)
        {
            _allGeneration++;
        }

        foreach (var keyId in _keys.Keys.Concat(_material.Keys.Select(k => k.Item1)).Distinct().ToList())
        {
            Invalidate(keyId);
        }
    }

    /// <summary>Forgets what is cached about a key, after its state, material or existence changed.</summary>
    public void Invalidate(Guid keyId)
    {
        lock (_generations)
        {
            _generations[keyId] = _generations.GetValueOrDefault(keyId) + 1;
            _keys.TryRemove(keyId, out _);
        }

        foreach (var entry in _material.Keys.Where(k => k.Item1 == keyId).ToList())
        {
            if (_material.TryRemove(entry, out var removed))
            {
                removed.Zero();
            }
        }
    }

    /// <summary>
    /// The unwrapped material of one version, as a copy the caller owns and zeroes after use: the cached bytes may be
    /// zeroed by an invalidation at any moment, and an encryption under half-zeroed bytes would make a blob nothing opens.
    /// </summary>
    private async Task<byte[]> MaterialCopyAsync(IStoreReader reader, KmsKeyRecord key, uint version, CancellationToken ct)
    {
        if (_material.TryGetValue((key.KeyId, version), out var cached) && cached.CopyOrNull() is { } copy)
        {
            return copy;
        }

        var generation = Generation(key.KeyId);
        var wrapped = await reader.GetKmsKeyMaterialAsync(key.KeyId, version, ct) ?? throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, key.Arn);
        byte[] material;
        try
        {
            material = await _root.UnwrapAsync(reader, wrapped, MaterialBinding(key.Arn, version), ct);
        }
        catch (CryptoFailureException e)
        {
            throw new KmsUnavailableException(KmsFailure.InvalidCiphertext, key.Arn, e);
        }

        var entry = new CachedMaterial(material);
        var added = false;
        lock (_generations)
        {
            // Material read before a concurrent Invalidate (say of a key being deleted) is not cached after it.
            if (_generations.GetValueOrDefault(key.KeyId) + _allGeneration == generation)
            {
                added = _material.TryAdd((key.KeyId, version), entry);
            }
        }

        if (!added)
        {
            entry.Zero();
        }

        return material;
    }

    public static string MaterialBinding(string keyArn, uint version) =>
        keyArn + "#" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var material in _material.Values)
        {
            material.Zero();
        }

        _material.Clear();
    }
}
