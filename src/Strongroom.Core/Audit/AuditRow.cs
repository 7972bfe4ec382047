namespace Strongroom.Core.Audit;

/// <summary>
/// One stored audit record: the CloudTrail-shaped JSON (<see cref="Record"/>) plus the columns LookupEvents
/// filters on, and the chain hash. Immutable.
/// </summary>
public sealed record AuditRow(
    long Seq,
    string EventId,
    DateTimeOffset EventTime,
    string EventName,
    string EventSource,
    string? Username,
    string? AccessKeyId,
    bool ReadOnly,
    string? ResourceName,
    string? ResourceType,
    string Record,
    byte[] Hash);
