using System.Security.Cryptography;

namespace Strongroom.Core.Kms;

/// <summary>
/// One unwrapped material generation the <see cref="KeyRing"/> keeps in memory. No caller ever holds these bytes: each
/// takes its own copy (<see cref="CopyOrNull"/>) and zeroes it after use, so zeroing the cached bytes when the ring forgets
/// them (an invalidation may come from the change feed at any moment) never changes a key an encryption or decryption is
/// using. Thread-safe.
/// </summary>
internal sealed class CachedMaterial
{
    private readonly Lock _gate = new();
    private readonly byte[] _bytes;
    private bool _zeroed;

    /// <summary>Keeps a copy of <paramref name="material"/>; the caller still owns (and zeroes) its own bytes.</summary>
    public CachedMaterial(ReadOnlySpan<byte> material) => _bytes = material.ToArray();

    /// <summary>A copy of the material for one use (the caller zeroes it), or null once <see cref="Zero"/> ran.</summary>
    public byte[]? CopyOrNull()
    {
        lock (_gate)
        {
            return _zeroed ? null : (byte[])_bytes.Clone();
        }
    }

    /// <summary>Zeroes the cached bytes; copies already handed out are unaffected.</summary>
    public void Zero()
    {
        lock (_gate)
        {
            CryptographicOperations.ZeroMemory(_bytes);
            _zeroed = true;
        }
    }
}
