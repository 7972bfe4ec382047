namespace Strongroom.Core.Storage;

/// <summary>Counts shown as gauges at /metrics.</summary>
public sealed record StoreStatistics(long Secrets, long Versions, long KmsKeys, long KmsKeyVersions, long AuditRecords, long LastDigestSeq);
