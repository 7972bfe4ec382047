using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// The 256-bit root of the key hierarchy. Either held in memory only, in an array pinned at allocation (the GC never
/// copies it elsewhere) and zeroed on dispose; or held by a device (<see cref="IRootKeyDevice"/>, a PKCS#11 token) that
/// seals and opens every wrapped value itself, in which case the pinned bytes are not the root key but the record key:
/// a separate random key, kept wrapped by the device, that only keys the integrity tags (<see cref="RecordMac"/>) and
/// the fingerprint.
/// </summary>
public sealed class RootKey : IDisposable
{
    private readonly byte[] _bytes;

    public RootKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != AesGcmSeal.KeySize)
        {
            throw new ArgumentException("A root key is 32 bytes.", nameof(bytes));
        }

        _bytes = GC.AllocateArray<byte>(AesGcmSeal.KeySize, pinned: true);
        bytes.CopyTo(_bytes);
    }

    /// <summary>A root key held by <paramref name="device"/> (disposed with this), with its record key.</summary>
    public RootKey(IRootKeyDevice device, ReadOnlySpan<byte> recordKey)
        : this(recordKey)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
    }

    /// <summary>The in-memory root key, or for a device-held key the record key.</summary>
    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The device holding the root key, or null when the key is in memory.</summary>
    internal IRootKeyDevice? Device { get; }

    /// <summary>True when the root key is held by a device and never in this process.</summary>
    public bool IsDeviceHeld => Device is not null;

    /// <summary>A short, non-secret fingerprint (first 8 bytes of SHA-256 over a label and the key), for logs.</summary>
    public string Fingerprint()
    {
        Span<byte> input = stackalloc byte[AesGcmSeal.KeySize + 16];
        "strongroom-root\0"u8.CopyTo(input);
        _bytes.CopyTo(input[16..]);
        var hash = SHA256.HashData(input);
        CryptographicOperations.ZeroMemory(input);
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    public static RootKey Generate()
    {
        var bytes = RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);
        try
        {
            return new RootKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        Device?.Dispose();
    }

    /// <summary>Gives the key bytes to <paramref name="use"/> without letting them escape. A device-held key has none to give.</summary>
    public T Use<T>(Func<byte[], T> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        return Device is null ? use(_bytes) : throw new InvalidOperationException("The root key is held by a device and cannot be read.");
    }
}
