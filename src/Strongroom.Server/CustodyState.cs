using System.Text.Json;
using System.Text.Json.Serialization;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// The content of a custody file (root.key.pkcs11, root.key.shamir, root.key.kms): format 1, JSON. It names where the
/// root key is and the key's fingerprint, and holds the key only wrapped by the HSM's or the KMS's key (or, for Shamir,
/// not at all: only a hash of each share). Mode 0600 like root.key, though nothing in it opens the key by itself.
/// </summary>
public sealed class CustodyState
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true };

    public int V { get; set; } = 1;

    public string Mode { get; set; } = string.Empty;

    /// <summary>The root key's fingerprint (<see cref="RootKey.Fingerprint"/>): not secret, logged at start.</summary>
    public string Fingerprint { get; set; } = string.Empty;

    public string? Module { get; set; }

    public string? TokenLabel { get; set; }

    public string? KeyLabel { get; set; }

    /// <summary>pkcs11: CKM_AES_GCM, the mechanism the token seals key versions and the record key with.</summary>
    public string? Mechanism { get; set; }

    /// <summary>pkcs11: what <see cref="Wrapped"/> holds: "record-key" (the key of the rows' integrity tags; the root key stays in the token).</summary>
    public string? Holds { get; set; }

    public string? Iv { get; set; }

    /// <summary>pkcs11: the record key sealed by the token's key (base64 of ciphertext and tag).</summary>
    public string? Wrapped { get; set; }

    public int? Shares { get; set; }

    public int? Threshold { get; set; }

    /// <summary>shamir: SHA-256 of each share (labelled, with its number), so a wrong or corrupted share is refused when given.</summary>
    public IReadOnlyList<string>? ShareHashes { get; set; }

    public string? KeyId { get; set; }

    public string? EndpointUrl { get; set; }

    public string? Region { get; set; }

    /// <summary>kms: this deployment's id, the value of the encryption context the root key is bound to.</summary>
    public string? Deployment { get; set; }

    /// <summary>kms: the KMS ciphertext of the root key (base64).</summary>
    public string? Ciphertext { get; set; }

    public static CustodyState Read(string path)
    {
        CustodyState? state;
        try
        {
            state = JsonSerializer.Deserialize<CustodyState>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new RootKeyUnavailableException($"custody file '{path}' cannot be read: {e.Message}");
        }

        return state is { V: 1 } && state.Mode.Length > 0 && state.Fingerprint.Length > 0
            ? state
            : throw new RootKeyUnavailableException($"custody file '{path}' is not a format 1 Strongroom custody file");
    }

    /// <summary>Writes the file (new, mode 0600) and flushes it to disk.</summary>
    public void Write(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        JsonSerializer.Serialize(stream, this, Json);
        stream.Flush(flushToDisk: true);
    }
}
