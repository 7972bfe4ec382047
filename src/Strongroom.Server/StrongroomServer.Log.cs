using Microsoft.Extensions.Logging;

namespace Strongroom.Server;

/// <summary>The composition root's log messages (start, store, root key, dev mode, console, rotation reach, OIDC keys).</summary>
public static partial class StrongroomServer
{
    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Rotation connects only to {AllowedHosts} (HTTP functions and the databases built-in rotators log in to; --rotation-allowed-hosts)")]
    private static partial void LogRotationAllowedHosts(ILogger logger, string allowedHosts);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "--rotation-allowed-hosts {AllowedHosts} lets rotation connect to link-local addresses (cloud metadata services): anyone allowed to write a secret value and start its rotation can make this server open connections there")]
    private static partial void LogRotationReachesEverything(ILogger logger, string allowedHosts);

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "DEV MODE: throw-away data in {DataDir}, removed at exit: its own temporary SQLite store and file root key only (STRONGROOM_* variables and config files are not read), listening on loopback only; ANY access key is accepted as the admin (test/test is checked). Never use --dev for real secrets.")]
    private static partial void LogDevWarning(ILogger logger, string dataDir);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Strongroom listening on {Listen}; data {DataDir}; account {AccountId}; default region {Region}; root key fingerprint {Fingerprint}")]
    private static partial void LogStarting(ILogger logger, string listen, string dataDir, string accountId, string region, string fingerprint);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Store: PostgreSQL {Database}; the data directory holds only this node's root key and admin.credentials")]
    private static partial void LogPostgres(ILogger logger, string database);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Root key: {Recovery}")]
    private static partial void LogRecovery(ILogger logger, string recovery);

    [LoggerMessage(EventId = 7301, Level = LogLevel.Warning, Message = "Signing keys of OIDC issuer {Issuer} are unavailable: {Reason}; AssumeRoleWithWebIdentity with its tokens fails until they can be fetched")]
    private static partial void LogJwksUnavailable(ILogger logger, string issuer, string reason);

    [LoggerMessage(EventId = 7500, Level = LogLevel.Information, Message = "Web console at {Url} (sign in with an access key; --console off turns it off)")]
    private static partial void LogConsole(ILogger logger, string url);

    [LoggerMessage(EventId = 7501, Level = LogLevel.Information, Message = "Web console turned off (--console off)")]
    private static partial void LogConsoleOff(ILogger logger);

    [LoggerMessage(EventId = 7903, Level = LogLevel.Warning, Message = "Sealed by the administrator (Strongroom.Seal): the root key is dropped from memory; unseal with the key shares")]
    private static partial void LogSealedByOperator(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Initialised a new data directory; the admin's access key is in {CredentialsFile} (mode 0600)")]
    private static partial void LogInitialised(ILogger logger, string credentialsFile);
}
