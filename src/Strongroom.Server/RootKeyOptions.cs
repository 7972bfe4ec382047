namespace Strongroom.Server;

/// <summary>Where the root key comes from. Validated by <see cref="RootKeySource"/> when it is first read.</summary>
public sealed class RootKeyOptions
{
    /// <summary>file (default: DATA_DIR/root.key), env, or passphrase.</summary>
    public string Provider { get; set; } = "file";

    /// <summary>For env: the variable holding the base64 of the 32 key bytes.</summary>
    public string EnvName { get; set; } = "STRONGROOM_ROOT_KEY";

    /// <summary>For passphrase: a file holding the passphrase (first line).</summary>
    public string? PassphraseFile { get; set; }

    /// <summary>For passphrase: a variable holding the passphrase. Without file or variable, it is prompted for.</summary>
    public string? PassphraseEnv { get; set; }
}
