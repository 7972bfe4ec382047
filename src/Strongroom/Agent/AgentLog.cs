using Microsoft.Extensions.Logging;

namespace Strongroom.Agent;

/// <summary>The agent's log lines (EventIds 7700–7799). Secret ids and error codes only: never a value or the token.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 7700, Level = LogLevel.Information, Message = "strongroom agent listening on http://{Listen} for {Endpoint} (ttl {TtlSeconds} s, max entries {MaxEntries}, change stream {Watch}, max stale {MaxStaleSeconds} s)")]
    public static partial void Started(ILogger logger, string listen, string endpoint, int ttlSeconds, int maxEntries, bool watch, int maxStaleSeconds);

    [LoggerMessage(EventId = 7701, Level = LogLevel.Warning, Message = "Refused {Method} {Path} from {Remote}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string path, string remote, string reason);

    [LoggerMessage(EventId = 7702, Level = LogLevel.Warning, Message = "Server answered {Code} (HTTP {Status}) for secret {SecretId}")]
    public static partial void ServerError(ILogger logger, string code, int status, string secretId);

    [LoggerMessage(EventId = 7703, Level = LogLevel.Warning, Message = "Serving secret {SecretId} stale: the server has not answered since {Since}")]
    public static partial void ServedStale(ILogger logger, string secretId, DateTimeOffset since);

    [LoggerMessage(EventId = 7704, Level = LogLevel.Error, Message = "Server unreachable for secret {SecretId}: {Reason}")]
    public static partial void Unreachable(ILogger logger, string secretId, string reason);
}
