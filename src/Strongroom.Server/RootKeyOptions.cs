namespace Strongroom.Server;

/// <summary>Where the root key comes from. Validated by <see cref="RootKeySource"/> when it is first read.</summary>
public sealed class RootKeyOptions
{
    /// <summary>
    /// file (default: DATA_DIR/root.key), env, passphrase, pkcs11, shamir or kms. For an initialised data directory its
    /// custody file (root.key, root.key.kdf, root.key.pkcs11, root.key.shamir, root.key.kms) decides; this only chooses
    /// the mode of a new one (and env, which keeps no file).
    /// </summary>
    public string Provider { get; set; } = "file";

    /// <summary>For env: the variable holding the base64 of the 32 key bytes.</summary>
    public string EnvName { get; set; } = "STRONGROOM_ROOT_KEY";

    /// <summary>For passphrase: a file holding the passphrase (first line).</summary>
    public string? PassphraseFile { get; set; }

    /// <summary>For passphrase: a variable holding the passphrase. Without file or variable, it is prompted for.</summary>
    public string? PassphraseEnv { get; set; }

    /// <summary>For pkcs11: the module (shared library) path; recorded in root.key.pkcs11 at creation.</summary>
    public string? Pkcs11Module { get; set; }

    /// <summary>For pkcs11: the label of the token holding the key.</summary>
    public string? Pkcs11TokenLabel { get; set; }

    /// <summary>For pkcs11: the label of the AES-256 key in the token (generated there when missing).</summary>
    public string? Pkcs11KeyLabel { get; set; }

    /// <summary>For pkcs11: a file whose first line is the user PIN; else STRONGROOM_PKCS11_PIN.</summary>
    public string? Pkcs11PinFile { get; set; }

    /// <summary>For pkcs11: aes-gcm (the only mechanism; the flag is kept to say so).</summary>
    public string? Pkcs11Mechanism { get; set; }

    /// <summary>For shamir at initialisation or rotation: how many shares are made.</summary>
    public int KeyShares { get; set; } = 5;

    /// <summary>For shamir at initialisation or rotation: how many shares unseal.</summary>
    public int KeyThreshold { get; set; } = 3;

    /// <summary>For shamir at initialisation or rotation: the directory the shares are written to (share-1 … share-N, mode 0600).</summary>
    public string? SharesOut { get; set; }

    /// <summary>
    /// For shamir at initialisation without <see cref="SharesOut"/>: the shares are collected here, to be printed once to
    /// the terminal by the command and written nowhere. Null: --shares-out is required.
    /// </summary>
    public IList<string>? PrintedShares { get; set; }

    /// <summary>For shamir, in offline commands (rotate-root-key, import-access-key): files holding K of the shares.</summary>
    public IReadOnlyList<string> ShareFiles { get; set; } = [];

    /// <summary>For kms: the KMS key (ARN, id or alias) that wraps the root key.</summary>
    public string? KmsKeyId { get; set; }

    /// <summary>For kms: the KMS endpoint (another Strongroom, or AWS KMS when null).</summary>
    public string? KmsEndpointUrl { get; set; }

    /// <summary>For kms: the region to sign for (default: the key ARN's region, else AWS_REGION, else us-east-1).</summary>
    public string? KmsRegion { get; set; }

    /// <summary>For kms: how often a sealed server asks the KMS again.</summary>
    public TimeSpan KmsRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A key reconstructed by unsealing (shamir), handed to the next open; held by the sealed server, never written.</summary>
    internal Crypto.RootKey? Unsealed { get; set; }
}
