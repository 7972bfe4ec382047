using System.Globalization;

namespace Strongroom.Server;

/// <summary>
/// Every limit the server holds against abusive input, in one place (documented with its default in
/// docs/operations/limits.md). Set with <c>--limit NAME=VALUE</c> (repeatable), the STRONGROOM_LIMITS variable or the
/// config file's "limits" setting (comma-separated NAME=VALUE pairs); <see cref="Validate"/> runs before the server
/// starts. The defaults are generous: CI, the benchmarks and ordinary SDK clients never reach them.
/// </summary>
public sealed class RequestLimitsOptions
{
    /// <summary>Largest request body; a larger one (declared or chunked) is answered 413.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most request headers; more are answered 431.</summary>
    public int MaxHeaderCount { get; set; } = 100;

    /// <summary>Largest total size of the request headers; more is answered 431.</summary>
    public int MaxHeaderBytes { get; set; } = 32 * 1024;

    /// <summary>Time to receive a request's headers; a slower client gets 408 and is disconnected.</summary>
    public TimeSpan HeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Slowest body upload accepted (bytes per second, after <see cref="BodyGrace"/>); slower gets 408.</summary>
    public int MinBodyBytesPerSecond { get; set; } = 240;

    /// <summary>Time a body may take before <see cref="MinBodyBytesPerSecond"/> applies (a body that never arrives: 408 after it).</summary>
    public TimeSpan BodyGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle time before a kept-alive connection is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Open connections in all; more are refused at accept.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Open connections from one client address; more are closed at once.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 1_000;

    /// <summary>Requests per second one access key may make (a token bucket of <see cref="KeyBurst"/>); more: ThrottlingException.</summary>
    public double KeyRate { get; set; } = 20_000;

    /// <summary>Requests one access key may make at once before <see cref="KeyRate"/> applies.</summary>
    public double KeyBurst { get; set; } = 40_000;

    /// <summary>Unauthenticated or failed-authentication requests per second from one address; more: ThrottlingException.</summary>
    public double AnonymousRate { get; set; } = 100;

    /// <summary>Unauthenticated or failed-authentication requests one address may make at once.</summary>
    public double AnonymousBurst { get; set; } = 1_000;

    /// <summary>Signature failures within <see cref="FailureWindow"/> for one address and access key id before its failures are answered slowly.</summary>
    public int FailuresBeforeSlowdown { get; set; } = 50;

    /// <summary>Signature failures within <see cref="FailureWindow"/> for one address and access key id before it is refused for <see cref="Lockout"/>.</summary>
    public int FailuresBeforeLockout { get; set; } = 200;

    /// <summary>Signature failures within <see cref="FailureWindow"/> from one address, any key, before the address is refused for <see cref="Lockout"/>.</summary>
    public int AddressFailuresBeforeLockout { get; set; } = 2_000;

    /// <summary>How long failures are remembered (counted from the first in the window).</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a locked-out address (or address and key) is refused before it is trusted again.</summary>
    public TimeSpan Lockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest delay added to one failure's answer once slowed down.</summary>
    public TimeSpan MaxSlowdown { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most addresses and access keys tracked at once by the throttles and the failure counters (memory bound).</summary>
    public int MaxTracked { get; set; } = 100_000;

    /// <summary>
    /// Strongroom.WatchSecrets calls parked on this server at once (each holds a request and reads the store every
    /// 200 ms while it waits); one more is answered ThrottlingException at once instead of waiting.
    /// </summary>
    public int MaxWatches { get; set; } = 1_000;

    private static readonly Dictionary<string, Action<RequestLimitsOptions, string>> Setters = new(StringComparer.Ordinal)
    {
        ["max-body-bytes"] = (o, v) => o.MaxBodyBytes = Int(v),
        ["max-header-count"] = (o, v) => o.MaxHeaderCount = Int(v),
        ["max-header-bytes"] = (o, v) => o.MaxHeaderBytes = Int(v),
        ["headers-timeout"] = (o, v) => o.HeadersTimeout = Seconds(v),
        ["min-body-bytes-per-second"] = (o, v) => o.MinBodyBytesPerSecond = Int(v),
        ["body-grace"] = (o, v) => o.BodyGrace = Seconds(v),
        ["keep-alive-timeout"] = (o, v) => o.KeepAliveTimeout = Seconds(v),
        ["max-connections"] = (o, v) => o.MaxConnections = Int(v),
        ["max-connections-per-address"] = (o, v) => o.MaxConnectionsPerAddress = Int(v),
        ["key-rate"] = (o, v) => o.KeyRate = Number(v),
        ["key-burst"] = (o, v) => o.KeyBurst = Number(v),
        ["anonymous-rate"] = (o, v) => o.AnonymousRate = Number(v),
        ["anonymous-burst"] = (o, v) => o.AnonymousBurst = Number(v),
        ["failures-before-slowdown"] = (o, v) => o.FailuresBeforeSlowdown = Int(v),
        ["failures-before-lockout"] = (o, v) => o.FailuresBeforeLockout = Int(v),
        ["address-failures-before-lockout"] = (o, v) => o.AddressFailuresBeforeLockout = Int(v),
        ["failure-window"] = (o, v) => o.FailureWindow = Seconds(v),
        ["lockout"] = (o, v) => o.Lockout = Seconds(v),
        ["max-slowdown"] = (o, v) => o.MaxSlowdown = Seconds(v),
        ["max-tracked"] = (o, v) => o.MaxTracked = Int(v),
        ["max-watches"] = (o, v) => o.MaxWatches = Int(v),
    };

    /// <summary>The names <see cref="Set"/> knows.</summary>
    public static IReadOnlyCollection<string> Names => Setters.Keys;

    /// <summary>Applies "NAME=VALUE[,NAME=VALUE…]"; durations are seconds (fractions allowed). Throws ArgumentException naming the bad part.</summary>
    public void Set(string assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        foreach (var part in assignments.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !Setters.TryGetValue(part[..eq].Trim(), out var set))
            {
                throw new ArgumentException($"--limit: '{part}' is not NAME=VALUE with a NAME among {string.Join(", ", Names)}");
            }

            try
            {
                set(this, part[(eq + 1)..].Trim());
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new ArgumentException($"--limit: '{part}' does not have a number as its value");
            }
        }
    }

