namespace Strongroom.Core.Audit;

/// <summary>
/// An audit record ready to store but not yet numbered or chained: the CloudTrail-shaped JSON (<see cref="Record"/>)
/// plus the columns LookupEvents filters on. The store gives it its sequence number and chain hash inside its write
/// transaction (<see cref="AuditChain.LinkAfterHeadAsync"/>), so nodes sharing a database extend one chain. Immutable.
/// </summary>
public sealed record AuditEntry(
    string EventId,
    DateTimeOffset EventTime,
    string EventName,
    string EventSource,
    string? Username,
    string? AccessKeyId,
    bool ReadOnly,
    string? ResourceName,
    string? ResourceType,
    string Record)
{
    /// <summary>The entry for an event: its record text and the columns LookupEvents filters on.</summary>
    public static AuditEntry From(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var resource = e.Resources.Count > 0 ? e.Resources[0] : null;
        return new AuditEntry(e.EventId, e.EventTime, e.EventName, e.EventSource, e.UserIdentity?.UserName ?? SessionName(e.UserIdentity), e.UserIdentity?.AccessKeyId, e.ReadOnly, resource?.Arn, resource?.Type, AuditRecordWriter.Write(e));
    }

    /// <summary>An assumed role's session name (the last part of its ARN): what CloudTrail's Username lookup matches for it.</summary>
    private static string? SessionName(AuditIdentity? identity) =>
        identity?.SessionIssuer is null ? null : identity.Arn[(identity.Arn.LastIndexOf('/') + 1)..];
}
