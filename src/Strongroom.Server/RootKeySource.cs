using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konscious.Security.Cryptography;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// The root-key providers: a key file (default), an environment variable, or a passphrase stretched by
/// Argon2id (memory-hard; parameters and salt in DATA_DIR/root.key.kdf, not secret). Each failure is a
/// <see cref="RootKeyUnavailableException"/> that says why and where it looked.
/// A provider with a state file (root.key, root.key.kdf) rotates by writing "&lt;file&gt;.next" first and
/// promoting it only after the store has been re-wrapped, so an interrupted rotation is recoverable.
/// </summary>
public sealed class RootKeySource
{
    private const string KdfFile = "root.key.kdf";

    /// <summary>Each mode's state file in the data directory (env keeps none).</summary>
    private static readonly (string Mode, string File)[] StateFiles =
        [("file", "root.key"), ("passphrase", KdfFile), ("pkcs11", "root.key.pkcs11"), ("shamir", "root.key.shamir"), ("kms", "root.key.kms")];

    private readonly RootKeyOptions _options;
    private readonly string _dataDir;
    private string? _passphrase;

    public RootKeySource(RootKeyOptions options, string dataDir)
        : this(options, dataDir, null)
    {
    }

    /// <param name="mode">The mode to use regardless of the data directory (a rotation's target); null: the directory's state file decides, else the options.</param>
    private RootKeySource(RootKeyOptions options, string dataDir, string? mode)
    {
        _options = options;
        _dataDir = dataDir;
        if (options.Provider is not ("file" or "env" or "passphrase" or "pkcs11" or "shamir" or "kms"))
        {
            throw new RootKeyUnavailableException($"--root-key must be file, env, passphrase, pkcs11, shamir or kms, not '{options.Provider}'");
        }

        if (mode is not null)
        {
            Provider = mode;
            return;
        }

        // An initialised directory says its own mode; when a rotation between modes stopped between promoting the new
        // state file and deleting the old one, the newer file is the one the store was re-wrapped for.
        var present = StateFiles.Select(f => (f.Mode, Path: Path.Combine(dataDir, f.File))).Where(f => File.Exists(f.Path)).OrderByDescending(f => File.GetLastWriteTimeUtc(f.Path)).ToList();
        Provider = present.Count > 0 ? present[0].Mode : options.Provider;
        StaleStateFiles = [.. present.Skip(1).Select(f => f.Path)];
    }

    /// <summary>The mode in use: file, env, passphrase, pkcs11, shamir or kms.</summary>
    public string Provider { get; }

    /// <summary>Older state files of another mode left by an interrupted rotation between modes (deleted once the key is proven).</summary>
    public IReadOnlyList<string> StaleStateFiles { get; } = [];

    /// <summary>The same options in <paramref name="mode"/>, for a rotation to another mode.</summary>
    public RootKeySource ForMode(RootKeyOptions options, string mode) => new(options, _dataDir, mode);

    /// <summary>Where the key comes from, for messages. Never holds key material.</summary>
    public string Describe() => Provider switch
    {
        "env" => $"environment variable {_options.EnvName}",
        "passphrase" => $"a passphrase ({PassphraseOrigin()}) with KDF parameters '{StateFile}'",
        "pkcs11" => $"the PKCS#11 token named in '{StateFile}'",
        "shamir" => $"Shamir key shares (custody file '{StateFile}')",
        "kms" => $"the KMS key named in '{StateFile}'",
        _ => $"root key file '{StateFile}'",
    };

    private string PassphraseOrigin() => _options.PassphraseFile is not null ? $"file '{_options.PassphraseFile}'" : _options.PassphraseEnv is not null ? $"variable {_options.PassphraseEnv}" : "prompt";

    /// <summary>The provider's file in the data directory, or null for env.</summary>
    public string? StateFile => StateFiles.Where(f => f.Mode == Provider).Select(f => Path.Combine(_dataDir, f.File)).FirstOrDefault();

    public string? NextFile => StateFile is null ? null : StateFile + ".next";

    public bool HasNext => NextFile is not null && File.Exists(NextFile);

    /// <summary>The custody state (pkcs11, shamir, kms) of the data directory, or null in the other modes.</summary>
    public CustodyState? Custody => Provider is "pkcs11" or "shamir" or "kms" && File.Exists(StateFile) ? CustodyState.Read(StateFile!) : null;

    /// <summary>A pending rotation's next state in any mode (the source for that mode), or null.</summary>
    public RootKeySource? PendingNext() => StateFiles.Where(f => File.Exists(Path.Combine(_dataDir, f.File + ".next"))).Select(f => new RootKeySource(_options, _dataDir, f.Mode)).FirstOrDefault();

