namespace Strongroom.Configuration;

/// <summary>
/// The settings a config file, a STRONGROOM_* variable and a flag can give: one name each, the flag's without dashes
/// ("data-dir" is --data-dir, STRONGROOM_DATA_DIR and "data-dir" in the config file).
/// </summary>
public static class SettingNames
{
    /// <summary>Every setting the config file may hold (another key is refused at start).</summary>
    public static readonly IReadOnlyList<string> All =
    [
        "data-dir", "storage", "postgres", "listen", "region", "account-id", "tls-cert", "tls-key", "log-format", "metrics-access",
        "root-key-provider", "root-key-env", "passphrase-file", "passphrase-env", "pkcs11-module", "pkcs11-token-label", "pkcs11-key-label", "pkcs11-pin-file", "root-key-kms-key-id", "root-key-kms-endpoint-url", "root-key-kms-region", "audit-file", "audit-retention", "audit-archive-dir", "audit-digest-interval", "event-webhook", "event-webhooks", "event-retry-window", "event-retry-base", "maintenance-interval",
        "rotation-interval", "rotation-retry-base", "rotation-attempts", "rotation-allowed-hosts", "node-id", "limits", "extra-regions", "oidc-jwks-file", "console",
    ];

    /// <summary>The one structured setting: webhook endpoint objects (EventEndpointOptions.ParseList); every other value is a string.</summary>
    public const string EventWebhooks = "event-webhooks";

    /// <summary>The variable that names the config file when --config is not given.</summary>
    public const string ConfigVariable = "STRONGROOM_CONFIG";

    /// <summary>STRONGROOM_&lt;NAME&gt;: "data-dir" is STRONGROOM_DATA_DIR.</summary>
    public static string EnvironmentVariable(string name) => "STRONGROOM_" + EnvironmentSuffix(name);

    /// <summary>The variable's name after the STRONGROOM_ prefix: "data-dir" is DATA_DIR.</summary>
    public static string EnvironmentSuffix(string name) => name.Replace('-', '_').ToUpperInvariant();
}
