using Strongroom.Core.Events;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Server;

/// <summary>
/// Strongroom.ListEvents and Strongroom.RedeliverEvent: the event outbox for the admin (`strongroom events …`). The
/// answer shows ids, types, endpoints and delivery state, never a body (bodies hold ARNs only, but an endpoint's
/// receiver is the place to read them).
/// </summary>
public sealed class EventsAdminApi
{
    public const string ListOperation = "ListEvents";
    public const string RedeliverOperation = "RedeliverEvent";

    private readonly Core.Storage.IStore _store;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;

    public EventsAdminApi(Core.Storage.IStore store, ServerOptions options, TimeProvider time)
    {
        _store = store;
        _options = options;
        _time = time;
    }

    public async Task InvokeAsync(string operation, JsonCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (operation == ListOperation)
        {
            var max = call.Input.Int("MaxResults") ?? 100;
            if (max is < 1 or > 1000)
            {
                throw new AwsError("ValidationException", "MaxResults must be from 1 to 1000.");
            }

            var entries = await _store.ListOutboxAsync(call.Input.Bool("Dead") == true ? OutboxStates.Dead : null, max, call.Ct);
            var w = call.Output;
            w.WriteStartObject();
            w.WriteStartArray("Events");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("EventId", e.EventId);
                w.WriteString("Endpoint", e.Endpoint);
                w.WriteString("DetailType", e.DetailType);
                w.WriteString("State", e.State);
                w.WriteNumber("Attempts", e.Attempts);
                w.WriteNumber("CreatedDate", e.CreatedDate.ToUnixTimeMilliseconds() / 1000.0);
                w.WriteNumber("Deadline", e.Deadline.ToUnixTimeMilliseconds() / 1000.0);
                if (e.State == OutboxStates.Pending)
                {
                    w.WriteNumber("NextAttempt", e.NextAttempt.ToUnixTimeMilliseconds() / 1000.0);
                }

                if (e.DeliveredDate is { } delivered)
                {
                    w.WriteNumber("DeliveredDate", delivered.ToUnixTimeMilliseconds() / 1000.0);
                }

                JsonOutput.String(w, "LastError", e.LastError);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            return;
        }

        var eventId = call.Input.RequiredString("EventId");
        var now = _time.GetUtcNow();
        var changed = await _store.RedeliverOutboxAsync(eventId, now, now + _options.EventRetryWindow, call.Ct);
        if (changed == 0)
        {
            throw new AwsError("ResourceNotFoundException", $"The outbox holds no event {eventId}.");
        }

        call.Output.WriteStartObject();
        call.Output.WriteString("EventId", eventId);
        call.Output.WriteNumber("Entries", changed);
        call.Output.WriteEndObject();
    }
}