    /// <summary>
    /// The fingerprint of this source's pending next key: read from a custody file, or by loading the key (file, passphrase).
    /// </summary>
    public string NextFingerprint()
    {
        if (Provider is "pkcs11" or "shamir" or "kms")
        {
            return CustodyState.Read(NextFile!).Fingerprint;
        }

        using var key = Load(NextFile);
        return key.Fingerprint();
    }

    /// <summary>Obtains the key for a new data directory (creating the key file, KDF parameters or custody file).</summary>
    public RootKey Create() => CreateAt(StateFile);

    private RootKey CreateAt(string? path)
    {
        switch (Provider)
        {
            case "file":
                return new FileRootKeyProvider(path!).Create();
            case "passphrase":
                WriteKdfParameters(path!);
                return Load(path);
            case "pkcs11":
                var (tokenState, tokenKey) = Pkcs11Custody.Create(_options);
                try
                {
                    tokenState.Write(path!);
                    return tokenKey;
                }
                catch
                {
                    tokenKey.Dispose();
                    throw;
                }

            case "shamir" or "kms":
                var key = RootKey.Generate();
                try
                {
                    var state = Provider == "shamir" ? ShamirCustody.Split(_options, key) : KmsCustody.Wrap(_options, key);
                    state.Write(path!);
                    return key;
                }
                catch
                {
                    key.Dispose();
                    throw;
                }

            default:
                return Load();
        }
    }

    /// <summary>Loads the key, from <paramref name="stateFile"/> when given (a pending rotation's .next file).</summary>
    /// <exception cref="RootKeySealedException">for shamir without shares, and for kms when the KMS cannot be reached or refuses.</exception>
    public RootKey Load(string? stateFile = null) => Provider switch
    {
        "env" => FromEnvironment(_options.EnvName),
        "passphrase" => Derive(ReadPassphrase(), stateFile ?? StateFile!),
        "pkcs11" => Pkcs11Custody.Open(_options, CustodyState.Read(stateFile ?? StateFile!)),
        "kms" => KmsCustody.Unwrap(CustodyState.Read(stateFile ?? StateFile!)),
        "shamir" => Unsealed(CustodyState.Read(stateFile ?? StateFile!)),
        _ => new FileRootKeyProvider(stateFile ?? StateFile!).Load(),
    };

    private RootKey Unsealed(CustodyState state)
    {
        if (_options.Unsealed is { } key && key.Fingerprint() == state.Fingerprint)
        {
            return key.Use(bytes => new RootKey(bytes));
        }

        if (_options.ShareFiles.Count > 0)
        {
            var unsealer = new Unsealer(state, TimeProvider.System);
            foreach (var file in _options.ShareFiles)
            {
                string text;
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new RootKeyUnavailableException($"share file '{file}' cannot be read: {e.Message}");
                }

                var outcome = unsealer.Submit(text);
                if (!outcome.Accepted)
                {
                    throw new RootKeyUnavailableException($"share file '{file}': {outcome.Message}");
                }

                if (outcome.Key is { } rebuilt)
                {
                    return rebuilt;
                }
            }

            throw new RootKeyUnavailableException($"{_options.ShareFiles.Count} share files given; {state.Threshold} of the {state.Shares} shares are needed");
        }

