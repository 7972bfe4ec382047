namespace Strongroom.Core.Audit;

/// <summary>Who made a call, in CloudTrail's userIdentity shape.</summary>
public sealed record AuditIdentity(string Type, string PrincipalId, string Arn, string AccountId, string? AccessKeyId, string? UserName, AuditSessionIssuer? SessionIssuer = null);

/// <summary>
/// For an AssumedRole identity, CloudTrail's userIdentity.sessionContext.sessionIssuer: the role the session was
/// issued for (type Role, its RoleId, ARN, account and name).
/// </summary>
public sealed record AuditSessionIssuer(string Type, string PrincipalId, string Arn, string AccountId, string UserName);

/// <summary>A resource a call touched.</summary>
public sealed record AuditResource(string Arn, string Type);

/// <summary>
/// An audit event before it is numbered and chained. Request parameters and response elements arrive as
/// JSON object text already stripped of every sensitive member; nothing here may hold a secret value.
/// </summary>
public sealed class AuditEvent
{
    public required string EventName { get; init; }

    public required string EventSource { get; init; }

    public required string AwsRegion { get; init; }

    public required string AccountId { get; init; }

    /// <summary>AwsApiCall or AwsServiceEvent.</summary>
    public string EventType { get; init; } = "AwsApiCall";

    public DateTimeOffset EventTime { get; init; }

    /// <summary>
    /// A UUID, as CloudTrail's, but time-ordered (version 7): the store's index on event ids then grows at its end
    /// instead of at random places, which would cost a page write per record at every commit.
    /// </summary>
    public string EventId { get; init; } = Guid.CreateVersion7().ToString();

    public string? RequestId { get; init; }

    public AuditIdentity? UserIdentity { get; init; }

    public string? SourceIpAddress { get; init; }

    public string? UserAgent { get; init; }

    public string? RequestParametersJson { get; init; }

    public string? ResponseElementsJson { get; init; }

    public string? ServiceEventDetailsJson { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public bool ReadOnly { get; init; }

    public IReadOnlyList<AuditResource> Resources { get; init; } = [];
}
