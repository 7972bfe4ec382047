using System.Globalization;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Events;
using Strongroom.Core.Storage;

namespace Strongroom.Server;

/// <summary>
/// The host's side of Core's <see cref="IEventOutbox"/> port: turns a <see cref="ServiceEvent"/> into its
/// EventBridge-shaped JSON body once (a fresh event id, the account, the time) and stores one outbox row per configured
/// endpoint whose filter matches it. <see cref="EventDelivery"/> sends the rows later. Thread-safe.
/// </summary>
public sealed class EventOutbox : IEventOutbox
{
    private readonly ServerOptions _options;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;

    public EventOutbox(ServerOptions options, ServerIdentity identity, TimeProvider time)
    {
        _options = options;
        _identity = identity;
        _time = time;
    }

    public async Task AddAsync(IStoreTransaction tx, ServiceEvent serviceEvent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        foreach (var entry in Entries(serviceEvent))
        {
            await tx.InsertOutboxEntryAsync(entry, ct);
        }
    }

    private List<OutboxEntry> Entries(ServiceEvent serviceEvent)
    {
        ArgumentNullException.ThrowIfNull(serviceEvent);
        var endpoints = _options.EventEndpoints.Where(e => e.Matches(serviceEvent)).ToList();
        if (endpoints.Count == 0)
        {
            return [];
        }

        var now = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
        var id = Guid.NewGuid().ToString();
        var body = Body(id, serviceEvent, now);
        return [.. endpoints.Select(e => new OutboxEntry
        {
            EventId = id,
            Endpoint = e.Name,
            DetailType = serviceEvent.DetailType,
            Body = body,
            CreatedDate = now,
            Deadline = now + _options.EventRetryWindow,
            NextAttempt = now,
        })];
    }

    /// <summary>The EventBridge event: version, id, detail-type, source, account, time, region, resources, detail, in that order.</summary>
    private string Body(string id, ServiceEvent e, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("version", "0");
            w.WriteString("id", id);
            w.WriteString("detail-type", e.DetailType);
            w.WriteString("source", e.Source);
            w.WriteString("account", _identity.AccountId);
            w.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("region", e.Region);
            w.WriteStartArray("resources");
            foreach (var r in e.Resources)
            {
                w.WriteStringValue(r);
            }

            w.WriteEndArray();
            w.WriteStartObject("detail");
            foreach (var (k, v) in e.Detail)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