        throw new RootKeySealedException($"{state.Threshold} of the {state.Shares} key shares are needed (strongroom operator unseal)");
    }

    /// <summary>A reloader for a running server, or null when the provider cannot be read again (a prompt, shares).</summary>
    public Func<RootKey>? Reloader() =>
        (Provider == "passphrase" && _options.PassphraseFile is null && _options.PassphraseEnv is null) || Provider == "shamir" ? null : () =>
        {
            try
            {
                return Load();
            }
            catch (RootKeySealedException e)
            {
                throw new RootKeyUnavailableException(e.Message);
            }
        };

    /// <summary>
    /// Makes the next root key for a rotation: writes "&lt;state&gt;.next" (every mode but env) and returns the key.
    /// For env, reads the new key from <paramref name="newKeyEnv"/>.
    /// </summary>
    public RootKey CreateNext(string? newKeyEnv, string? newPassphrase)
    {
        switch (Provider)
        {
            case "file" or "pkcs11" or "shamir" or "kms":
                DiscardNext();
                return CreateAt(NextFile);
            case "passphrase":
                DiscardNext();
                WriteKdfParameters(NextFile!);
                if (newPassphrase is not null)
                {
                    _passphrase = newPassphrase;
                }

                return Derive(ReadPassphrase(), NextFile!);
            default:
                if (newKeyEnv is null)
                {
                    throw new RootKeyUnavailableException("rotating to an env root key needs --new-root-key-env naming a variable that holds the new key (base64 of 32 bytes)");
                }

                return FromEnvironment(newKeyEnv);
        }
    }

    /// <summary>Deletes the state files of other modes (after a rotation between modes, once this mode's file is in place).</summary>
    public void DeleteOtherStateFiles()
    {
        var deleted = false;
        foreach (var (_, file) in StateFiles)
        {
            var path = Path.Combine(_dataDir, file);
            if (path != StateFile && File.Exists(path))
            {
                File.Delete(path);
                deleted = true;
            }
        }

        if (deleted)
        {
            SyncDirectory(_dataDir);
        }
    }

    /// <summary>Makes "&lt;state&gt;.next" the state file (atomic rename, then the directory is synced).</summary>
    public void PromoteNext()
    {
        if (NextFile is not null && File.Exists(NextFile))
        {
            File.Move(NextFile, StateFile!, overwrite: true);
            SyncDirectory(_dataDir);
        }

        // After a rotation between modes the other mode's state is stale: the store is under this key now.
        if (StateFile is null || File.Exists(StateFile))
        {
            DeleteOtherStateFiles();
        }
    }

    public void DiscardNext()
    {
        if (NextFile is not null && File.Exists(NextFile))
        {
            File.Delete(NextFile);
            SyncDirectory(_dataDir);
        }
    }

    private static void SyncDirectory(string directory)
    {
        // On Linux a rename is durable once the directory is synced; opening a directory for flush is not
        // possible through FileStream, so fsync(2) is called on a read-only handle.
        if (OperatingSystem.IsLinux())
        {
            var fd = Open(directory, 0);
            if (fd >= 0)
            {
                _ = Fsync(fd);
                _ = Close(fd);
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    private static RootKey FromEnvironment(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new RootKeyUnavailableException($"environment variable {name} is not set; it must hold the base64 of 32 random bytes (for example: openssl rand -base64 32)");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new RootKeyUnavailableException($"environment variable {name} is not valid base64");
        }

        try
        {
            return bytes.Length == AesGcmSeal.KeySize ? new RootKey(bytes) : throw new RootKeyUnavailableException($"environment variable {name} holds {bytes.Length} bytes; a root key is 32");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private string ReadPassphrase()
    {
        if (_passphrase is not null)
        {
            return _passphrase;
        }

        string? passphrase;
        if (_options.PassphraseFile is not null)
        {
            try
            {
                passphrase = File.ReadLines(_options.PassphraseFile).FirstOrDefault();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RootKeyUnavailableException($"passphrase file '{_options.PassphraseFile}' cannot be read: {e.Message}");
            }
        }
        else if (_options.PassphraseEnv is not null)
        {
            passphrase = Environment.GetEnvironmentVariable(_options.PassphraseEnv);
        }
        else if (!Console.IsInputRedirected)
        {
            Console.Error.Write("Strongroom root key passphrase: ");
            passphrase = ReadHidden();
        }
        else
        {
            throw new RootKeyUnavailableException("the passphrase provider needs --passphrase-file, --passphrase-env, or a terminal to prompt on");
        }

        if (string.IsNullOrEmpty(passphrase) || passphrase.Length < 12)
        {
            throw new RootKeyUnavailableException($"the passphrase from {PassphraseOrigin()} is missing or shorter than 12 characters");
        }

        _passphrase = passphrase;
        return passphrase;
    }

    /// <summary>A line typed at the terminal without echo (a passphrase, a Shamir share); Enter ends it.</summary>
    public static string ReadHidden()
    {
        var builder = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return builder.ToString();
            }

            if (key.Key == ConsoleKey.Backspace && builder.Length > 0)
            {
                builder.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                builder.Append(key.KeyChar);
            }
        }
    }

    private sealed record KdfParameters(int V, string Kdf, string Salt, int MemoryKiB, int Iterations, int Parallelism);

    private static void WriteKdfParameters(string path)
    {
        var parameters = new KdfParameters(1, "argon2id", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), 65536, 3, 1);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        JsonSerializer.Serialize(stream, parameters, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        stream.Flush(flushToDisk: true);
    }

    private static RootKey Derive(string passphrase, string kdfPath)
    {
        KdfParameters? parameters;
        try
        {
            parameters = JsonSerializer.Deserialize<KdfParameters>(File.ReadAllText(kdfPath), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new RootKeyUnavailableException($"KDF parameter file '{kdfPath}' cannot be read: {e.Message}");
        }

        if (parameters is null || parameters.V != 1 || parameters.Kdf != "argon2id")
        {
            throw new RootKeyUnavailableException($"KDF parameter file '{kdfPath}' is not format 1 argon2id");
        }

        var secret = Encoding.UTF8.GetBytes(passphrase);
        try
        {
            using var argon = new Argon2id(secret)
            {
                Salt = Convert.FromBase64String(parameters.Salt),
                MemorySize = parameters.MemoryKiB,
                Iterations = parameters.Iterations,
                DegreeOfParallelism = parameters.Parallelism,
            };
            var bytes = argon.GetBytes(AesGcmSeal.KeySize);
            try
            {
                return new RootKey(bytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
