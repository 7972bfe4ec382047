using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Audit;

namespace Strongroom.Server;

/// <summary>Records things the server does by itself (AwsServiceEvent records) in the audit trail.</summary>
public sealed class ServiceEvents
{
    private readonly AuditLog _audit;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;

    public ServiceEvents(AuditLog audit, ServerIdentity identity, TimeProvider time)
    {
        _audit = audit;
        _identity = identity;
        _time = time;
    }

    public Task RecordAsync(string eventName, string service, string? region, AuditResource? resource, IReadOnlyDictionary<string, string>? details = null) =>
        _audit.AppendAsync(new AuditEvent
        {
            EventName = eventName,
            EventSource = service + ".amazonaws.com",
            AwsRegion = region ?? _identity.DefaultRegion,
            AccountId = _identity.AccountId,
            EventType = "AwsServiceEvent",
            EventTime = _time.GetUtcNow(),
            ReadOnly = false,
            Resources = resource is null ? [] : [resource],
            ServiceEventDetailsJson = details is null ? null : JsonSerializer.Serialize(details),
        });
}
