using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// The KMS use cases for symmetric SYMMETRIC_DEFAULT keys: lifecycle, aliases, cryptography, rotation of
/// key material, key policies and tags. Every change runs in one store transaction; the key ring's caches
/// are invalidated after commit. Thread-safe.
/// </summary>
public sealed class KmsService
{
    private const int MaxPolicyBytes = 32768;
    private readonly IStore _store;
    private readonly KeyRing _keys;
    private readonly TimeProvider _time;

    public KmsService(IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _store = store;
        _keys = keys;
        _time = time;
        AccountId = identity.AccountId;
    }

    public string AccountId { get; }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    // ---------------------------------------------------------------- helpers

    private static DomainException Error(ErrorKind kind, string message) => new(kind, message);

    private async Task<KmsKeyRecord> RequireKeyAsync(IStoreReader reader, string region, string identifier, bool allowAlias, CancellationToken ct)
    {
        Validate.Length(identifier, "keyId", 1, 2048);
        var key = await _keys.FindAsync(reader, region, identifier, allowAlias, ct);
        if (key is not null)
        {
            return key;
        }

        if (identifier.Contains("alias/", StringComparison.Ordinal))
        {
            var aliasName = identifier.StartsWith("arn:", StringComparison.Ordinal) ? identifier.Split(':', 6)[^1] : identifier;
            throw Error(ErrorKind.KmsNotFound, $"Alias {_keys.AliasArn(region, aliasName)} is not found.");
        }

        var shown = Guid.TryParse(identifier, out var id) ? _keys.KeyArn(region, id) : identifier;
        if (identifier.StartsWith("arn:", StringComparison.Ordinal) && identifier.Split(':').Length < 6)
        {
            throw Error(ErrorKind.InvalidArn, $"Invalid arn {identifier}");
        }

        throw Error(ErrorKind.KmsNotFound, $"Key '{shown}' does not exist");
    }

    private static void RequireCustomerManaged(KmsKeyRecord key, string action)
    {
        if (key.Manager == "AWS")
        {
            throw Error(ErrorKind.AccessDenied, $"The AWS managed key {key.Arn} can be used only by the AWS service it belongs to; kms:{action} is not allowed on it.");
        }
    }

    private static void RequireNotPendingDeletion(KmsKeyRecord key)
    {
        if (key.State == "PendingDeletion")
        {
            throw Error(ErrorKind.KmsInvalidState, $"{key.Arn} is pending deletion.");
        }
    }

    private static void RequireUsable(KmsKeyRecord key)
    {
        RequireNotPendingDeletion(key);
        if (key.State != "Enabled")
        {
            throw Error(ErrorKind.Disabled, $"{key.Arn} is disabled.");
        }
    }

    private async Task<T> ChangeKeyAsync<T>(string region, string keyId, Func<IStoreTransaction, KmsKeyRecord, Task<T>> change, CancellationToken ct)
    {
        Guid? touched = null;
        try
        {
            return await _store.WriteAsync(async tx =>
            {
                var key = await RequireKeyAsync(tx, region, keyId, allowAlias: false, ct);
                touched = key.KeyId;
                var result = await change(tx, key);
                await Cluster.ClusterCoordinator.MarkChangedAsync(tx, KeyRing.ChangeDomain, ct);
                return result;
            }, ct);
        }
        finally
        {
            if (touched is not null)
            {
                _keys.Invalidate(touched.Value);
            }
        }
    }

