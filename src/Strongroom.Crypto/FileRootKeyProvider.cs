using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Crypto;

/// <summary>
/// Keeps the root key in a file (default <c>DATA_DIR/root.key</c>, mode 0600). Format 1:
/// the line <c>strongroom-root-key 1</c>, then the base64 of the 32 key bytes on the next line.
/// </summary>
public sealed class FileRootKeyProvider
{
    private const string Header = "strongroom-root-key 1";

    public FileRootKeyProvider(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public bool Exists => File.Exists(Path);

    /// <summary>Creates a new root key file; fails if one exists.</summary>
    public RootKey Create()
    {
        var key = RootKey.Generate();
        var text = key.Use(bytes => Header + "\n" + Convert.ToBase64String(bytes) + "\n");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(Path, options))
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
            CryptographicOperations.ZeroMemory(bytes);
        }

        return key;
    }

    /// <summary>Loads the key. Throws <see cref="RootKeyUnavailableException"/> with a message that says why and where.</summary>
    public RootKey Load()
    {
        if (!File.Exists(Path))
        {
            throw new RootKeyUnavailableException($"root key file '{Path}' does not exist");
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RootKeyUnavailableException($"root key file '{Path}' cannot be read: {e.Message}");
        }

        if (lines.Length < 2 || lines[0].Trim() != Header)
        {
            throw new RootKeyUnavailableException($"root key file '{Path}' is not a Strongroom root key (expected first line '{Header}')");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(lines[1].Trim());
        }
        catch (FormatException)
        {
            throw new RootKeyUnavailableException($"root key file '{Path}' does not hold valid base64 key bytes");
        }

        try
        {
            if (bytes.Length != AesGcmSeal.KeySize)
            {
                throw new RootKeyUnavailableException($"root key file '{Path}' holds {bytes.Length} bytes; a root key is 32");
            }

            return new RootKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
