using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Strongroom.Server;

/// <summary>
/// Records stored rows refused by their integrity check (<see cref="Core.Kms.RootWrap.IntegrityFailure"/>): a service
/// event in the audit trail and a log line (event 7001), once per row and process so that a row refused on every
/// request does not flood either. Names the table and the row's key, never a value or key material. Thread-safe.
/// </summary>
public sealed partial class IntegrityReporter
{
    private readonly ServiceEvents _events;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.Ordinal);

    public IntegrityReporter(ServiceEvents events, ILogger logger)
    {
        _events = events;
        _logger = logger;
    }

    public void Report(string table, string key)
    {
        if (_reported.Count > 10_000 || !_reported.TryAdd(table + " " + key, true))
        {
            return;
        }

        LogRefused(_logger, table, key);
        _ = RecordAsync(table, key);
    }

    private async Task RecordAsync(string table, string key)
    {
        try
        {
            await _events.RecordAsync("RecordIntegrityCheckFailed", "strongroom", null, null, new Dictionary<string, string> { ["table"] = table, ["row"] = key });
        }
        catch (Core.Audit.AuditUnavailableException e)
        {
            LogNotRecorded(_logger, table, key, e.InnerException?.GetType().Name ?? e.GetType().Name);
        }
    }

    /// <summary>Logs what opening the data directory found or did about the administrator and the IAM rows (event 7002).</summary>
    public void Notes(IReadOnlyList<string> notes)
    {
        ArgumentNullException.ThrowIfNull(notes);
        foreach (var note in notes)
        {
            LogIdentityNote(_logger, note);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Refused a stored row that failed its integrity check: {Table} {Key}. It was changed without the root key (or written by an older Strongroom); the audit trail has a RecordIntegrityCheckFailed event.")]
    private static partial void LogRefused(ILogger logger, string table, string key);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Identities: {Note}")]
    private static partial void LogIdentityNote(ILogger logger, string note);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "The refusal of {Table} {Key} could not be recorded in the audit trail ({ExceptionType})")]
    private static partial void LogNotRecorded(ILogger logger, string table, string key, string exceptionType);
}
