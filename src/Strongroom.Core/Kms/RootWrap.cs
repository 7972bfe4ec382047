using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// Wraps and unwraps values under the root key while keeping the store and the key in step: the store
/// records the fingerprint of the root key its wrapped values are under (setting
/// <see cref="FingerprintSetting"/>). A wrap checks it inside the write transaction, so a root-key rotation
/// by another process can never interleave with it; an unwrap that fails after such a rotation reloads
/// the key from its provider once. Thread-safe.
/// </summary>
public sealed class RootWrap
{
    public const string FingerprintSetting = "root_key_fingerprint";
    private readonly RootKeyHolder _holder;

    public RootWrap(RootKeyHolder holder)
    {
        _holder = holder;
    }

    public string Fingerprint => _holder.Current.Fingerprint();

    public async Task<byte[]> WrapAsync(IStoreTransaction tx, byte[] plaintext, string binding, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await EnsureCurrentAsync(tx, ct);
        return WrappedKey.Wrap(_holder.Current, plaintext, binding);
    }

    public async Task<byte[]> UnwrapAsync(ISettingsReader reader, byte[] wrapped, string binding, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        try
        {
            return WrappedKey.Unwrap(_holder.Current, wrapped, binding);
        }
        catch (CryptoFailureException)
        {
            var stored = await reader.GetSettingAsync(FingerprintSetting, ct);
            if (stored is null || stored == _holder.Current.Fingerprint() || !_holder.TryReload(stored))
            {
                throw;
            }

            return WrappedKey.Unwrap(_holder.Current, wrapped, binding);
        }
    }

    /// <summary>
    /// The integrity tag (<see cref="RecordMac"/>) of a row's <paramref name="content"/> under the current root key, checked
    /// against the store's fingerprint inside the write transaction as a wrap is.
    /// </summary>
    public async Task<byte[]> MacAsync(IStoreTransaction tx, byte[] content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await EnsureCurrentAsync(tx, ct);
        return RecordMac.Compute(_holder.Current, content);
    }

    /// <summary>
    /// True when <paramref name="mac"/> is the tag of <paramref name="content"/> under the root key; after a rotation by
    /// another process the key is reloaded once, as for an unwrap. A missing tag never verifies.
    /// </summary>
    public async Task<bool> VerifyAsync(ISettingsReader reader, byte[] content, byte[]? mac, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (mac is null)
        {
            return false;
        }

        if (RecordMac.Verify(_holder.Current, content, mac))
        {
            return true;
        }

        var stored = await reader.GetSettingAsync(FingerprintSetting, ct);
        return stored is not null && stored != _holder.Current.Fingerprint() && _holder.TryReload(stored) && RecordMac.Verify(_holder.Current, content, mac);
    }

    /// <summary>
    /// Raised when a stored row fails its integrity check or a wrapped value does not unwrap under its binding: the
    /// table and the row's key (never key material or values). The host records it in the audit trail and the log.
    /// </summary>
    public event Action<string, string>? IntegrityFailure;

    public void ReportIntegrityFailure(string table, string key) => IntegrityFailure?.Invoke(table, key);

    private async Task EnsureCurrentAsync(ISettingsWriter tx, CancellationToken ct)
    {
        var stored = await tx.GetSettingAsync(FingerprintSetting, ct);
        if (stored is null)
        {
            await tx.SetSettingAsync(FingerprintSetting, _holder.Current.Fingerprint(), ct);
            return;
        }

        if (stored != _holder.Current.Fingerprint() && !_holder.TryReload(stored))
        {
            throw new RootKeyUnavailableException($"the data directory's root key was rotated (fingerprint {stored}) and this process cannot load the new key; restart it with the new root key");
        }
    }
}
