using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>The life of a KMS key: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey/DisableKey, ScheduleKeyDeletion/CancelKeyDeletion, and the background work (due rotations, ended deletion windows).</summary>
public sealed class KmsKeyLifecycle
{
    private readonly KmsKeyContext _context;
    private readonly IStore _store;
    private readonly KeyRing _keys;

    internal KmsKeyLifecycle(KmsKeyContext context)
    {
        _context = context;
        _store = context.Store;
        _keys = context.Keys;
    }

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
                State = KmsKeyState.Enabled,
                Manager = KmsKeyManager.Customer,
                Description = request.Description ?? string.Empty,
                CreatedDate = _context.Now,
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
            return await _store.WriteAsync(tx => _context.RequireKeyAsync(tx, region, keyId, allowAlias: true, ct), ct);
        }

        return await _context.RequireKeyAsync(_store, region, keyId, allowAlias: true, ct);
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
        return _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "UpdateKeyDescription");
            RequireNotPendingDeletion(key);
            key.Description = description;
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public Task SetEnabledAsync(string region, string keyId, bool enabled, CancellationToken ct) =>
        _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, enabled ? "EnableKey" : "DisableKey");
            RequireNotPendingDeletion(key);
            var was = key.State;
            key.State = enabled ? KmsKeyState.Enabled : KmsKeyState.Disabled;
            await tx.UpdateKmsKeyAsync(key, ct);
            if (!enabled && was != KmsKeyState.Disabled)
            {
                await _context.Events.AddAsync(tx, Events.EventCatalog.Disabled(key), ct);
            }

            return true;
        }, ct);

    public Task<KmsKeyRecord> ScheduleKeyDeletionAsync(string region, string keyId, int? pendingWindowInDays, CancellationToken ct)
    {
        Validate.Range(pendingWindowInDays, "pendingWindowInDays", 7, 30);
        return _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "ScheduleKeyDeletion");
            RequireNotPendingDeletion(key);
            var window = pendingWindowInDays ?? 30;
            key.State = KmsKeyState.PendingDeletion;
            key.PendingWindowInDays = window;
            key.DeletionDate = _context.Now.AddDays(window);
            await tx.UpdateKmsKeyAsync(key, ct);
            await _context.Events.AddAsync(tx, Events.EventCatalog.PendingDeletion(key), ct);
            return key;
        }, ct);
    }

    public Task<KmsKeyRecord> CancelKeyDeletionAsync(string region, string keyId, CancellationToken ct) =>
        _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "CancelKeyDeletion");
            if (key.State != KmsKeyState.PendingDeletion)
            {
                throw Error(ErrorKind.KmsInvalidState, $"{key.Arn} is not pending deletion.");
            }

            key.State = KmsKeyState.Disabled;
            key.DeletionDate = null;
            key.PendingWindowInDays = null;
            await tx.UpdateKmsKeyAsync(key, ct);
            return key;
        }, ct);

    /// <summary>Rotates keys whose automatic rotation is due and deletes keys whose deletion window ended.</summary>
    public async Task<(IReadOnlyList<KmsKeyRecord> Rotated, IReadOnlyList<KmsKeyRecord> Deleted)> RunMaintenanceAsync(CancellationToken ct)
    {
        var now = _context.Now;
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

                if (key.State == KmsKeyState.PendingDeletion && key.DeletionDate <= now)
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
                    if (key.RotationEnabled && key.State == KmsKeyState.Enabled)
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
