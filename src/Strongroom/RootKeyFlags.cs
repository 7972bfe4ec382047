using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>The root-key provider flags every command that opens a data directory takes.</summary>
internal sealed class RootKeyFlags(StrongroomSettings settings)
{
    public Option<string> Provider { get; } = new("--root-key-provider") { Description = "Where the root key of a new data directory comes from: file (DATA_DIR/root.key), env, passphrase (Argon2id), pkcs11 (an HSM token), shamir (key shares; see admin init) or kms (another KMS). An initialised directory's custody file decides. Alias --root-key.", DefaultValueFactory = _ => settings.Get("root-key-provider", "file")! };

    public Option<string> EnvName { get; } = new("--root-key-env") { Description = "For env: the variable holding the base64 root key.", DefaultValueFactory = _ => settings.Get("root-key-env", "STRONGROOM_ROOT_KEY")! };

    public Option<string?> PassphraseFile { get; } = new("--passphrase-file") { Description = "For passphrase: a file whose first line is the passphrase. Default: none.", DefaultValueFactory = _ => settings.Get("passphrase-file", null) };

    public Option<string?> PassphraseEnv { get; } = new("--passphrase-env") { Description = "For passphrase: a variable holding the passphrase (else it is prompted for). Default: none.", DefaultValueFactory = _ => settings.Get("passphrase-env", null) };

    /// <summary>The HSM, Shamir and KMS custody flags (Program.Custody.cs).</summary>
    public CustodyFlags Custody { get; } = new(settings);

    /// <summary>Every root-key flag.</summary>
    public IEnumerable<Option> All => [Provider, EnvName, PassphraseFile, PassphraseEnv, .. Custody.All];

    public void AddTo(Command command)
    {
        Provider.Aliases.Add("--root-key");
        Custody.AddTo(command);
        command.Options.Add(Provider);
        command.Options.Add(EnvName);
        command.Options.Add(PassphraseFile);
        command.Options.Add(PassphraseEnv);
    }

    public RootKeyOptions Read(ParseResult result) => Custody.ReadInto(result, new()
    {
        Provider = result.GetValue(Provider)!,
        EnvName = result.GetValue(EnvName)!,
        PassphraseFile = result.GetValue(PassphraseFile),
        PassphraseEnv = result.GetValue(PassphraseEnv),
    });
}
