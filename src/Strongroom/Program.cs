using System.CommandLine;
using Strongroom.Server;

namespace Strongroom;

/// <summary>The `strongroom` executable: the server and the operator commands.</summary>
public static partial class Program
{
    /// <summary>Settings from the config file (--config FILE or STRONGROOM_CONFIG), by flag name without dashes.</summary>
    private static Dictionary<string, string> _config = new(StringComparer.Ordinal);

    private static readonly string[] ConfigKeys =
    [
        "data-dir", "storage", "postgres", "listen", "region", "account-id", "tls-cert", "tls-key", "log-format", "metrics-access",
        "root-key-provider", "root-key-env", "passphrase-file", "passphrase-env", "pkcs11-module", "pkcs11-token-label", "pkcs11-key-label", "pkcs11-pin-file", "root-key-kms-key-id", "root-key-kms-endpoint-url", "root-key-kms-region", "audit-file", "audit-retention", "audit-archive-dir", "audit-digest-interval", "event-webhook", "event-webhooks", "event-retry-window", "event-retry-base", "maintenance-interval",
        "rotation-interval", "rotation-retry-base", "rotation-attempts", "rotation-allowed-hosts", "node-id", "limits", "extra-regions", "oidc-jwks-file", "console",
    ];

    /// <summary>
    /// Set for `server --dev` before any flag value is read: then no default comes from a STRONGROOM_* variable or a
    /// config file, so a dev server started in a shell set up for a real deployment still runs on its own temporary
    /// SQLite store and file root key only, and never writes its test/test key into that deployment's store.
    /// </summary>
    private static bool _ignoreSettings;

    /// <summary>
    /// A flag's default: STRONGROOM_&lt;FLAG&gt; from the environment, else the config file, else <paramref name="fallback"/>
    /// (always <paramref name="fallback"/> for `server --dev`).
    /// </summary>
    private static string? Setting(string flag, string? fallback)
    {
        if (_ignoreSettings)
        {
            return fallback;
        }

        var env = Environment.GetEnvironmentVariable("STRONGROOM_" + flag.Replace('-', '_').ToUpperInvariant());
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        return _config.TryGetValue(flag, out var value) ? value : fallback;
    }

