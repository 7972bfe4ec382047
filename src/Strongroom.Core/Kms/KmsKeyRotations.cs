using System.Globalization;
using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>Rotation of key material: EnableKeyRotation/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations.</summary>
public sealed class KmsKeyRotations
{
    private readonly KmsKeyContext _context;
    private readonly IStoreReader _store;
    private readonly KeyRing _keys;

    internal KmsKeyRotations(KmsKeyContext context)
    {
        _context = context;
        _store = context.Store;
        _keys = context.Keys;
    }

    public Task SetKeyRotationAsync(string region, string keyId, bool enabled, int? rotationPeriodInDays, CancellationToken ct)
    {
        Validate.Range(rotationPeriodInDays, "rotationPeriodInDays", 90, 2560);
        return _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, enabled ? "EnableKeyRotation" : "DisableKeyRotation");
            RequireUsable(key);
            key.RotationEnabled = enabled;
            key.RotationPeriodInDays = enabled ? rotationPeriodInDays ?? key.RotationPeriodInDays ?? 365 : key.RotationPeriodInDays;
            key.NextRotationDate = enabled ? _context.Now.AddDays(key.RotationPeriodInDays!.Value) : null;
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public async Task<KmsKeyRecord> GetKeyRotationStatusAsync(string region, string keyId, CancellationToken ct) =>
        await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);

    public Task<KmsKeyRecord> RotateKeyOnDemandAsync(string region, string keyId, CancellationToken ct) =>
        _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "RotateKeyOnDemand");
            RequireUsable(key);
            var onDemand = (await tx.ListKmsKeyVersionsAsync(key.KeyId, ct)).Count(v => v.RotationType == "ON_DEMAND");
            if (onDemand >= 25)
            {
                throw Error(ErrorKind.LimitExceeded, $"The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {key.Arn}");
            }

            await _keys.RotateAsync(tx, key, "ON_DEMAND", _context.Now, ct);
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

        var key = await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        var entries = (await _store.ListKmsKeyVersionsAsync(key.KeyId, ct))
            .Where(v => v.Version > after && (includeKeyMaterial || v.RotationType is not null))
            .Select(v => new KmsRotationEntry(key.KeyId, KeyRing.KeyMaterialId(key.Arn, v.Version), v.Version == key.CurrentVersion ? "CURRENT" : "NON_CURRENT", v.RotationType is null ? null : v.CreatedDate, v.RotationType))
            .ToList();
        var page = entries.Take(size).ToList();
        var versions = (await _store.ListKmsKeyVersionsAsync(key.KeyId, ct)).Where(v => v.Version > after && (includeKeyMaterial || v.RotationType is not null)).Take(size).ToList();
        return new KmsPage<KmsRotationEntry>(page, entries.Count > size ? versions[^1].Version.ToString(CultureInfo.InvariantCulture) : null);
    }
}
