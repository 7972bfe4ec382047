using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// The root key as an AES-256 key inside a PKCS#11 token: every seal and open is a C_Encrypt or C_Decrypt with
/// CKM_AES_GCM in the token (the caller's 12-byte nonce, its AAD, a 128-bit tag). The key's value never crosses the
/// PKCS#11 interface. One logged-in session, used under a lock (a PKCS#11 session is not for concurrent use).
/// </summary>
internal sealed class Pkcs11RootKeyDevice : IRootKeyDevice
{
    private readonly Pkcs11InteropFactories _factories;
    private readonly ISession _session;
    private readonly IObjectHandle _key;
    private readonly string _token;
    private readonly Lock _lock = new();
    private bool _disposed;

    public Pkcs11RootKeyDevice(Pkcs11InteropFactories factories, ISession session, IObjectHandle key, string token)
    {
        _factories = factories;
        _session = session;
        _key = key;
        _token = token;
    }

    public byte[] Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var mechanism = Gcm(nonce.ToArray(), aad.ToArray());
        var input = plaintext.ToArray();
        try
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _session.Encrypt(mechanism, _key, input);
            }
        }
        catch (Pkcs11Exception e)
        {
            throw new RootKeyUnavailableException($"PKCS#11 token '{_token}' failed: {e.Method} returned {e.RV}");
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(input);
        }
    }

    public byte[] Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> aad)
    {
        var mechanism = Gcm(nonce.ToArray(), aad.ToArray());
        try
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _session.Decrypt(mechanism, _key, ciphertextAndTag.ToArray());
            }
        }
        catch (Pkcs11Exception e) when (!IsTokenFailure(e.RV))
        {
            // The tag did not verify (SoftHSM2 answers CKR_ENCRYPTED_DATA_INVALID or CKR_GENERAL_ERROR).
            throw new CryptoFailureException();
        }
        catch (Pkcs11Exception e)
        {
            throw new RootKeyUnavailableException($"PKCS#11 token '{_token}' failed: {e.Method} returned {e.RV}");
        }
    }

    /// <summary>Failures of the token or the session rather than of the data.</summary>
    private static bool IsTokenFailure(CKR rv) => rv is CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_ERROR or CKR.CKR_DEVICE_MEMORY or CKR.CKR_TOKEN_NOT_PRESENT
        or CKR.CKR_SESSION_CLOSED or CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_USER_NOT_LOGGED_IN or CKR.CKR_CRYPTOKI_NOT_INITIALIZED
        or CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_MECHANISM_INVALID or CKR.CKR_HOST_MEMORY;

    private IMechanism Gcm(byte[] nonce, byte[] aad) =>
        _factories.MechanismFactory.Create(CKM.CKM_AES_GCM, _factories.MechanismParamsFactory.CreateCkGcmParams(nonce, (ulong)nonce.Length * 8, aad, 128));

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _session.Dispose();
            }
            catch (Pkcs11Exception)
            {
                // The token went away; there is no session left to close.
            }
        }
    }
}
