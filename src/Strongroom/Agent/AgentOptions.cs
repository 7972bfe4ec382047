using System.Net;

namespace Strongroom.Agent;

/// <summary>`strongroom agent`'s settings, validated at start.</summary>
internal sealed class AgentOptions
{
    public required IPEndPoint Listen { get; init; }

    /// <summary>The SSRF token every request must carry (never logged).</summary>
    public required string Token { get; init; }

    public required TimeSpan Ttl { get; init; }

    public required int MaxEntries { get; init; }

    public required TimeSpan MaxStale { get; init; }

    public required bool Watch { get; init; }
}