    private static void ValidateTags(IReadOnlyList<KeyValuePair<string, string>>? tags)
    {
        if (tags is null)
        {
            return;
        }

        foreach (var (key, value) in tags)
        {
            Validate.Length(key, "tags.member.tagKey", 1, 128);
            Validate.Length(value, "tags.member.tagValue", 0, 256);
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw Error(ErrorKind.Tag, "Tags beginning with aws: are reserved and cannot be created, updated or deleted.");
            }
        }
    }

    private static void ValidatePolicy(string policy)
    {
        Validate.Length(policy, "policy", 1, 131072);
        if (policy.Any(c => !(c is '\t' or '\n' or '\r' || (c >= '\u0020' && c <= '\u00FF'))))
        {
            throw DomainException.Constraint("policy", "***", "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
        }

        if (Encoding.UTF8.GetByteCount(policy) > MaxPolicyBytes)
        {
            throw Error(ErrorKind.LimitExceeded, "The key policy is larger than the 32 KB quota.");
        }

        var errors = ResourcePolicyCheck.SyntaxErrors(policy);
        if (errors.Count > 0)
        {
            throw Error(ErrorKind.MalformedPolicyDocument, "The key policy is not valid: " + errors[0]);
        }
    }

    private static int PageSize(int? limit, int max, int fallback)
    {
        Validate.Range(limit, "limit", 1, 1000);
        return Math.Min(limit ?? fallback, max);
    }

    private static void ValidateMarker(string? marker) => Validate.Length(marker, "marker", 1, 1024);

    // ---------------------------------------------------------------- lifecycle

    /// <summary>AWS's text when a new key policy would lock its caller out of PutKeyPolicy.</summary>
    public const string LockoutMessage = "The new key policy will not allow you to update the key policy in the future.";

    /// <summary>
    /// CreateKey. With a Policy and without BypassPolicyLockoutSafetyCheck, <paramref name="lockoutCheck"/> (when
    /// given) must confirm the caller could still change the policy, else MalformedPolicyDocumentException.
    /// </summary>
    public async Task<KmsKeyRecord> CreateKeyAsync(string region, CreateKeyRequest request, CancellationToken ct, KeyPolicyLockoutCheck? lockoutCheck = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.Length(request.Description, "description", 0, 8192);
        Validate.Enum(request.KeyUsage, "keyUsage", "SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT");
        string[] specs = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"];
        Validate.Enum(request.KeySpec, "keySpec", specs);
        Validate.Enum(request.CustomerMasterKeySpec, "customerMasterKeySpec", specs);
        Validate.Enum(request.Origin, "origin", "AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE");
        ValidateTags(request.Tags);
        if (request.KeySpec is not null && request.CustomerMasterKeySpec is not null && request.KeySpec != request.CustomerMasterKeySpec)
        {
            throw Error(ErrorKind.Validation, "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
        }

        var spec = request.KeySpec ?? request.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
        if (spec != "SYMMETRIC_DEFAULT" || (request.KeyUsage ?? "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT")
        {
            throw Error(ErrorKind.UnsupportedOperation, $"KeySpec {spec} with KeyUsage {request.KeyUsage ?? "ENCRYPT_DECRYPT"} is not supported: Strongroom serves symmetric SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys.");
        }

        if ((request.Origin ?? "AWS_KMS") != "AWS_KMS" || request.CustomKeyStoreId is not null || request.XksKeyId is not null)
        {
            throw Error(ErrorKind.UnsupportedOperation, "Only keys with Origin AWS_KMS are supported: imported material and custom key stores are not.");
        }

        if (request.MultiRegion)
        {
            throw Error(ErrorKind.UnsupportedOperation, "Multi-Region keys are not supported.");
        }

        if (request.Policy is not null)
        {
            ValidatePolicy(request.Policy);
        }

        if (request.Tags is not null && request.Tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != request.Tags.Count)
        {
            throw Error(ErrorKind.Tag, "Duplicate tag keys are not allowed.");
        }

        var keyId = Guid.NewGuid();
        if (request.Policy is not null && !request.BypassPolicyLockoutSafetyCheck && lockoutCheck is not null
            && !await lockoutCheck(_keys.KeyArn(region, keyId), request.Policy, ct))
        {
            throw Error(ErrorKind.MalformedPolicyDocument, LockoutMessage);
        }

        return await _store.WriteAsync(async tx =>
        {
            var key = new KmsKeyRecord
            {
                KeyId = keyId,
                Region = region,
                Arn = _keys.KeyArn(region, keyId),
                State = "Enabled",
                Manager = "CUSTOMER",
                Description = request.Description ?? string.Empty,
                CreatedDate = Now,
                CurrentVersion = 1,
                Policy = request.Policy ?? _keys.DefaultKeyPolicy(),
                Tags = request.Tags?.ToList() ?? [],
            };
            await _keys.InsertNewKeyAsync(tx, key, ct);
            return key;
        }, ct);
    }

    public async Task<KmsKeyRecord> DescribeKeyAsync(string region, string keyId, CancellationToken ct)
    {
        Validate.Length(keyId, "keyId", 1, 2048);
        if (KeyRing.IsManagedAlias(keyId) || (keyId.StartsWith("arn:", StringComparison.Ordinal) && KeyRing.IsManagedAlias(keyId.Split(':', 6)[^1])))
        {
            // A predefined alias/aws/<service> creates its AWS managed key on first sight, as AWS does.
            return await _store.WriteAsync(tx => RequireKeyAsync(tx, region, keyId, allowAlias: true, ct), ct);
        }

        return await RequireKeyAsync(_store, region, keyId, allowAlias: true, ct);
    }

    public async Task<KmsPage<KmsKeyRecord>> ListKeysAsync(string region, int? limit, string? marker, CancellationToken ct)
    {
        var size = PageSize(limit, 1000, 100);
        ValidateMarker(marker);
        Guid? after = null;
        if (marker is not null)
        {
            after = Guid.TryParse(marker, out var parsed) ? parsed : throw Error(ErrorKind.InvalidMarker, "Invalid marker");
        }

        var keys = await _store.ListKmsKeysAsync(region, after, size + 1, ct);
        var page = keys.Take(size).ToList();
        return new KmsPage<KmsKeyRecord>(page, keys.Count > size ? page[^1].KeyId.ToString("D") : null);
    }

    public Task UpdateKeyDescriptionAsync(string region, string keyId, string description, CancellationToken ct)
    {
        Validate.Length(description, "description", 0, 8192);
        return ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "UpdateKeyDescription");
            RequireNotPendingDeletion(key);
            key.Description = description;
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public Task SetEnabledAsync(string region, string keyId, bool enabled, CancellationToken ct) =>
        ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, enabled ? "EnableKey" : "DisableKey");
            RequireNotPendingDeletion(key);
            key.State = enabled ? "Enabled" : "Disabled";
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);

    public Task<KmsKeyRecord> ScheduleKeyDeletionAsync(string region, string keyId, int? pendingWindowInDays, CancellationToken ct)
    {
        Validate.Range(pendingWindowInDays, "pendingWindowInDays", 7, 30);
        return ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "ScheduleKeyDeletion");
            RequireNotPendingDeletion(key);
            var window = pendingWindowInDays ?? 30;
            key.State = "PendingDeletion";
            key.PendingWindowInDays = window;
            key.DeletionDate = Now.AddDays(window);
            await tx.UpdateKmsKeyAsync(key, ct);
            return key;
        }, ct);
    }

    public Task<KmsKeyRecord> CancelKeyDeletionAsync(string region, string keyId, CancellationToken ct) =>
        ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "CancelKeyDeletion");
            if (key.State != "PendingDeletion")
            {
                throw Error(ErrorKind.KmsInvalidState, $"{key.Arn} is not pending deletion.");
            }

            key.State = "Disabled";
            key.DeletionDate = null;
            key.PendingWindowInDays = null;
            await tx.UpdateKmsKeyAsync(key, ct);
            return key;
        }, ct);

    // ---------------------------------------------------------------- aliases

    private static void ValidateAliasName(string aliasName, bool creating)
    {
        Validate.Length(aliasName, "aliasName", 1, 256);
        if (!aliasName.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '/' or '_' or '-'))
        {
            throw DomainException.Constraint("aliasName", aliasName, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
        }

        if (!aliasName.StartsWith("alias/", StringComparison.Ordinal) || aliasName.Length == "alias/".Length)
        {
            throw Error(ErrorKind.InvalidAliasName, "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
        }

        if (aliasName.StartsWith("alias/aws/", StringComparison.Ordinal))
        {
            throw Error(ErrorKind.InvalidAliasName, creating ? "Cannot create alias with prefix 'alias/aws/'" : "Cannot change or delete an alias with prefix 'alias/aws/': it belongs to an AWS managed key.");
        }
    }

    public async Task CreateAliasAsync(string region, string aliasName, string targetKeyId, CancellationToken ct)
    {
        ValidateAliasName(aliasName, creating: true);
        await _store.WriteAsync(async tx =>
        {
            var key = await RequireKeyAsync(tx, region, targetKeyId, allowAlias: false, ct);
            RequireCustomerManaged(key, "CreateAlias");
            RequireNotPendingDeletion(key);
            if (await tx.FindKmsAliasAsync(region, aliasName, ct) is not null)
            {
                throw Error(ErrorKind.AlreadyExists, $"An alias with the name {_keys.AliasArn(region, aliasName)} already exists");
            }

            if ((await tx.ListKmsAliasesAsync(region, key.KeyId, null, 51, ct)).Count >= 50)
            {
                throw Error(ErrorKind.LimitExceeded, $"A key can have at most 50 aliases: {key.Arn} has 50.");
            }

            await tx.InsertKmsAliasAsync(region, aliasName, key.KeyId, Now, ct);
            return true;
        }, ct);
    }

    public async Task UpdateAliasAsync(string region, string aliasName, string targetKeyId, CancellationToken ct)
    {
        ValidateAliasName(aliasName, creating: false);
        await _store.WriteAsync(async tx =>
        {
            if (await tx.FindKmsAliasAsync(region, aliasName, ct) is null)
            {
                throw Error(ErrorKind.KmsNotFound, $"Alias {_keys.AliasArn(region, aliasName)} is not found.");
            }

            var key = await RequireKeyAsync(tx, region, targetKeyId, allowAlias: false, ct);
            RequireCustomerManaged(key, "UpdateAlias");
            RequireNotPendingDeletion(key);
            await tx.UpdateKmsAliasAsync(region, aliasName, key.KeyId, Now, ct);
            return true;
        }, ct);
    }

    public async Task DeleteAliasAsync(string region, string aliasName, CancellationToken ct)
    {
        ValidateAliasName(aliasName, creating: false);
        await _store.WriteAsync(async tx =>
        {
            if (await tx.FindKmsAliasAsync(region, aliasName, ct) is null)
            {
                throw Error(ErrorKind.KmsNotFound, $"Alias {_keys.AliasArn(region, aliasName)} is not found.");
            }

            await tx.DeleteKmsAliasAsync(region, aliasName, ct);
            return true;
        }, ct);
    }

    public async Task<KmsPage<KmsAlias>> ListAliasesAsync(string region, string? keyId, int? limit, string? marker, CancellationToken ct)
    {
        var size = PageSize(limit, 100, 50);
        ValidateMarker(marker);
        if (marker is not null && !marker.StartsWith("alias/", StringComparison.Ordinal))
        {
            throw Error(ErrorKind.InvalidMarker, "Invalid marker");
        }

        Guid? filter = null;
        if (keyId is not null)
        {
            filter = (await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct)).KeyId;
        }

        var aliases = await _store.ListKmsAliasesAsync(region, filter, marker, size + 1, ct);
        var page = aliases.Take(size).ToList();
        return new KmsPage<KmsAlias>(page, aliases.Count > size ? page[^1].AliasName : null);
    }

    // ---------------------------------------------------------------- cryptography

    private static byte[] Context(IReadOnlyDictionary<string, string>? context) => EncryptionContext.Canonical(context);

    private async Task<KmsKeyRecord> UsableKeyAsync(string region, string keyId, string action, CancellationToken ct)
    {
        var key = await RequireKeyAsync(_store, region, keyId, allowAlias: true, ct);
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
            expected = await RequireKeyAsync(_store, region, keyId, allowAlias: true, ct);
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

    // ---------------------------------------------------------------- rotation

    public Task SetKeyRotationAsync(string region, string keyId, bool enabled, int? rotationPeriodInDays, CancellationToken ct)
    {
        Validate.Range(rotationPeriodInDays, "rotationPeriodInDays", 90, 2560);
        return ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, enabled ? "EnableKeyRotation" : "DisableKeyRotation");
            RequireUsable(key);
            key.RotationEnabled = enabled;
            key.RotationPeriodInDays = enabled ? rotationPeriodInDays ?? key.RotationPeriodInDays ?? 365 : key.RotationPeriodInDays;
            key.NextRotationDate = enabled ? Now.AddDays(key.RotationPeriodInDays!.Value) : null;
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public async Task<KmsKeyRecord> GetKeyRotationStatusAsync(string region, string keyId, CancellationToken ct) =>
        await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);

    public Task<KmsKeyRecord> RotateKeyOnDemandAsync(string region, string keyId, CancellationToken ct) =>
        ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "RotateKeyOnDemand");
            RequireUsable(key);
            var onDemand = (await tx.ListKmsKeyVersionsAsync(key.KeyId, ct)).Count(v => v.RotationType == "ON_DEMAND");
            if (onDemand >= 25)
            {
                throw Error(ErrorKind.LimitExceeded, $"The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {key.Arn}");
            }

            await _keys.RotateAsync(tx, key, "ON_DEMAND", Now, ct);
            return key;
        }, ct);

    public async Task<KmsPage<KmsRotationEntry>> ListKeyRotationsAsync(string region, string keyId, bool includeKeyMaterial, int? limit, string? marker, CancellationToken ct)
    {
        var size = PageSize(limit, 1000, 100);
        ValidateMarker(marker);
        uint after = 0;
        if (marker is not null && !uint.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw Error(ErrorKind.InvalidMarker, "Invalid marker");
        }

        var key = await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        var entries = (await _store.ListKmsKeyVersionsAsync(key.KeyId, ct))
            .Where(v => v.Version > after && (includeKeyMaterial || v.RotationType is not null))
            .Select(v => new KmsRotationEntry(key.KeyId, KeyRing.KeyMaterialId(key.Arn, v.Version), v.Version == key.CurrentVersion ? "CURRENT" : "NON_CURRENT", v.RotationType is null ? null : v.CreatedDate, v.RotationType))
            .ToList();
        var page = entries.Take(size).ToList();
        var versions = (await _store.ListKmsKeyVersionsAsync(key.KeyId, ct)).Where(v => v.Version > after && (includeKeyMaterial || v.RotationType is not null)).Take(size).ToList();
        return new KmsPage<KmsRotationEntry>(page, entries.Count > size ? versions[^1].Version.ToString(CultureInfo.InvariantCulture) : null);
    }

    // ---------------------------------------------------------------- policies and tags

    public async Task<string> GetKeyPolicyAsync(string region, string keyId, string? policyName, CancellationToken ct)
    {
        var key = await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        RequireDefaultPolicyName(policyName);
        return key.Policy ?? _keys.DefaultKeyPolicy();
    }

    private static void RequireDefaultPolicyName(string? policyName)
    {
        Validate.Length(policyName, "policyName", 1, 128);
        if (policyName is not null && policyName != "default")
        {
            throw Error(ErrorKind.KmsNotFound, "No such policy exists");
        }
    }

    /// <summary>PutKeyPolicy; the lockout safety check as for <see cref="CreateKeyAsync"/>.</summary>
    public async Task PutKeyPolicyAsync(string region, string keyId, string? policyName, string policy, CancellationToken ct, bool bypassLockoutCheck = false, KeyPolicyLockoutCheck? lockoutCheck = null)
    {
        RequireDefaultPolicyName(policyName);
        ValidatePolicy(policy);
        if (!bypassLockoutCheck && lockoutCheck is not null)
        {
            var current = await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
            if (current.Manager == "CUSTOMER" && !await lockoutCheck(current.Arn, policy, ct))
            {
                throw Error(ErrorKind.MalformedPolicyDocument, LockoutMessage);
            }
        }

        await ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "PutKeyPolicy");
            RequireNotPendingDeletion(key);
            key.Policy = policy;
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    /// <summary>A key has exactly one policy, named "default".</summary>
    public async Task<IReadOnlyList<string>> ListKeyPoliciesAsync(string region, string keyId, int? limit, string? marker, CancellationToken ct)
    {
        PageSize(limit, 1000, 100);
        ValidateMarker(marker);
        await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        return marker is null ? ["default"] : [];
    }

    public Task TagResourceAsync(string region, string keyId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct)
    {
        ValidateTags(tags);
        return ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "TagResource");
            RequireNotPendingDeletion(key);
            foreach (var tag in tags)
            {
                key.Tags.RemoveAll(t => t.Key == tag.Key);
                key.Tags.Add(tag);
            }

            if (key.Tags.Count > 50)
            {
                throw Error(ErrorKind.LimitExceeded, "A key can have at most 50 tags.");
            }

            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public Task UntagResourceAsync(string region, string keyId, IReadOnlyList<string> tagKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tagKeys);
        foreach (var tagKey in tagKeys)
        {
            Validate.Length(tagKey, "tagKeys.member", 1, 128);
        }

        return ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "UntagResource");
            RequireNotPendingDeletion(key);
            key.Tags.RemoveAll(t => tagKeys.Contains(t.Key));
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public async Task<KmsPage<KeyValuePair<string, string>>> ListResourceTagsAsync(string region, string keyId, int? limit, string? marker, CancellationToken ct)
    {
        var size = PageSize(limit, 50, 50);
        ValidateMarker(marker);
        var key = await RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        var tags = key.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var start = 0;
        if (marker is not null)
        {
            start = tags.FindIndex(t => string.CompareOrdinal(t.Key, marker) > 0);
            start = start < 0 ? tags.Count : start;
        }

        var page = tags.Skip(start).Take(size).ToList();
        return new KmsPage<KeyValuePair<string, string>>(page, start + page.Count < tags.Count ? page[^1].Key : null);
    }

    // ---------------------------------------------------------------- background work

    /// <summary>Rotates keys whose automatic rotation is due and deletes keys whose deletion window ended.</summary>
    public async Task<(IReadOnlyList<KmsKeyRecord> Rotated, IReadOnlyList<KmsKeyRecord> Deleted)> RunMaintenanceAsync(CancellationToken ct)
    {
        var now = Now;
        var due = await _store.FindKmsKeysDueAsync(now, 100, ct);
        var rotated = new List<KmsKeyRecord>();
        var deleted = new List<KmsKeyRecord>();
        foreach (var candidate in due)
        {
            var outcome = await _store.WriteAsync(async tx =>
            {
                var key = await tx.FindKmsKeyAsync(candidate.KeyId, ct);
                if (key is null)
                {
                    return 0;
                }

                if (key.State == "PendingDeletion" && key.DeletionDate <= now)
                {
                    await Cluster.ClusterCoordinator.MarkChangedAsync(tx, KeyRing.ChangeDomain, ct);
                    await tx.DeleteKmsKeyAsync(key.KeyId, ct);
                    return 2;
                }

                if (key.NextRotationDate is { } next && next <= now)
                {
                    var period = TimeSpan.FromDays(key.RotationPeriodInDays ?? 365);
                    while (next <= now)
                    {
                        next += period;
                    }

                    key.NextRotationDate = key.RotationEnabled ? next : null;
                    await Cluster.ClusterCoordinator.MarkChangedAsync(tx, KeyRing.ChangeDomain, ct);
                    if (key.RotationEnabled && key.State == "Enabled")
                    {
                        await _keys.RotateAsync(tx, key, "AUTOMATIC", now, ct);
                        return 1;
                    }

                    await tx.UpdateKmsKeyAsync(key, ct);
                }

                return 0;
            }, ct);
            _keys.Invalidate(candidate.KeyId);
            (outcome == 1 ? rotated : outcome == 2 ? deleted : []).Add(candidate);
        }

        return (rotated, deleted);
    }
}
