using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// Root-key custody in a PKCS#11 token (an HSM; tested with SoftHSM2). The root key is an AES-256 key generated inside
/// the token (CKA_SENSITIVE, not CKA_EXTRACTABLE, a private token object) and never leaves it: the token seals and opens
/// every KMS key version and access-key secret itself with CKM_AES_GCM (<see cref="Pkcs11RootKeyDevice"/>). AES key wrap
/// with padding (CKM_AES_KEY_WRAP_PAD) is not used: it has no associated data, and each wrapped value is bound to its row
/// through the AAD. root.key.pkcs11 names module, token and key, and holds the record key — a separate random key that
/// keys only the integrity tags of rows — sealed by the token. The PIN comes from a file or STRONGROOM_PKCS11_PIN,
/// never from a flag.
/// </summary>
public static class Pkcs11Custody
{
    public const string PinVariable = "STRONGROOM_PKCS11_PIN";

    /// <summary>The custody file's <see cref="CustodyState.Holds"/> for this scheme.</summary>
    public const string RecordKey = "record-key";

    private static readonly byte[] RecordKeyAad = System.Text.Encoding.ASCII.GetBytes("strongroom-record-key");
    private static readonly Dictionary<string, IPkcs11Library> Libraries = [];
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

    /// <summary>
    /// A new root key in the token: the token's key (created when the token holds none with the label) and a fresh
    /// record key sealed by it. Returns the custody state to write and the key, which holds the token session.
    /// </summary>
    public static (CustodyState State, RootKey Key) Create(RootKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var module = options.Pkcs11Module ?? throw new RootKeyUnavailableException("--root-key pkcs11 needs --pkcs11-module (the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)");
        var token = options.Pkcs11TokenLabel ?? throw new RootKeyUnavailableException("--root-key pkcs11 needs --pkcs11-token-label");
        var label = options.Pkcs11KeyLabel ?? throw new RootKeyUnavailableException("--root-key pkcs11 needs --pkcs11-key-label");
        if (options.Pkcs11Mechanism is not (null or "aes-gcm"))
        {
            throw new RootKeyUnavailableException($"--pkcs11-mechanism must be aes-gcm, not '{options.Pkcs11Mechanism}': the token seals each key version with its row as associated data, which AES key wrap cannot carry");
        }

        var device = Connect(module, token, ReadPin(options), label, create: true);
        var record = RandomNumberGenerator.GetBytes(AesGcmSeal.KeySize);
        try
        {
            var iv = RandomNumberGenerator.GetBytes(AesGcmSeal.NonceSize);
            var wrapped = device.Seal(iv, record, RecordKeyAad);
            var key = new RootKey(device, record);
            var state = new CustodyState
            {
                Mode = "pkcs11", Fingerprint = key.Fingerprint(), Module = module, TokenLabel = token, KeyLabel = label,
                Mechanism = nameof(CKM.CKM_AES_GCM), Holds = RecordKey, Iv = Convert.ToBase64String(iv), Wrapped = Convert.ToBase64String(wrapped),
            };
            return (state, key);
        }
        catch
        {
            device.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(record);
        }
    }

