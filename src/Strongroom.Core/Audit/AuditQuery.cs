namespace Strongroom.Core.Audit;

/// <summary>LookupEvents filter: at most one attribute, a time range, newest first, keyset paging by sequence.</summary>
public sealed record AuditQuery(string? AttributeKey, string? AttributeValue, DateTimeOffset? StartTime, DateTimeOffset? EndTime, long? BeforeSeq, int Limit);
