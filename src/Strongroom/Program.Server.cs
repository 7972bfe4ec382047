using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>`strongroom server`: the server's flags, each with its STRONGROOM_* variable and config-file setting, into ServerOptions.</summary>
public static partial class Program
{
    private static Command ServerCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory (created and initialised on first start). Env STRONGROOM_DATA_DIR.", DefaultValueFactory = _ => settings.Get("data-dir", "strongroom-data")! };
        var storage = new Option<string>("--storage") { Description = "Where the store is: sqlite (default, DATA_DIR/strongroom.db) or postgres (several nodes share the database given by --postgres). Env STRONGROOM_STORAGE.", DefaultValueFactory = _ => settings.Get("storage", "sqlite")! };
        // Its setting is read where it is used, not as a default: --help prints defaults, and a connection string may hold a password.
        var postgres = new Option<string?>("--postgres") { Description = "For --storage postgres: the Npgsql connection string (e.g. \"Host=db;Database=strongroom;Username=strongroom;Password=...\"). Prefer STRONGROOM_POSTGRES or the config file: a flag is visible in the process list. Never logged. Default: none (required with --storage postgres)." };
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on. Plain HTTP only on loopback. Env STRONGROOM_LISTEN.", DefaultValueFactory = _ => settings.Get("listen", "127.0.0.1:4566")! };
        var region = new Option<string>("--region") { Description = "Default region shown to users; every region is served. Env STRONGROOM_REGION.", DefaultValueFactory = _ => settings.Get("region", "us-east-1")! };
        var account = new Option<string?>("--account-id") { Description = "12-digit account id to initialise with (default: chosen at random at init).", DefaultValueFactory = _ => settings.Get("account-id", null) };
        var dev = new Option<bool>("--dev") { Description = "Throw-away server for tests: its own temporary SQLite store and file root key, removed at exit (STRONGROOM_* variables and config files are not read; store, root-key and config flags are refused), loopback only, any access key accepted as admin. Default: off." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate file for HTTPS (with --tls-key). Default: none: plain HTTP, allowed on loopback only.", DefaultValueFactory = _ => settings.Get("tls-cert", null) };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key file for HTTPS (with --tls-cert). Default: none.", DefaultValueFactory = _ => settings.Get("tls-key", null) };
        var logFormat = new Option<string>("--log-format") { Description = "auto (default: human-readable lines when standard output is a terminal, else JSON lines), json or text. Env STRONGROOM_LOG_FORMAT.", DefaultValueFactory = _ => settings.Get("log-format", "auto")! };
        var metricsAccess = new Option<string>("--metrics-access") { Description = "Who may read /metrics: loopback (default), open, off.", DefaultValueFactory = _ => settings.Get("metrics-access", "loopback")! };
        var auditFile = new Option<string?>("--audit-file") { Description = "Also append every audit record to this JSON-lines file (for a SIEM). Default: none.", DefaultValueFactory = _ => settings.Get("audit-file", null) };
        var retention = new Option<string?>("--audit-retention") { Description = "Move audit records older than this (e.g. 90d, 12h) to JSON-lines archive files, digest range by digest range. Default: none.", DefaultValueFactory = _ => settings.Get("audit-retention", null) };
        var archiveDir = new Option<string?>("--audit-archive-dir") { Description = "Where archived audit records go (default DATA_DIR/audit-archive).", DefaultValueFactory = _ => settings.Get("audit-archive-dir", null) };
        var digestInterval = new Option<string?>("--audit-digest-interval") { Description = "How often a digest is signed (default 60s; e.g. 5s, 10m).", DefaultValueFactory = _ => settings.Get("audit-digest-interval", null) };
        var webhook = new Option<string[]>("--event-webhook")
        {
            Description = "POST events (secret value changed, rotation started/succeeded/failed, secret deleted/restored, KMS key disabled/pending deletion, parameter policy actions) to this URL, reliably, from the store's outbox; repeatable. Signing secrets and filters per endpoint: the config file's \"event-webhooks\" (docs/operations/events.md). Env STRONGROOM_EVENT_WEBHOOK (';'-separated). Default: none.",
            DefaultValueFactory = _ => (settings.Get("event-webhook", null) ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var eventRetryWindow = new Option<string?>("--event-retry-window") { Description = "How long an undelivered event is retried before it is dead-lettered (default 24h; e.g. 30m, 2d).", DefaultValueFactory = _ => settings.Get("event-retry-window", null) };
        var eventRetryBase = new Option<string?>("--event-retry-base") { Description = "The first retry's longest wait; doubles per retry up to 1h, with full jitter (default 5s).", DefaultValueFactory = _ => settings.Get("event-retry-base", null) };
        var maintenance = new Option<string?>("--maintenance-interval") { Description = "How often background work runs: deletion purge, parameter policies (default 60s).", DefaultValueFactory = _ => settings.Get("maintenance-interval", null) };
        var rotationInterval = new Option<string?>("--rotation-interval") { Description = "How often the rotation scheduler looks for due rotations and retries (default 30s).", DefaultValueFactory = _ => settings.Get("rotation-interval", null) };
        var rotationRetry = new Option<string?>("--rotation-retry-base") { Description = "Wait before retrying a failed rotation; doubles per retry (default 1m).", DefaultValueFactory = _ => settings.Get("rotation-retry-base", null) };
        var rotationAttempts = new Option<string?>("--rotation-attempts") { Description = "Tries per rotation before it waits for the next window (default 5).", DefaultValueFactory = _ => settings.Get("rotation-attempts", null) };
        var rotationAllowedHosts = new Option<string?>("--rotation-allowed-hosts")
        {
            Description = "Where HTTP rotation functions and built-in rotators may connect: comma-separated IP addresses, CIDR blocks, host names and patterns (*.db.example.com), or * for any host (default: loopback and private networks, " + Rotation.OutboundPolicy.DefaultList + ").",
            DefaultValueFactory = _ => settings.Get("rotation-allowed-hosts", null),
        };
        var nodeId = new Option<string?>("--node-id") { Description = "This node's name among nodes sharing a PostgreSQL store, stable across its restarts (default HOSTNAME/LISTEN). Env STRONGROOM_NODE_ID.", DefaultValueFactory = _ => settings.Get("node-id", null) };
        var extraRegions = new Option<string?>("--extra-regions") { Description = "Comma-separated regions known besides AWS's public regions and --region; secrets may be replicated only to known regions. Env STRONGROOM_EXTRA_REGIONS. Default: none.", DefaultValueFactory = _ => settings.Get("extra-regions", null) };
        var oidcJwksFile = new Option<string[]>("--oidc-jwks-file")
        {
            Description = "ISSUER=FILE: take the signing keys of this OIDC issuer from a JWKS file instead of discovering them (air-gapped clusters); repeatable. Env STRONGROOM_OIDC_JWKS_FILE (';'-separated). Default: none.",
            DefaultValueFactory = _ => (settings.Get("oidc-jwks-file", null) ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var webConsole = new Option<string>("--console") { Description = "Serve the web console at /console/ on the same listener: on (default) or off. Env STRONGROOM_CONSOLE.", DefaultValueFactory = _ => settings.Get("console", "on")! };
        var config = new Option<string?>("--config") { Description = "JSON file of settings named like the flags (e.g. {\"listen\": \"127.0.0.1:4566\"}; // comments allowed); flags and STRONGROOM_* variables win. Default: STRONGROOM_CONFIG, else none. The Debian package uses /etc/strongroom/strongroom.json." };
        var limits = new Option<string[]>("--limit") { Description = "A request limit as NAME=VALUE (repeatable; durations in seconds), e.g. --limit key-rate=500. Env STRONGROOM_LIMITS and config \"limits\" take comma-separated pairs. Names and defaults: docs/operations/limits.md.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("server", "Run the Strongroom server.") { dataDir, storage, postgres, listen, region, account, dev, tlsCert, tlsKey, logFormat, metricsAccess, auditFile, retention, archiveDir, digestInterval, webhook, eventRetryWindow, eventRetryBase, maintenance, rotationInterval, rotationRetry, rotationAttempts, rotationAllowedHosts, nodeId, extraRegions, oidcJwksFile, webConsole, config, limits };
        var rootKey = new RootKeyFlags(settings);
        rootKey.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(dev) && RefusedByDev(result, [dataDir, storage, postgres, config, .. rootKey.All]) is { } flag)
            {
                await Console.Error.WriteLineAsync($"strongroom: --dev refuses {flag}: a dev server runs only on its own temporary SQLite store and file root key, never on a store, root key or config file it is given. Drop {flag}, or run without --dev.");
                return 2;
            }

            ServerOptions options;
            try
            {
                options = BuildOptions(result);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync("strongroom: " + e.Message);
                return 2;
            }

            return await StrongroomServer.RunAsync(options, Console.Error, ct);
        });
        return command;

        ServerOptions BuildOptions(ParseResult result)
        {
            // The file's and the environment's pairs first, so a flag wins over both.
            var requestLimits = new RequestLimitsOptions();
            foreach (var pairs in settings.EachSource("limits"))
            {
                requestLimits.Set(pairs);
            }

            foreach (var assignment in result.GetValue(limits) ?? [])
            {
                requestLimits.Set(assignment);
            }

            return new ServerOptions
            {
                Limits = requestLimits,
                DataDir = result.GetValue(dataDir)!,
                Listen = result.GetValue(listen)!,
                NodeId = result.GetValue(nodeId),
                Region = result.GetValue(region)!,
                ExtraRegions = (result.GetValue(extraRegions) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                OidcJwksFiles = result.GetValue(oidcJwksFile) ?? [],
                AccountId = result.GetValue(account),
                Dev = result.GetValue(dev),
                Storage = result.GetValue(storage)!,
                Postgres = result.GetValue(postgres) ?? settings.Get("postgres", null),
                TlsCert = result.GetValue(tlsCert),
                TlsKey = result.GetValue(tlsKey),
                RootKey = rootKey.Read(result),
                LogFormat = result.GetValue(logFormat)!,
                MetricsAccess = result.GetValue(metricsAccess)!,
                Console = result.GetValue(webConsole)!,
                AuditFile = result.GetValue(auditFile),
                AuditRetention = Duration(result, retention),
                AuditArchiveDir = result.GetValue(archiveDir),
                DigestInterval = Duration(result, digestInterval) ?? TimeSpan.FromSeconds(60),
                EventWebhooks = result.GetValue(webhook) ?? [],
                EventEndpointsConfig = settings.EventWebhooksJson() is { } endpoints ? EventEndpointOptions.ParseList(endpoints) : [],
                EventRetryWindow = Duration(result, eventRetryWindow) ?? TimeSpan.FromHours(24),
                EventRetryBase = Duration(result, eventRetryBase) ?? TimeSpan.FromSeconds(5),
                MaintenanceInterval = Duration(result, maintenance) ?? TimeSpan.FromSeconds(60),
                RotationAllowedHosts = result.GetValue(rotationAllowedHosts),
                Rotation = new Core.Rotation.RotationOptions
                {
                    Tick = Duration(result, rotationInterval) ?? TimeSpan.FromSeconds(30),
                    RetryBase = Duration(result, rotationRetry) ?? TimeSpan.FromMinutes(1),
                    MaxAttempts = result.GetValue(rotationAttempts) is { } attempts
                        ? int.TryParse(attempts, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100 ? n : throw new ArgumentException($"--rotation-attempts: '{attempts}' is not a number from 1 to 100")
                        : 5,
                },
            };
        }
    }
}
