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
    private readonly RootKeyOptions _options;
    private readonly string _dataDir;
    private string? _passphrase;

    public RootKeySource(RootKeyOptions options, string dataDir)
    {
        _options = options;
        _dataDir = dataDir;
        if (options.Provider is not ("file" or "env" or "passphrase"))
        {
            throw new RootKeyUnavailableException($"--root-key-provider must be file, env or passphrase, not '{options.Provider}'");
        }
    }

    public string Provider => _options.Provider;

    /// <summary>Where the key comes from, for messages. Never holds key material.</summary>
    public string Describe() => _options.Provider switch
    {
        "env" => $"environment variable {_options.EnvName}",
        "passphrase" => $"a passphrase ({PassphraseOrigin()}) with KDF parameters '{StateFile}'",
        _ => $"root key file '{StateFile}'",
    };

    private string PassphraseOrigin() => _options.PassphraseFile is not null ? $"file '{_options.PassphraseFile}'" : _options.PassphraseEnv is not null ? $"variable {_options.PassphraseEnv}" : "prompt";

    /// <summary>The provider's file in the data directory, or null for env.</summary>
    public string? StateFile => _options.Provider switch
    {
        "file" => Path.Combine(_dataDir, "root.key"),
        "passphrase" => Path.Combine(_dataDir, KdfFile),
        _ => null,
    };

    public string? NextFile => StateFile is null ? null : StateFile + ".next";

    public bool HasNext => NextFile is not null && File.Exists(NextFile);

    /// <summary>Obtains the key for a new data directory (creating the key file or KDF parameters).</summary>
    public RootKey Create()
    {
        switch (_options.Provider)
        {
            case "file":
                return new FileRootKeyProvider(StateFile!).Create();
            case "passphrase":
                WriteKdfParameters(StateFile!);
                return Load();
            default:
                return Load();
        }
    }

    /// <summary>Loads the key, from <paramref name="stateFile"/> when given (a pending rotation's .next file).</summary>
    public RootKey Load(string? stateFile = null) => _options.Provider switch
    {
        "env" => FromEnvironment(_options.EnvName),
        "passphrase" => Derive(ReadPassphrase(), stateFile ?? StateFile!),
        _ => new FileRootKeyProvider(stateFile ?? StateFile!).Load(),
    };

    /// <summary>A reloader for a running server, or null when the provider cannot be read again (a prompt).</summary>
    public Func<RootKey>? Reloader() =>
        _options.Provider == "passphrase" && _options.PassphraseFile is null && _options.PassphraseEnv is null ? null : () => Load();

    /// <summary>
    /// Makes the next root key for a rotation: writes "&lt;state&gt;.next" (file and passphrase) and returns the key.
    /// For env, reads the new key from <paramref name="newKeyEnv"/>.
    /// </summary>
    public RootKey CreateNext(string? newKeyEnv, string? newPassphrase)
    {
        switch (_options.Provider)
        {
            case "file":
                DiscardNext();
                return new FileRootKeyProvider(NextFile!).Create();
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
                    throw new RootKeyUnavailableException("rotating an env root key needs --new-root-key-env naming a variable that holds the new key (base64 of 32 bytes)");
                }

                return FromEnvironment(newKeyEnv);
        }
    }

    /// <summary>Makes "&lt;state&gt;.next" the state file (atomic rename, then the directory is synced).</summary>
    public void PromoteNext()
    {
        if (NextFile is null || !File.Exists(NextFile))
        {
            return;
        }

        File.Move(NextFile, StateFile!, overwrite: true);
        SyncDirectory(_dataDir);
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

    private static string ReadHidden()
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