    private static string? LoadConfig(string[] args)
    {
        var index = Array.IndexOf(args, "--config");
        var path = index >= 0 && index + 1 < args.Length ? args[index + 1] : Environment.GetEnvironmentVariable("STRONGROOM_CONFIG");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        try
        {
            // Comments and trailing commas are allowed, so the packaged default file can explain every setting.
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return $"config file '{path}' must hold a JSON object of settings";
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!ConfigKeys.Contains(property.Name))
                {
                    return $"config file '{path}': unknown setting '{property.Name}' (known: {string.Join(", ", ConfigKeys)})";
                }

                if (property.Name == "event-webhooks")
                {
                    // The one structured setting: endpoint objects (EventEndpointOptions.ParseList), kept as JSON text.
                    _config[property.Name] = property.Value.GetRawText();
                    continue;
                }

                if (property.Value.ValueKind != System.Text.Json.JsonValueKind.String)
                {
                    return $"config file '{path}': setting '{property.Name}' must be a string";
                }

                _config[property.Name] = property.Value.GetString()!;
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return $"config file '{path}' cannot be read: {e.Message}";
        }
    }

    /// <summary>"strongroom VERSION (commit HASH)": the version and the commit the build embedded (InformationalVersion VERSION+HASH).</summary>
    public static string VersionText()
    {
        var informational = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        return $"strongroom {version} (commit {commit}; .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier})";
    }

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--version"])
        {
            await Console.Out.WriteLineAsync(VersionText());
            return 0;
        }

        var root = new RootCommand("Strongroom: a self-hosted secrets manager that speaks AWS Secrets Manager's API.");
        root.Subcommands.Add(ServerCommand());
        root.Subcommands.Add(AdminCommand());
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(OperatorCommand());
        root.Subcommands.Add(BackupCommand());
        root.Subcommands.Add(DoctorCommand());
        root.Subcommands.Add(FunctionCommands.FunctionCommand());
        root.Subcommands.Add(FunctionCommands.RotationCommand());
        root.Subcommands.Add(FunctionCommands.EventsCommand());
        root.Subcommands.Add(ExplainCommands.ExplainCommand());
        root.Subcommands.Add(Agent.AgentCommand.Create());
        root.Subcommands.Add(Run.RunCommand.Create());

        // Parsing computes flag defaults, so the command is first parsed with no setting read: a dev server keeps that
        // parse and never reads one; any other command is parsed again with the environment and config file.
        _ignoreSettings = true;
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.CommandResult.Command.Name == "server" && parsed.GetValue<bool>("--dev"))
        {
            var ignored = IgnoredByDev();
            if (ignored.Count > 0)
            {
                await Console.Error.WriteLineAsync($"strongroom: --dev ignores {string.Join(", ", ignored)}: a dev server uses only its own temporary SQLite store and file root key.");
            }
        }
        else
        {
            _ignoreSettings = false;
            if (LoadConfig(args) is { } configError)
            {
                await Console.Error.WriteLineAsync("strongroom: " + configError);
                return 2;
            }

            parsed = root.Parse(args);
        }

        return await parsed.InvokeAsync();
    }

    /// <summary>The server settings in the environment that `server --dev` leaves unread (names only: values may be secret).</summary>
    private static List<string> IgnoredByDev()
    {
        var names = ConfigKeys.Select(key => "STRONGROOM_" + key.Replace('-', '_').ToUpperInvariant()).Append("STRONGROOM_ROOT_KEY").Append("STRONGROOM_CONFIG");
        return [.. names.Where(name => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))];
    }

    /// <summary>The root-key provider flags every command that opens a data directory takes.</summary>
    private sealed class RootKeyFlags
    {
        public Option<string> Provider { get; } = new("--root-key-provider") { Description = "Where the root key of a new data directory comes from: file (DATA_DIR/root.key), env, passphrase (Argon2id), pkcs11 (an HSM token), shamir (key shares; see admin init) or kms (another KMS). An initialised directory's custody file decides. Alias --root-key.", DefaultValueFactory = _ => Setting("root-key-provider", "file")! };

        public Option<string> EnvName { get; } = new("--root-key-env") { Description = "For env: the variable holding the base64 root key.", DefaultValueFactory = _ => Setting("root-key-env", "STRONGROOM_ROOT_KEY")! };

        public Option<string?> PassphraseFile { get; } = new("--passphrase-file") { Description = "For passphrase: a file whose first line is the passphrase. Default: none.", DefaultValueFactory = _ => Setting("passphrase-file", null) };

        public Option<string?> PassphraseEnv { get; } = new("--passphrase-env") { Description = "For passphrase: a variable holding the passphrase (else it is prompted for). Default: none.", DefaultValueFactory = _ => Setting("passphrase-env", null) };

        /// <summary>The HSM, Shamir and KMS custody flags (Program.Custody.cs).</summary>
        public CustodyFlags Custody { get; } = new();

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

    /// <summary>--storage and --postgres for the operator commands that read the store (same settings as the server's).</summary>
    private sealed class StorageFlags
    {
        public Option<string> Storage { get; } = new("--storage") { Description = "sqlite (default) or postgres. Env STRONGROOM_STORAGE.", DefaultValueFactory = _ => Setting("storage", "sqlite")! };

        public Option<string?> Postgres { get; } = new("--postgres") { Description = "For --storage postgres: the connection string. Env STRONGROOM_POSTGRES. Default: none.", DefaultValueFactory = _ => Setting("postgres", null) };

        public void AddTo(Command command)
        {
            command.Options.Add(Storage);
            command.Options.Add(Postgres);
        }

        /// <summary>The connection string with PostgreSQL storage, null with SQLite.</summary>
        /// <exception cref="InvalidOperationException">when the two settings do not fit together (the message never shows the string).</exception>
        public string? Read(ParseResult result)
        {
            var options = new ServerOptions { Storage = result.GetValue(Storage)!, Postgres = result.GetValue(Postgres) };
            var problem = options.Validate().FirstOrDefault(p => p.Contains("--storage", StringComparison.Ordinal) || p.Contains("--postgres", StringComparison.Ordinal));
            return problem is null ? options.PostgresConnection : throw new InvalidOperationException(problem);
        }
    }

    /// <summary>The first of <paramref name="flags"/> given on the command line (not a default), or null.</summary>
    private static string? RefusedByDev(ParseResult result, IEnumerable<Option> flags) =>
        flags.FirstOrDefault(flag => result.GetResult(flag) is { Implicit: false })?.Name;

    /// <summary>"90d", "12h", "10m", "30s" → a span; null stays null; anything else is refused at start.</summary>
    private static TimeSpan? Duration(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var unit = text[^1];
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0 || unit is not ('d' or 'h' or 'm' or 's'))
        {
            throw new ArgumentException($"'{text}' is not a duration such as 90d, 12h, 10m or 30s");
        }

        return unit switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromSeconds(n),
        };
    }

    private static Command ServerCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory (created and initialised on first start). Env STRONGROOM_DATA_DIR.", DefaultValueFactory = _ => Setting("data-dir", "strongroom-data")! };
        var storage = new Option<string>("--storage") { Description = "Where the store is: sqlite (default, DATA_DIR/strongroom.db) or postgres (several nodes share the database given by --postgres). Env STRONGROOM_STORAGE.", DefaultValueFactory = _ => Setting("storage", "sqlite")! };
        var postgres = new Option<string?>("--postgres") { Description = "For --storage postgres: the Npgsql connection string (e.g. \"Host=db;Database=strongroom;Username=strongroom;Password=...\"). Prefer STRONGROOM_POSTGRES or the config file: a flag is visible in the process list. Never logged. Default: none (required with --storage postgres).", DefaultValueFactory = _ => Setting("postgres", null) };
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on. Plain HTTP only on loopback. Env STRONGROOM_LISTEN.", DefaultValueFactory = _ => Setting("listen", "127.0.0.1:4566")! };
        var region = new Option<string>("--region") { Description = "Default region shown to users; every region is served. Env STRONGROOM_REGION.", DefaultValueFactory = _ => Setting("region", "us-east-1")! };
        var account = new Option<string?>("--account-id") { Description = "12-digit account id to initialise with (default: chosen at random at init).", DefaultValueFactory = _ => Setting("account-id", null) };
        var dev = new Option<bool>("--dev") { Description = "Throw-away server for tests: its own temporary SQLite store and file root key, removed at exit (STRONGROOM_* variables and config files are not read; store, root-key and config flags are refused), loopback only, any access key accepted as admin. Default: off." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate file for HTTPS (with --tls-key). Default: none: plain HTTP, allowed on loopback only.", DefaultValueFactory = _ => Setting("tls-cert", null) };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key file for HTTPS (with --tls-cert). Default: none.", DefaultValueFactory = _ => Setting("tls-key", null) };
        var logFormat = new Option<string>("--log-format") { Description = "auto (default: human-readable lines when standard output is a terminal, else JSON lines), json or text. Env STRONGROOM_LOG_FORMAT.", DefaultValueFactory = _ => Setting("log-format", "auto")! };
        var metricsAccess = new Option<string>("--metrics-access") { Description = "Who may read /metrics: loopback (default), open, off.", DefaultValueFactory = _ => Setting("metrics-access", "loopback")! };
        var auditFile = new Option<string?>("--audit-file") { Description = "Also append every audit record to this JSON-lines file (for a SIEM). Default: none.", DefaultValueFactory = _ => Setting("audit-file", null) };
        var retention = new Option<string?>("--audit-retention") { Description = "Move audit records older than this (e.g. 90d, 12h) to JSON-lines archive files, digest range by digest range. Default: none.", DefaultValueFactory = _ => Setting("audit-retention", null) };
        var archiveDir = new Option<string?>("--audit-archive-dir") { Description = "Where archived audit records go (default DATA_DIR/audit-archive).", DefaultValueFactory = _ => Setting("audit-archive-dir", null) };
        var digestInterval = new Option<string?>("--audit-digest-interval") { Description = "How often a digest is signed (default 60s; e.g. 5s, 10m).", DefaultValueFactory = _ => Setting("audit-digest-interval", null) };
        var webhook = new Option<string[]>("--event-webhook")
        {
            Description = "POST events (secret value changed, rotation started/succeeded/failed, secret deleted/restored, KMS key disabled/pending deletion, parameter policy actions) to this URL, reliably, from the store's outbox; repeatable. Signing secrets and filters per endpoint: the config file's \"event-webhooks\" (docs/operations/events.md). Env STRONGROOM_EVENT_WEBHOOK (';'-separated). Default: none.",
            DefaultValueFactory = _ => (Setting("event-webhook", null) ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var eventRetryWindow = new Option<string?>("--event-retry-window") { Description = "How long an undelivered event is retried before it is dead-lettered (default 24h; e.g. 30m, 2d).", DefaultValueFactory = _ => Setting("event-retry-window", null) };
        var eventRetryBase = new Option<string?>("--event-retry-base") { Description = "The first retry's longest wait; doubles per retry up to 1h, with full jitter (default 5s).", DefaultValueFactory = _ => Setting("event-retry-base", null) };
        var maintenance = new Option<string?>("--maintenance-interval") { Description = "How often background work runs: deletion purge, parameter policies (default 60s).", DefaultValueFactory = _ => Setting("maintenance-interval", null) };
        var rotationInterval = new Option<string?>("--rotation-interval") { Description = "How often the rotation scheduler looks for due rotations and retries (default 30s).", DefaultValueFactory = _ => Setting("rotation-interval", null) };
        var rotationRetry = new Option<string?>("--rotation-retry-base") { Description = "Wait before retrying a failed rotation; doubles per retry (default 1m).", DefaultValueFactory = _ => Setting("rotation-retry-base", null) };
        var rotationAttempts = new Option<string?>("--rotation-attempts") { Description = "Tries per rotation before it waits for the next window (default 5).", DefaultValueFactory = _ => Setting("rotation-attempts", null) };
        var rotationAllowedHosts = new Option<string?>("--rotation-allowed-hosts")
        {
            Description = "Where HTTP rotation functions and built-in rotators may connect: comma-separated IP addresses, CIDR blocks, host names and patterns (*.db.example.com), or * for any host (default: loopback and private networks, " + Rotation.OutboundPolicy.DefaultList + ").",
            DefaultValueFactory = _ => Setting("rotation-allowed-hosts", null),
        };
        var nodeId = new Option<string?>("--node-id") { Description = "This node's name among nodes sharing a PostgreSQL store, stable across its restarts (default HOSTNAME/LISTEN). Env STRONGROOM_NODE_ID.", DefaultValueFactory = _ => Setting("node-id", null) };
        var extraRegions = new Option<string?>("--extra-regions") { Description = "Comma-separated regions known besides AWS's public regions and --region; secrets may be replicated only to known regions. Env STRONGROOM_EXTRA_REGIONS. Default: none.", DefaultValueFactory = _ => Setting("extra-regions", null) };
        var oidcJwksFile = new Option<string[]>("--oidc-jwks-file")
        {
            Description = "ISSUER=FILE: take the signing keys of this OIDC issuer from a JWKS file instead of discovering them (air-gapped clusters); repeatable. Env STRONGROOM_OIDC_JWKS_FILE (';'-separated). Default: none.",
            DefaultValueFactory = _ => (Setting("oidc-jwks-file", null) ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var webConsole = new Option<string>("--console") { Description = "Serve the web console at /console/ on the same listener: on (default) or off. Env STRONGROOM_CONSOLE.", DefaultValueFactory = _ => Setting("console", "on")! };
        var config = new Option<string?>("--config") { Description = "JSON file of settings named like the flags (e.g. {\"listen\": \"127.0.0.1:4566\"}; // comments allowed); flags and STRONGROOM_* variables win. Default: STRONGROOM_CONFIG, else none. The Debian package uses /etc/strongroom/strongroom.json." };
        var limits = new Option<string[]>("--limit") { Description = "A request limit as NAME=VALUE (repeatable; durations in seconds), e.g. --limit key-rate=500. Env STRONGROOM_LIMITS and config \"limits\" take comma-separated pairs. Names and defaults: docs/operations/limits.md.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("server", "Run the Strongroom server.") { dataDir, storage, postgres, listen, region, account, dev, tlsCert, tlsKey, logFormat, metricsAccess, auditFile, retention, archiveDir, digestInterval, webhook, eventRetryWindow, eventRetryBase, maintenance, rotationInterval, rotationRetry, rotationAttempts, rotationAllowedHosts, nodeId, extraRegions, oidcJwksFile, webConsole, config, limits };
        var rootKey = new RootKeyFlags();
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
            requestLimits.Set(_config.GetValueOrDefault("limits") ?? string.Empty);
            requestLimits.Set(Environment.GetEnvironmentVariable("STRONGROOM_LIMITS") ?? string.Empty);
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
                Postgres = result.GetValue(postgres),
                TlsCert = result.GetValue(tlsCert),
                TlsKey = result.GetValue(tlsKey),
                RootKey = rootKey.Read(result),
                LogFormat = result.GetValue(logFormat)!,
                MetricsAccess = result.GetValue(metricsAccess)!,
                Console = result.GetValue(webConsole)!,
                AuditFile = result.GetValue(auditFile),
                AuditRetention = Duration(result.GetValue(retention)),
                AuditArchiveDir = result.GetValue(archiveDir),
                DigestInterval = Duration(result.GetValue(digestInterval)) ?? TimeSpan.FromSeconds(60),
                EventWebhooks = result.GetValue(webhook) ?? [],
                EventEndpointsConfig = Setting("event-webhooks", null) is { } endpoints ? EventEndpointOptions.ParseList(endpoints) : [],
                EventRetryWindow = Duration(result.GetValue(eventRetryWindow)) ?? TimeSpan.FromHours(24),
                EventRetryBase = Duration(result.GetValue(eventRetryBase)) ?? TimeSpan.FromSeconds(5),
                MaintenanceInterval = Duration(result.GetValue(maintenance)) ?? TimeSpan.FromSeconds(60),
                RotationAllowedHosts = result.GetValue(rotationAllowedHosts),
                Rotation = new Core.Rotation.RotationOptions
                {
                    Tick = Duration(result.GetValue(rotationInterval)) ?? TimeSpan.FromSeconds(30),
                    RetryBase = Duration(result.GetValue(rotationRetry)) ?? TimeSpan.FromMinutes(1),
                    MaxAttempts = result.GetValue(rotationAttempts) is { } attempts
                        ? int.TryParse(attempts, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100 ? n : throw new ArgumentException($"--rotation-attempts: '{attempts}' is not a number from 1 to 100")
                        : 5,
                },
            };
        }
    }

    private static Command AdminCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var keyId = new Option<string>("--access-key-id") { Description = "Access key id to import.", Required = true };
        var secret = new Option<string>("--secret-access-key") { Description = "Secret access key to import.", Required = true };
        var import = new Command("import-access-key", "Import an existing access key pair for the admin.") { dataDir, keyId, secret };
        var importRoot = new RootKeyFlags();
        importRoot.AddTo(import);
        var importStorage = new StorageFlags();
        importStorage.AddTo(import);
        import.SetAction(async (result, ct) =>
        {
            var id = result.GetValue(keyId)!;
            var key = result.GetValue(secret)!;
            if (id.Length is < 3 or > 128 || !id.All(char.IsAsciiLetterOrDigit))
            {
                await Console.Error.WriteLineAsync("strongroom: --access-key-id must be 3 to 128 letters and digits");
                return 2;
            }

            if (key.Length is < 1 or > 256)
            {
                await Console.Error.WriteLineAsync("strongroom: --secret-access-key must be 1 to 256 characters");
                return 2;
            }

            try
            {
                var postgres = importStorage.Read(result);
                await using var data = await DataDirectory.OpenAsync(result.GetValue(dataDir)!, "us-east-1", null, create: postgres is null, ct, importRoot.Read(result), postgres: postgres);
                await data.ImportAccessKeyAsync(id, key, ct);
                await Console.Out.WriteLineAsync($"Imported access key {id} for {DataDirectory.AdminArn(data.Identity.AccountId)}.");
                return 0;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or RootKeySealedException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
                return 1;
            }
        });
        return new Command("admin", "Operator tasks on a data directory.") { import, InitCommand(), RotateRootKeyCommand(), ExplainCommand(), MigrateStoreCommand() };
    }

    private static Command MigrateStoreCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The SQLite data directory to copy (its strongroom.db). Env STRONGROOM_DATA_DIR.", DefaultValueFactory = _ => Setting("data-dir", "strongroom-data")! };
        var postgres = new Option<string?>("--postgres") { Description = "The target database's Npgsql connection string; it must be new and empty (or only initialised). Prefer STRONGROOM_POSTGRES or the config file: a flag is visible in the process list. Never shown. Default: none.", DefaultValueFactory = _ => Setting("postgres", null) };
        var verifyOnly = new Option<bool>("--verify-only") { Description = "Copy nothing: compare the data directory with the database (row counts and SHA-256 digests per table, then the audit chain). Default: off." };
        var config = new Option<string?>("--config") { Description = "JSON file of settings named like the flags (data-dir, postgres). Default: none." };
        var command = new Command(
            "migrate-store",
            "Copy a SQLite data directory's store into an empty PostgreSQL database, then verify the copy (exit 0 only when verified). "
            + "Rows are copied as stored, in one PostgreSQL transaction: ciphertext and wrapped keys byte for byte, ids and audit sequence numbers kept; "
            + "the root key is not read and not copied. Stop the server first: the data directory is read in one SQLite read transaction (a consistent "
            + "snapshot), so writes a running server makes meanwhile are not copied and make the verification fail.")
        { dataDir, postgres, verifyOnly, config };
        command.SetAction(async (result, ct) =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValue(postgres)))
            {
                await Console.Error.WriteLineAsync("strongroom: migrate-store needs --postgres \"<connection string>\" (or STRONGROOM_POSTGRES, or \"postgres\" in the config file)");
                return 2;
            }

            return await Guarded(() => StoreMigrationTool.MigrateAsync(result.GetValue(dataDir)!, result.GetValue(postgres)!, result.GetValue(verifyOnly), Console.Out, Console.Error, ct));
        });
        return command;
    }

    private static Command ExplainCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var user = new Option<string>("--user") { Description = "IAM user name.", Required = true };
        var action = new Option<string>("--action") { Description = "Action, e.g. secretsmanager:GetSecretValue.", Required = true };
        var resource = new Option<string>("--resource") { Description = "Resource as the call names it: a secret's name, partial or full ARN, or any ARN.", Required = true };
        var context = new Option<string[]>("--context") { Description = "Condition keys as key=value[,value] (repeatable). Default: none.", AllowMultipleArgumentsPerToken = true };
        var region = new Option<string>("--region") { Description = "Region of the call explained (where a secret name is looked up). Default: us-east-1.", DefaultValueFactory = _ => "us-east-1" };
        var command = new Command("explain", "Say which policy statement allows or denies an action for a user (exit 0 when allowed, 1 denied, 2 unknown action). Over the network: `strongroom explain --endpoint-url`.") { dataDir, user, action, resource, context, region };
        var storage = new StorageFlags();
        storage.AddTo(command);
        command.SetAction((result, ct) => Guarded(() => ExplainTool.ExplainAsync(result.GetValue(dataDir)!, result.GetValue(user)!, result.GetValue(action)!, result.GetValue(resource)!, result.GetValue(context) ?? [], Console.Out, ct, storage.Read(result), result.GetValue(region))));
        return command;
    }

    private static Command AuditCommand()
    {
        static Option<string> DataDir() => new("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var verifyDir = DataDir();
        var publicKey = new Option<string?>("--public-key") { Description = "PEM file with the published audit public key (default: the one stored in the data directory)." };
        var verifyArchive = new Option<string?>("--archive-dir") { Description = "Archived audit records to verify with the store (default DATA_DIR/audit-archive)." };
        var verify = new Command("verify", "Check the hash chain and every signed digest; exit 0 only when the whole trail verifies.") { verifyDir, publicKey, verifyArchive };
        var verifyStorage = new StorageFlags();
        verifyStorage.AddTo(verify);
        verify.SetAction((result, ct) => Guarded(() => AuditTool.VerifyAsync(result.GetValue(verifyDir)!, result.GetValue(publicKey), Console.Out, ct, result.GetValue(verifyArchive), verifyStorage.Read(result))));
        var keyDir = DataDir();
        var key = new Command("public-key", "Print the digest-signing public key (PEM).") { keyDir };
        var keyStorage = new StorageFlags();
        keyStorage.AddTo(key);
        key.SetAction((result, ct) => Guarded(() => AuditTool.PublicKeyAsync(result.GetValue(keyDir)!, Console.Out, Console.Error, ct, keyStorage.Read(result))));
        var exportDir = DataDir();
        var since = new Option<string?>("--since") { Description = "Only records at or after this ISO-8601 time. Default: none." };
        var export = new Command("export", "Write the trail to standard output as JSON lines.") { exportDir, since };
        var exportStorage = new StorageFlags();
        exportStorage.AddTo(export);
        export.SetAction((result, ct) => Guarded(() => AuditTool.ExportAsync(result.GetValue(exportDir)!, result.GetValue(since), Console.Out, Console.Error, ct, exportStorage.Read(result))));
        return new Command("audit", "Read and verify the audit trail.") { verify, key, export };
    }

    private static Command BackupCommand()
    {
        var createDir = new Option<string>("--data-dir") { Description = "Data directory (the server may be running).", DefaultValueFactory = _ => "strongroom-data" };
        var outFile = new Option<string>("--out") { Description = "Backup file to write (must not exist).", Required = true };
        var create = new Command("create", "Write a consistent backup of a data directory while the server runs; the root key is never in it.") { createDir, outFile };
        create.SetAction((result, ct) => Guarded(() => BackupTool.CreateAsync(result.GetValue(createDir)!, result.GetValue(outFile)!, Console.Out, ct)));
        var restoreDir = new Option<string>("--data-dir") { Description = "Empty or new directory to restore into.", Required = true };
        var inFile = new Option<string>("--in") { Description = "Backup file.", Required = true };
        var restore = new Command("restore", "Restore a backup into an empty directory; the root key must then be copied in.") { restoreDir, inFile };
        restore.SetAction((result, ct) => Guarded(() => BackupTool.RestoreAsync(result.GetValue(restoreDir)!, result.GetValue(inFile)!, Console.Out, ct)));
        return new Command("backup", "Online backup and restore.") { create, restore };
    }

    private static Command DoctorCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory to check. Env STRONGROOM_DATA_DIR.", DefaultValueFactory = _ => Setting("data-dir", "strongroom-data")! };
        var config = new Option<string?>("--config") { Description = "JSON file of settings named like the flags (data-dir, storage, postgres), e.g. /etc/strongroom/strongroom.json. Default: STRONGROOM_CONFIG, else none." };
        var command = new Command(
            "doctor",
            "Check a data directory without changing it: permissions of the directory and key files, disk space, the clock, store integrity "
            + "(PRAGMA integrity_check, or that PostgreSQL answers) and schema version, the audit chain's head. Says what to fix; exit 0 when nothing failed, 1 otherwise. "
            + "Run it as the user the server runs as (sudo -u strongroom strongroom doctor --data-dir /var/lib/strongroom).")
        { dataDir, config };
        var storage = new StorageFlags();
        storage.AddTo(command);
        command.SetAction((result, ct) => Guarded(() => DoctorTool.RunAsync(result.GetValue(dataDir)!, storage.Read(result), TimeProvider.System, Console.Out, ct)));
        return command;
    }

    private static async Task<int> Guarded(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or Core.Storage.StoreUnavailableException)
        {
            await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
            return 1;
        }
    }

    private static Command RotateRootKeyCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var newEnv = new Option<string?>("--new-root-key-env") { Description = "For env: the variable holding the new base64 root key. Default: none." };
        var newPassphraseFile = new Option<string?>("--new-passphrase-file") { Description = "For passphrase: a file holding the new passphrase (default: the current one, with a new salt)." };
        var rollback = new Option<bool>("--rollback") { Description = "Abandon an interrupted rotation instead of resuming it. Default: off." };
        var to = new Option<string?>("--to") { Description = "The custody to move the root key to: file, env, passphrase, pkcs11, shamir or kms, with that mode's flags (default: a new key in the current mode)." };
        var command = new Command("rotate-root-key", "Re-wrap every KMS key and access key under a new root key; secret data is untouched. Works with the server stopped or running (file and passphrase-file providers are re-read by a running server).") { dataDir, newEnv, newPassphraseFile, rollback, to };
        var rootKey = new RootKeyFlags();
        rootKey.AddTo(command);
        var storage = new StorageFlags();
        storage.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var keep = !result.GetValue(rollback);
                await using var data = await DataDirectory.OpenAsync(result.GetValue(dataDir)!, "us-east-1", null, create: false, ct, rootKey.Read(result), keepPendingRotation: keep, postgres: storage.Read(result));
                if (data.Recovery is not null)
                {
                    await Console.Out.WriteLineAsync("Root key: " + data.Recovery + ".");
                }

                if (!keep)
                {
                    return 0;
                }

                var resumed = data.RootSource.HasNext;
                string? newPassphrase = null;
                if (result.GetValue(newPassphraseFile) is { } file)
                {
                    newPassphrase = (await File.ReadAllLinesAsync(file, ct)).FirstOrDefault();
                }

                var before = data.Root.Fingerprint;
                var options = rootKey.Read(result);
                RootKeySource? target = null;
                if (result.GetValue(to) is { } mode)
                {
                    options.Provider = mode;
                    target = data.RootSource.ForMode(options, mode);
                }

                var (count, after) = await data.RotateRootKeyAsync(result.GetValue(newEnv), newPassphrase, ct, target);
                await Console.Out.WriteLineAsync($"{(resumed ? "Resumed and completed" : "Completed")} the root-key rotation: re-wrapped or re-tagged {count} values; fingerprint {before} -> {after}.");
                if (target?.Provider == "shamir")
                {
                    await Console.Out.WriteLineAsync($"The shares of the new root key are in {options.SharesOut}: hand one to each key holder and delete them there. A restarted server is sealed until {options.KeyThreshold} are given.");
                }

                if ((target ?? data.RootSource).Provider == "env")
                {
                    await Console.Out.WriteLineAsync($"Set {rootKey.Read(result).EnvName} to the new key before the next start.");
                }

                return 0;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or RootKeySealedException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
