using System.Net;

namespace Strongroom.Server;

/// <summary>Settings of one server process, validated by <see cref="Validate"/> before anything starts.</summary>
public sealed class ServerOptions
{
    public string DataDir { get; set; } = "strongroom-data";

    public string Listen { get; set; } = "127.0.0.1:4566";

    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// Regions known besides AWS's public ones and <see cref="Region"/>: secrets may be replicated only to known
    /// regions (<see cref="Core.Secrets.KnownRegions"/>). Setting <c>extra-regions</c>, comma-separated.
    /// </summary>
    public IReadOnlyList<string> ExtraRegions { get; set; } = [];

    /// <summary>
    /// OIDC issuers whose signing keys come from a file instead of discovery (air-gapped clusters): entries
    /// <c>ISSUER=FILE</c>, e.g. <c>https://kubernetes.default.svc=/etc/strongroom/cluster-jwks.json</c>. Setting
    /// <c>oidc-jwks-file</c> (repeatable flag; ';'-separated in the environment or config file).
    /// </summary>
    public IReadOnlyList<string> OidcJwksFiles { get; set; } = [];

    /// <summary>Parsed <see cref="OidcJwksFiles"/>: the issuer's canonical URL → file.</summary>
    public IReadOnlyDictionary<string, string> OidcJwksFileMap { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// This node's name among nodes sharing a store (null: HOSTNAME/LISTEN). Stable across restarts, so a
    /// restarted node takes up the rotation runs it left at once; two live nodes must not share one.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>The node id in use: <see cref="NodeId"/>, or the host name and listen address.</summary>
    public string EffectiveNodeId => string.IsNullOrWhiteSpace(NodeId) ? $"{Environment.MachineName}/{Listen}" : NodeId;

    /// <summary>Heartbeat, background lease and cross-node cache timings.</summary>
    public Core.Cluster.ClusterOptions Cluster { get; set; } = new();

    public string? AccountId { get; set; }

    /// <summary>
    /// A throw-away server for tests: its own temporary SQLite store and file root key (<see cref="DataDir"/> is replaced
    /// by a temporary directory), loopback only, and any unknown access key id that does not look issued is taken as the
    /// admin. <see cref="Validate"/> refuses a dev server any other store, root key or listen address.
    /// </summary>
    public bool Dev { get; set; }

    /// <summary>sqlite (default: DATA_DIR/strongroom.db) or postgres (the database named by <see cref="Postgres"/>).</summary>
    public string Storage { get; set; } = "sqlite";

    /// <summary>
    /// The Npgsql connection string for <c>--storage postgres</c>. May hold a password: never logged, never in a
    /// message (<see cref="ToString"/> does not show it).
    /// </summary>
    public string? Postgres { get; set; }

    /// <summary>The connection string when the store is PostgreSQL, else null (SQLite).</summary>
    public string? PostgresConnection => Storage == "postgres" ? Postgres : null;

    public string? TlsCert { get; set; }

    public string? TlsKey { get; set; }

    public RootKeyOptions RootKey { get; set; } = new();

    /// <summary>When set, every durable audit record is also appended to this file as a JSON line (for a SIEM).</summary>
    public string? AuditFile { get; set; }

    /// <summary>Audit records older than this move to JSON-lines archive files (null: keep everything in the store).</summary>
    public TimeSpan? AuditRetention { get; set; }

    /// <summary>Where archived audit records go (default DATA_DIR/audit-archive).</summary>
    public string? AuditArchiveDir { get; set; }

    /// <summary>
    /// --event-webhook (repeatable): URLs that receive every event, unsigned unless the same URL is also described in
    /// <see cref="EventEndpointsConfig"/>.
    /// </summary>
    public IReadOnlyList<string> EventWebhooks { get; set; } = [];

    /// <summary>The config file's <c>event-webhooks</c>: endpoints with their signing secret and filters.</summary>
    public IReadOnlyList<EventEndpointOptions> EventEndpointsConfig { get; set; } = [];

    /// <summary>Every endpoint events go to: the config file's, then each --event-webhook URL it does not describe (set by <see cref="Validate"/>).</summary>
    public IReadOnlyList<EventEndpointOptions> EventEndpoints { get; private set; } = [];

    /// <summary>How long an event is retried before it is dead-lettered (--event-retry-window, default 24 h).</summary>
    public TimeSpan EventRetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The first retry's longest wait; each retry doubles it, up to an hour, and waits a random part of it (--event-retry-base, default 5 s).</summary>
    public TimeSpan EventRetryBase { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the delivery owner looks for due events.</summary>
    public TimeSpan EventPoll { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often background work (deletion purge, parameter policies) runs.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Request, connection, throttling and brute-force limits (docs/operations/limits.md).</summary>
    public RequestLimitsOptions Limits { get; set; } = new();

    /// <summary>Rotation scheduler and retry tuning.</summary>
    public Core.Rotation.RotationOptions Rotation { get; set; } = new();

    /// <summary>
    /// --rotation-allowed-hosts: where HTTP functions and built-in rotators may connect (addresses, CIDR blocks, host
    /// names and patterns, or *). Null: <see cref="global::Strongroom.Rotation.OutboundPolicy.DefaultList"/> (loopback and private networks).
    /// </summary>
    public string? RotationAllowedHosts { get; set; }

    /// <summary>Parsed <see cref="RotationAllowedHosts"/> (set by <see cref="Validate"/>).</summary>
    public global::Strongroom.Rotation.OutboundPolicy RotationOutbound { get; private set; } = global::Strongroom.Rotation.OutboundPolicy.Default;

    /// <summary>auto (default: text when standard output is a terminal, else json), json or text.</summary>
    public string LogFormat { get; set; } = "auto";

    /// <summary>Who may read /metrics: loopback (default), open, or off.</summary>
    public string MetricsAccess { get; set; } = "loopback";

    /// <summary>Serve the web console at /console/ on the API's listener: on (default) or off.</summary>
    public string Console { get; set; } = "on";

    /// <summary>How often a digest of the audit trail is signed (and once more at shutdown).</summary>
    public TimeSpan DigestInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How calls wait for their audit record. Only the benchmark suite (bench/, through InternalsVisibleTo)
    /// sets anything but <see cref="AuditTrailMode.Durable"/>, to measure what the trail costs; no flag,
    /// variable or file setting reaches it.
    /// </summary>
    internal AuditTrailMode AuditTrail { get; set; } = AuditTrailMode.Durable;

    /// <summary>Parsed <see cref="Listen"/>.</summary>
    public (string Host, int Port) Endpoint { get; private set; }

    /// <summary>For diagnostics: the settings that name no secret (the PostgreSQL connection string is left out).</summary>
    public override string ToString() => $"storage {Storage}, data {DataDir}, listen {Listen}, region {Region}";

    /// <summary>Returns the problems, each naming the setting; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        var colon = Listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(Listen.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 0 or > 65535)
        {
            problems.Add($"--listen: '{Listen}' is not HOST:PORT (for example 127.0.0.1:4566)");
        }
        else
        {
            var host = Listen[..colon].Trim('[', ']');
            Endpoint = (host, port);
            var loopback = host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
            var tls = TlsCert is not null || TlsKey is not null;
            if (Dev && !loopback)
            {
                problems.Add($"--listen: --dev listens on loopback only and '{host}' is not a loopback address; give 127.0.0.1:PORT, [::1]:PORT or localhost:PORT (a dev server accepts any access key as the admin)");
            }
            else if (tls && (TlsCert is null || TlsKey is null))
            {
                problems.Add("--tls-cert and --tls-key go together: give both or neither");
            }
            else if (!loopback && !tls)
            {
                problems.Add($"--listen: refusing to serve plain HTTP on '{host}', which is not a loopback address. Secrets would cross the network unencrypted; give --tls-cert and --tls-key, or listen on 127.0.0.1.");
            }
        }

        if (NodeId is not null && (NodeId.Length is < 1 or > 200 || NodeId.Any(c => char.IsControl(c) || c == ' ')))
        {
            problems.Add($"--node-id: '{NodeId}' must be 1 to 200 characters without spaces");
        }

        if (!Core.Secrets.RegionName.IsValid(Region))
        {
            problems.Add($"--region: '{Region}' is not a region name (for example us-east-1)");
        }

        foreach (var extra in ExtraRegions.Where(r => !Core.Secrets.RegionName.IsValid(r)))
        {
            problems.Add($"--extra-regions: '{extra}' is not a region name (for example eu-central-3)");
        }

        var jwksFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in OidcJwksFiles)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            var issuer = eq > 0 ? Core.Identity.IamOidcProviders.CanonicalIssuer(entry[..eq].Trim()) : null;
            var file = eq > 0 ? entry[(eq + 1)..].Trim() : string.Empty;
            if (issuer is null || file.Length == 0)
            {
                problems.Add($"--oidc-jwks-file: '{entry}' is not ISSUER=FILE with an https issuer URL (http only for a loopback issuer), e.g. https://oidc.example.com=/etc/strongroom/jwks.json");
            }
            else if (!File.Exists(file))
            {
                problems.Add($"--oidc-jwks-file: the JWKS file '{file}' for {issuer.Value.Url} does not exist");
            }
            else if (!jwksFiles.TryAdd(issuer.Value.Url, Path.GetFullPath(file)))
            {
                problems.Add($"--oidc-jwks-file: {issuer.Value.Url} is given more than one file");
            }
        }

        OidcJwksFileMap = jwksFiles;

        if (LogFormat is not ("auto" or "json" or "text"))
        {
            problems.Add($"--log-format: '{LogFormat}' is not auto, json or text");
        }

        if (MetricsAccess is not ("loopback" or "open" or "off"))
        {
            problems.Add($"--metrics-access: '{MetricsAccess}' is not loopback, open or off");
        }

        if (Console is not ("on" or "off"))
        {
            problems.Add($"--console: '{Console}' is not on or off");
        }

        var endpoints = new List<EventEndpointOptions>(EventEndpointsConfig);
        foreach (var url in EventWebhooks)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var hook) || hook.Scheme is not ("http" or "https"))
            {
                problems.Add($"--event-webhook: '{url}' is not an http(s) URL");
            }
            else if (!endpoints.Any(e => e.Url == hook))
            {
                endpoints.Add(new EventEndpointOptions { Name = url, Url = hook });
            }
        }

        if (endpoints.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            problems.Add($"event-webhooks: two endpoints are named '{twice.Key}'; give each a distinct 'name'");
        }

        if (EventRetryWindow <= TimeSpan.Zero || EventRetryBase <= TimeSpan.Zero)
        {
            problems.Add("--event-retry-window and --event-retry-base must be positive durations");
        }

        EventEndpoints = endpoints;

        if (Dev && (Storage != "sqlite" || !string.IsNullOrEmpty(Postgres)))
        {
            problems.Add("--dev runs only on its own temporary SQLite store: drop --storage and --postgres, or run without --dev");
        }
        else if (Dev && (RootKey.Provider != "file" || RootKey.PassphraseFile is not null || RootKey.PassphraseEnv is not null))
        {
            problems.Add("--dev uses only its own temporary file root key: drop the root-key flags, or run without --dev");
        }
        else if (Storage is not ("sqlite" or "postgres"))
        {
            problems.Add($"--storage: '{Storage}' is not sqlite or postgres");
        }
        else if (Storage == "postgres" && string.IsNullOrWhiteSpace(Postgres))
        {
            problems.Add("--storage postgres needs --postgres \"<connection string>\" (or STRONGROOM_POSTGRES, or \"postgres\" in the config file)");
        }
        else if (Storage == "sqlite" && !string.IsNullOrEmpty(Postgres))
        {
            problems.Add("--postgres is set but --storage is sqlite: add --storage postgres (or STRONGROOM_STORAGE=postgres), or drop --postgres");
        }
        else if (Storage == "postgres")
        {
            try
            {
                _ = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = Postgres };
            }
            catch (ArgumentException)
            {
                // The parser's message may quote the string, which may hold a password.
                problems.Add("--postgres: not a valid connection string such as \"Host=db;Database=strongroom;Username=strongroom;Password=...\" (the value is not shown: it may hold a password)");
            }
        }

        if (AccountId is not null && (AccountId.Length != 12 || !AccountId.All(char.IsAsciiDigit)))
        {
            problems.Add($"--account-id: '{AccountId}' is not a 12-digit AWS account id");
        }

        if (RotationAllowedHosts is not null)
        {
            try
            {
                RotationOutbound = global::Strongroom.Rotation.OutboundPolicy.Parse(RotationAllowedHosts);
            }
            catch (FormatException e)
            {
                problems.Add(e.Message);
            }
        }

        problems.AddRange(Limits.Validate());
        return problems;
    }
}

/// <summary>See <see cref="ServerOptions.AuditTrail"/>.</summary>
internal enum AuditTrailMode
{
    /// <summary>Production: a call is answered once its record is durable.</summary>
    Durable,

    /// <summary>Records are written, but a call does not wait for its record (benchmark only).</summary>
    NotAwaited,

    /// <summary>No record is built or written (benchmark only).</summary>
    Off,
}
