using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>The flags of the pkcs11, shamir and kms modes. The PKCS#11 PIN is never a flag: a file or STRONGROOM_PKCS11_PIN.</summary>
internal sealed class CustodyFlags(StrongroomSettings settings)
{
    public Option<string?> Module { get; } = new("--pkcs11-module") { Description = "For pkcs11: the PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so). Default: none.", DefaultValueFactory = _ => settings.Get("pkcs11-module", null) };

    public Option<string?> TokenLabel { get; } = new("--pkcs11-token-label") { Description = "For pkcs11: the label of the token. Default: none.", DefaultValueFactory = _ => settings.Get("pkcs11-token-label", null) };

    public Option<string?> KeyLabel { get; } = new("--pkcs11-key-label") { Description = "For pkcs11: the label of the AES-256 key in the token (generated there, non-extractable, when missing). Default: none.", DefaultValueFactory = _ => settings.Get("pkcs11-key-label", null) };

    public Option<string?> PinFile { get; } = new("--pkcs11-pin-file") { Description = "For pkcs11: a file whose first line is the user PIN (else STRONGROOM_PKCS11_PIN). Default: none.", DefaultValueFactory = _ => settings.Get("pkcs11-pin-file", null) };

    public Option<string?> Mechanism { get; } = new("--pkcs11-mechanism") { Description = "For pkcs11: aes-gcm, the mechanism the token seals every key version with (AES key wrap cannot bind a version to its row). Default: aes-gcm." };

    public Option<int> Shares { get; } = new("--key-shares") { Description = "For shamir: how many key shares to make (N). Default: none.", DefaultValueFactory = _ => 5 };

    public Option<int> Threshold { get; } = new("--key-threshold") { Description = "For shamir: how many shares unseal (K). Default: none.", DefaultValueFactory = _ => 3 };

    public Option<string?> SharesOut { get; } = new("--shares-out") { Description = "For shamir: the directory share-1 … share-N are written to (mode 0600). Default: none." };

    public Option<string[]> ShareFiles { get; } = new("--share-file") { Description = "For a Shamir data directory opened offline (rotate-root-key, import-access-key): a file holding one share (repeat K times). Default: none.", AllowMultipleArgumentsPerToken = false };

    public Option<string?> KmsKeyId { get; } = new("--root-key-kms-key-id") { Description = "For kms: the KMS key (ARN, id or alias) that wraps the root key. Default: none.", DefaultValueFactory = _ => settings.Get("root-key-kms-key-id", null) };

    public Option<string?> KmsEndpoint { get; } = new("--root-key-kms-endpoint-url") { Description = "For kms: the KMS endpoint (another Strongroom; default AWS KMS of the key's region). Credentials: the standard AWS chain.", DefaultValueFactory = _ => settings.Get("root-key-kms-endpoint-url", null) };

    public Option<string?> KmsRegion { get; } = new("--root-key-kms-region") { Description = "For kms: the region to sign for (default: the key ARN's, else AWS_REGION).", DefaultValueFactory = _ => settings.Get("root-key-kms-region", null) };

    public Option<string?> KmsRetry { get; } = new("--root-key-kms-retry") { Description = "For kms: how often a sealed server asks the KMS again (default 5s)." };

    public IEnumerable<Option> All => [Module, TokenLabel, KeyLabel, PinFile, Mechanism, Shares, Threshold, SharesOut, ShareFiles, KmsKeyId, KmsEndpoint, KmsRegion, KmsRetry];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    public RootKeyOptions ReadInto(ParseResult result, RootKeyOptions options)
    {
        options.Pkcs11Module = result.GetValue(Module);
        options.Pkcs11TokenLabel = result.GetValue(TokenLabel);
        options.Pkcs11KeyLabel = result.GetValue(KeyLabel);
        options.Pkcs11PinFile = result.GetValue(PinFile);
        options.Pkcs11Mechanism = result.GetValue(Mechanism);
        options.KeyShares = result.GetValue(Shares);
        options.KeyThreshold = result.GetValue(Threshold);
        options.SharesOut = result.GetValue(SharesOut);
        options.ShareFiles = result.GetValue(ShareFiles) ?? [];
        options.KmsKeyId = result.GetValue(KmsKeyId);
        options.KmsEndpointUrl = result.GetValue(KmsEndpoint);
        options.KmsRegion = result.GetValue(KmsRegion);
        options.KmsRetryInterval = Program.Duration(result, KmsRetry) ?? TimeSpan.FromSeconds(5);
        return options;
    }
}
