using System.Security.Cryptography;
using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// Root-key custody in a PKCS#11 token (an HSM; tested with SoftHSM2). The token holds an AES-256 key generated inside
/// it (CKA_SENSITIVE, not CKA_EXTRACTABLE, a token object); Strongroom never sees that key. It asks the token to wrap the
/// root key with it — CKM_AES_GCM (12-byte random IV, 128-bit tag, the label "strongroom-root-key" as AAD) when the token
/// offers it, else CKM_AES_KEY_WRAP_PAD (RFC 5649) — and keeps only the wrapped bytes in root.key.pkcs11. At start the
/// token unwraps them. The PIN comes from a file or STRONGROOM_PKCS11_PIN, never from a flag.
/// </summary>
public static class Pkcs11Custody
{
    public const string PinVariable = "STRONGROOM_PKCS11_PIN";
    private static readonly byte[] Aad = Encoding.ASCII.GetBytes("strongroom-root-key");
    private static int _resolverSet;

    /// <summary>
    /// Pkcs11Interop loads modules through dlopen imported from "libdl", which is libdl.so only where libc6-dev is
    /// installed; the maintainers' advice is to map the name in the application. glibc has dlopen in libdl.so.2.
    /// </summary>
    private static void MapLibdl()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _resolverSet, 1) == 1)
        {
            return;
        }

        System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, assembly, path) =>
            name == "libdl" && System.Runtime.InteropServices.NativeLibrary.TryLoad("libdl.so.2", assembly, path, out var handle) ? handle : IntPtr.Zero);
    }

    /// <summary>Wraps <paramref name="key"/> in the token (creating the token key when missing) and returns the custody state.</summary>
    public static CustodyState Wrap(RootKeyOptions options, RootKey key)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        var module = options.Pkcs11Module ?? throw new RootKeyUnavailableException("--root-key pkcs11 needs --pkcs11-module (the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)");
        var token = options.Pkcs11TokenLabel ?? throw new RootKeyUnavailableException("--root-key pkcs11 needs --pkcs11-token-label");
        var label = options.Pkcs11KeyLabel ?? throw new RootKeyUnavailableException("--root-key pkcs11 needs --pkcs11-key-label");
        return Session(module, token, ReadPin(options), (factories, slot, session) =>
        {
            var handle = FindKey(factories, session, label) ?? GenerateKey(factories, session, label);
            var mechanisms = slot.GetMechanismList();
            var mechanism = options.Pkcs11Mechanism switch
            {
                null => mechanisms.Contains(CKM.CKM_AES_GCM) ? CKM.CKM_AES_GCM : CKM.CKM_AES_KEY_WRAP_PAD,
                "aes-gcm" => CKM.CKM_AES_GCM,
                "aes-key-wrap-pad" => CKM.CKM_AES_KEY_WRAP_PAD,
                var other => throw new RootKeyUnavailableException($"--pkcs11-mechanism must be aes-gcm or aes-key-wrap-pad, not '{other}'"),
            };
            if (!mechanisms.Contains(mechanism))
            {
                throw new RootKeyUnavailableException($"token '{token}' does not offer {mechanism}");
            }

            var state = new CustodyState { Mode = "pkcs11", Fingerprint = key.Fingerprint(), Module = module, TokenLabel = token, KeyLabel = label, Mechanism = mechanism.ToString() };
            if (mechanism == CKM.CKM_AES_GCM)
            {
                var iv = RandomNumberGenerator.GetBytes(12);
                var wrapped = key.Use(bytes => session.Encrypt(Gcm(factories, iv), handle, bytes));
                state.Iv = Convert.ToBase64String(iv);
                state.Wrapped = Convert.ToBase64String(wrapped);
            }
            else
            {
                // Key wrap works on key objects: the root key becomes a session object only long enough to be wrapped.
                var temporary = key.Use(bytes => session.CreateObject(
                [
                    factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, false),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_EXTRACTABLE, true),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_VALUE, bytes),
                ]));
                try
                {
                    state.Wrapped = Convert.ToBase64String(session.WrapKey(factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD), handle, temporary));
                }
                finally
                {
                    session.DestroyObject(temporary);
                }
            }

            return state;
        });
    }

    /// <summary>Has the token unwrap the root key of <paramref name="state"/>.</summary>
    public static RootKey Unwrap(RootKeyOptions options, CustodyState state)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(state);
        // The custody file names the token and key the root key was wrapped with; --pkcs11-module overrides a module
        // path that no longer exists (the library moved).
        var module = (state.Module is { } recorded && File.Exists(recorded) ? recorded : options.Pkcs11Module ?? state.Module) ?? throw new RootKeyUnavailableException("root.key.pkcs11 names no module; give --pkcs11-module");
        var token = state.TokenLabel ?? throw new RootKeyUnavailableException("root.key.pkcs11 names no token");
        var label = state.KeyLabel ?? throw new RootKeyUnavailableException("root.key.pkcs11 names no key");
        var wrapped = Convert.FromBase64String(state.Wrapped ?? string.Empty);
        return Session(module, token, ReadPin(options), (factories, _, session) =>
        {
            var handle = FindKey(factories, session, label) ?? throw new RootKeyUnavailableException($"token '{token}' holds no key labelled '{label}'");
            byte[] bytes;
            if (state.Mechanism == nameof(CKM.CKM_AES_GCM))
            {
                bytes = session.Decrypt(Gcm(factories, Convert.FromBase64String(state.Iv ?? string.Empty)), handle, wrapped);
            }
            else if (state.Mechanism == nameof(CKM.CKM_AES_KEY_WRAP_PAD))
            {
                var unwrapped = session.UnwrapKey(factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD), handle, wrapped,
                [
                    factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, false),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_SENSITIVE, false),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_EXTRACTABLE, true),
                ]);
                try
                {
                    bytes = session.GetAttributeValue(unwrapped, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
                }
                finally
                {
                    session.DestroyObject(unwrapped);
                }
            }
            else
            {
                throw new RootKeyUnavailableException($"root.key.pkcs11 names an unknown mechanism '{state.Mechanism}'");
            }

            try
            {
                var key = bytes.Length == AesGcmSeal.KeySize ? new RootKey(bytes) : throw new RootKeyUnavailableException($"the token unwrapped {bytes.Length} bytes; a root key is 32");
                if (key.Fingerprint() != state.Fingerprint)
                {
                    key.Dispose();
                    throw new RootKeyUnavailableException($"the key the token unwrapped has fingerprint different from {state.Fingerprint} recorded in root.key.pkcs11");
                }

                return key;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        });
    }

    private static IMechanism Gcm(Pkcs11InteropFactories factories, byte[] iv) =>
        factories.MechanismFactory.Create(CKM.CKM_AES_GCM, factories.MechanismParamsFactory.CreateCkGcmParams(iv, (ulong)iv.Length * 8, Aad, 128));

    private static IObjectHandle? FindKey(Pkcs11InteropFactories factories, ISession session, string label) => session.FindAllObjects(
    [
        factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
        factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
    ]).FirstOrDefault();

    private static IObjectHandle GenerateKey(Pkcs11InteropFactories factories, ISession session, string label) => session.GenerateKey(factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
    [
        factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
        factories.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
        factories.ObjectAttributeFactory.Create(CKA.CKA_VALUE_LEN, 32),
        factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
        factories.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, true),
        factories.ObjectAttributeFactory.Create(CKA.CKA_PRIVATE, true),
        factories.ObjectAttributeFactory.Create(CKA.CKA_SENSITIVE, true),
        factories.ObjectAttributeFactory.Create(CKA.CKA_EXTRACTABLE, false),
        factories.ObjectAttributeFactory.Create(CKA.CKA_ENCRYPT, true),
        factories.ObjectAttributeFactory.Create(CKA.CKA_DECRYPT, true),
        factories.ObjectAttributeFactory.Create(CKA.CKA_WRAP, true),
        factories.ObjectAttributeFactory.Create(CKA.CKA_UNWRAP, true),
    ]);

    private static string ReadPin(RootKeyOptions options)
    {
        string? pin;
        if (options.Pkcs11PinFile is { } file)
        {
            try
            {
                pin = File.ReadLines(file).FirstOrDefault();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RootKeyUnavailableException($"PIN file '{file}' cannot be read: {e.Message}");
            }
        }
        else
        {
            pin = Environment.GetEnvironmentVariable(PinVariable);
        }

        return string.IsNullOrEmpty(pin)
            ? throw new RootKeyUnavailableException($"the PKCS#11 user PIN is missing: set {PinVariable} or give --pkcs11-pin-file")
            : pin;
    }

    /// <summary>Loads the module, finds the token by label, logs in and runs <paramref name="use"/>; every PKCS#11 failure becomes a message.</summary>
    private static T Session<T>(string module, string token, string pin, Func<Pkcs11InteropFactories, ISlot, ISession, T> use)
    {
        MapLibdl();
        var factories = new Pkcs11InteropFactories();
        try
        {
            using var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, module, AppType.MultiThreaded);
            var slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.GetTokenInfo().Label.Trim() == token)
                ?? throw new RootKeyUnavailableException($"PKCS#11 module '{module}' has no token labelled '{token}' present");
            using var session = slot.OpenSession(SessionType.ReadWrite);
            try
            {
                session.Login(CKU.CKU_USER, pin);
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED)
            {
                throw new RootKeyUnavailableException($"token '{token}' refused the PIN ({e.RV})");
            }

            try
            {
                return use(factories, slot, session);
            }
            finally
            {
                session.Logout();
            }
        }
        catch (Pkcs11Exception e)
        {
            throw new RootKeyUnavailableException($"PKCS#11 token '{token}' failed: {e.Method} returned {e.RV}");
        }
        catch (UnmanagedException e)
        {
            throw new RootKeyUnavailableException($"PKCS#11 module '{module}' cannot be used: {e.Message}");
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            throw new RootKeyUnavailableException($"PKCS#11 module '{module}' cannot be loaded: {e.GetType().Name}");
        }
    }
}