    /// <summary>Opens the root key of <paramref name="state"/>: a session with the token's key, and the record key the token unseals.</summary>
    public static RootKey Open(RootKeyOptions options, CustodyState state)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Holds != RecordKey || state.Mechanism != nameof(CKM.CKM_AES_GCM))
        {
            throw new RootKeyUnavailableException("root.key.pkcs11 is not in the format where the token seals every key version (it was written by an earlier development build); rotate to file custody with that build, then to pkcs11");
        }

        // The custody file names the token and key; --pkcs11-module overrides a module path that no longer exists (the library moved).
        var module = (state.Module is { } recorded && File.Exists(recorded) ? recorded : options.Pkcs11Module ?? state.Module) ?? throw new RootKeyUnavailableException("root.key.pkcs11 names no module; give --pkcs11-module");
        var token = state.TokenLabel ?? throw new RootKeyUnavailableException("root.key.pkcs11 names no token");
        var label = state.KeyLabel ?? throw new RootKeyUnavailableException("root.key.pkcs11 names no key");
        var device = Connect(module, token, ReadPin(options), label, create: false);
        byte[]? record = null;
        try
        {
            try
            {
                record = device.Open(Convert.FromBase64String(state.Iv ?? string.Empty), Convert.FromBase64String(state.Wrapped ?? string.Empty), RecordKeyAad);
            }
            catch (Exception e) when (e is CryptoFailureException or FormatException)
            {
                throw new RootKeyUnavailableException($"the key labelled '{label}' in token '{token}' does not open the record key in root.key.pkcs11: it is not the key this data directory was set up with");
            }

            var key = record.Length == AesGcmSeal.KeySize ? new RootKey(device, record) : throw new RootKeyUnavailableException("root.key.pkcs11 holds a record key of the wrong length");
            if (key.Fingerprint() != state.Fingerprint)
            {
                throw new RootKeyUnavailableException($"the record key the token opened has a fingerprint different from {state.Fingerprint} recorded in root.key.pkcs11");
            }

            return key;
        }
        catch
        {
            device.Dispose();
            throw;
        }
        finally
        {
            if (record is not null)
            {
                CryptographicOperations.ZeroMemory(record);
            }
        }
    }

    private static IObjectHandle? FindKey(Pkcs11InteropFactories factories, ISession session, string label) => session.FindAllObjects(
    [
        factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
        factories.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
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
        factories.ObjectAttributeFactory.Create(CKA.CKA_WRAP, false),
        factories.ObjectAttributeFactory.Create(CKA.CKA_UNWRAP, false),
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

    /// <summary>
    /// Loads the module (once per process: a second C_Initialize or a C_Finalize would disturb the sessions open on it),
    /// finds the token by label, opens a session, logs in and finds (or, with <paramref name="create"/>, generates) the
    /// key. A key that could leave the token (extractable or not sensitive) is refused. Every PKCS#11 failure becomes a message.
    /// </summary>
    private static Pkcs11RootKeyDevice Connect(string module, string token, string pin, string label, bool create)
    {
        MapLibdl();
        var factories = new Pkcs11InteropFactories();
        ISession? session = null;
        try
        {
            IPkcs11Library library;
            lock (Libraries)
            {
                if (!Libraries.TryGetValue(module, out library!))
                {
                    library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, module, AppType.MultiThreaded);
                    Libraries[module] = library;
                }
            }

            var slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.GetTokenInfo().Label.Trim() == token)
                ?? throw new RootKeyUnavailableException($"PKCS#11 module '{module}' has no token labelled '{token}' present");
            if (!slot.GetMechanismList().Contains(CKM.CKM_AES_GCM))
            {
                throw new RootKeyUnavailableException($"token '{token}' does not offer CKM_AES_GCM, which Strongroom needs to seal key versions in the token");
            }

            session = slot.OpenSession(SessionType.ReadWrite);
            try
            {
                session.Login(CKU.CKU_USER, pin);
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_USER_ALREADY_LOGGED_IN)
            {
                // Another root key of this process (a rotation's source or target) logged in to the token already.
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED)
            {
                throw new RootKeyUnavailableException($"token '{token}' refused the PIN ({e.RV})");
            }

            var key = FindKey(factories, session, label) ?? (create ? GenerateKey(factories, session, label) : throw new RootKeyUnavailableException($"token '{token}' holds no AES key labelled '{label}'"));
            var attributes = session.GetAttributeValue(key, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE]);
            if (!attributes[0].GetValueAsBool() || attributes[1].GetValueAsBool())
            {
                throw new RootKeyUnavailableException($"the key labelled '{label}' in token '{token}' can leave the token (it must be CKA_SENSITIVE and not CKA_EXTRACTABLE)");
            }

            var device = new Pkcs11RootKeyDevice(factories, session, key, token);
            session = null;
            return device;
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
        finally
        {
            session?.Dispose();
        }
    }
}