    /// <summary>Returns the problems, each naming the limit; empty when the limits are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Check(bool ok, string text)
        {
            if (!ok)
            {
                problems.Add("--limit " + text);
            }
        }

        Check(MaxBodyBytes is >= 1024 and <= 64 * 1024 * 1024, "max-body-bytes must be 1024 to 67108864");
        Check(MaxHeaderCount is >= 16 and <= 10_000, "max-header-count must be 16 to 10000");
        Check(MaxHeaderBytes is >= 4096 and <= 1024 * 1024, "max-header-bytes must be 4096 to 1048576");
        Check(HeadersTimeout >= TimeSpan.FromSeconds(1) && HeadersTimeout <= TimeSpan.FromMinutes(10), "headers-timeout must be 1 to 600 seconds");
        Check(MinBodyBytesPerSecond is >= 1 and <= 1024 * 1024, "min-body-bytes-per-second must be 1 to 1048576");
        Check(BodyGrace >= TimeSpan.FromSeconds(1) && BodyGrace <= TimeSpan.FromMinutes(10), "body-grace must be 1 to 600 seconds");
        Check(KeepAliveTimeout >= TimeSpan.FromSeconds(1) && KeepAliveTimeout <= TimeSpan.FromHours(1), "keep-alive-timeout must be 1 to 3600 seconds");
        Check(MaxConnections is >= 1 and <= 1_000_000, "max-connections must be 1 to 1000000");
        Check(MaxConnectionsPerAddress >= 1 && MaxConnectionsPerAddress <= MaxConnections, "max-connections-per-address must be 1 to max-connections");
        Check(KeyRate > 0 && KeyBurst >= 1, "key-rate must be above 0 and key-burst at least 1");
        Check(AnonymousRate > 0 && AnonymousBurst >= 1, "anonymous-rate must be above 0 and anonymous-burst at least 1");
        Check(FailuresBeforeSlowdown >= 1 && FailuresBeforeLockout > FailuresBeforeSlowdown, "failures-before-lockout must be above failures-before-slowdown (at least 1)");
        Check(AddressFailuresBeforeLockout >= FailuresBeforeLockout, "address-failures-before-lockout must be at least failures-before-lockout");
        Check(FailureWindow >= TimeSpan.FromSeconds(1) && FailureWindow <= TimeSpan.FromDays(1), "failure-window must be 1 second to 1 day");
        Check(Lockout >= TimeSpan.FromSeconds(1) && Lockout <= TimeSpan.FromDays(1), "lockout must be 1 second to 1 day (it always ends)");
        Check(MaxSlowdown >= TimeSpan.Zero && MaxSlowdown <= TimeSpan.FromSeconds(30), "max-slowdown must be 0 to 30 seconds");
        Check(MaxTracked is >= 100 and <= 10_000_000, "max-tracked must be 100 to 10000000");
        Check(MaxWatches is >= 1 and <= 1_000_000, "max-watches must be 1 to 1000000");
        return problems;
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Number(string value) =>
        double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture) is var n && double.IsFinite(n) ? n : throw new FormatException();

    private static TimeSpan Seconds(string value) =>
        Number(value) is var n && n is >= 0 and <= 86_400 * 30 ? TimeSpan.FromSeconds(n) : throw new FormatException();
}
