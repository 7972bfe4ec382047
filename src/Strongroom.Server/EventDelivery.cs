using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Events;
using Strongroom.Core.Storage;

namespace Strongroom.Server;

/// <summary>
/// Delivers the event outbox (ADR 0028): on the node holding the background lease only (one delivery owner across
/// nodes), every <see cref="ServerOptions.EventPoll"/> it POSTs each due entry to its endpoint, signed
/// (<see cref="EventSignature"/>). A 2xx answer marks it delivered; anything else schedules a retry after an
/// exponentially growing wait with full jitter, until the entry's deadline, then dead-letters it. At least once: an
/// entry sent just before a crash or a lease change is sent again, with the same event id.
/// </summary>
public sealed partial class EventDelivery : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);
    private static readonly TimeSpan DeliveredKept = TimeSpan.FromDays(7);

    private readonly IStore _store;
    private readonly ServerOptions _options;
    private readonly Core.Cluster.IClusterView _cluster;
    private readonly TimeProvider _time;
    private readonly ILogger<EventDelivery> _logger;
    private readonly HttpClient _http;
    private readonly Dictionary<string, EventEndpointOptions> _endpoints;
    private DateTimeOffset _lastPrune;

    public EventDelivery(IStore store, ServerOptions options, Core.Cluster.IClusterView cluster, TimeProvider time, ILogger<EventDelivery> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _cluster = cluster;
        _time = time;
        _logger = logger;
        _endpoints = options.EventEndpoints.ToDictionary(e => e.Name, StringComparer.Ordinal);
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoint in _options.EventEndpoints)
        {
            LogEndpoint(_logger, endpoint.Name, endpoint.Secret is not null, endpoint.DetailTypes.Count + endpoint.Sources.Count + endpoint.ResourcePrefixes.Count > 0);
            if (endpoint.Secret is null)
            {
                LogUnsigned(_logger, endpoint.Name);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_endpoints.Count == 0)
        {
            // No endpoints: nothing is stored, and this node could deliver nothing another node stored (nodes share
            // their endpoint list). Not polling keeps servers without webhooks from reading the outbox every second.
            return;
        }

        using var timer = new PeriodicTimer(_options.EventPoll, _time);
        do
        {
            if (!_cluster.HoldsLease)
            {
                continue; // another node owns delivery
            }

            try
            {
                await DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogPassFailed(_logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: every due entry, oldest first, in batches, while this node holds the lease.</summary>
    private async Task DeliverDueAsync(CancellationToken ct)
    {
        while (_cluster.HoldsLease && !ct.IsCancellationRequested)
        {
            var due = await _store.FindOutboxDueAsync(_time.GetUtcNow(), 50, ct);
            foreach (var entry in due)
            {
                await DeliverAsync(entry, ct);
            }

            if (due.Count < 50)
            {
                break;
            }
        }

        var now = _time.GetUtcNow();
        if (now - _lastPrune > TimeSpan.FromHours(1))
        {
            _lastPrune = now;
            await _store.PruneOutboxAsync(now - DeliveredKept, ct);
        }
    }

    private async Task DeliverAsync(OutboxEntry entry, CancellationToken ct)
    {
        entry.Attempts++;
        string? error;
        if (!_endpoints.TryGetValue(entry.Endpoint, out var endpoint))
        {
            // Nodes sharing a store must share the endpoint list; an entry for an endpoint this node does not know is
            // retried like a failed delivery (another owner may know it), and dead-lettered at its deadline.
            error = "endpoint not configured on this node";
        }
        else
        {
            error = await PostAsync(endpoint, entry, ct);
        }

        var now = _time.GetUtcNow();
        if (error is null)
        {
            entry.State = OutboxStates.Delivered;
            entry.DeliveredDate = now;
            entry.LastError = null;
            ServerMetrics.EventDeliveries.WithLabels("delivered").Inc();
            LogDelivered(_logger, entry.EventId, entry.DetailType, entry.Endpoint, entry.Attempts);
        }
        else
        {
            entry.LastError = error;
            var ceiling = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, _options.EventRetryBase.Ticks * (1L << Math.Min(entry.Attempts - 1, 20))));
            var next = now + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * ceiling.Ticks)); // full jitter
            if (next > entry.Deadline)
            {
                entry.State = OutboxStates.Dead;
                ServerMetrics.EventDeliveries.WithLabels("dead_lettered").Inc();
                LogDeadLettered(_logger, entry.EventId, entry.DetailType, entry.Endpoint, entry.Attempts, error);
            }
            else
            {
                entry.NextAttempt = next;
                ServerMetrics.EventDeliveries.WithLabels("failed").Inc();
                LogRetry(_logger, entry.EventId, entry.Endpoint, entry.Attempts, error, next);
            }
        }

        await _store.UpdateOutboxEntryAsync(entry, ct);
    }

    /// <summary>POSTs the entry; null when the endpoint answered 2xx, else why not (a status or an exception type, never a body).</summary>
    private async Task<string?> PostAsync(EventEndpointOptions endpoint, OutboxEntry entry, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(entry.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(EventSignature.EventIdHeader, entry.EventId);
        if (endpoint.Secret is not null)
        {
            request.Headers.TryAddWithoutValidation(EventSignature.Header, EventSignature.Sign(endpoint.Secret, _time.GetUtcNow().ToUnixTimeSeconds(), body));
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return e.GetType().Name;
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 8220, Level = LogLevel.Information, Message = "Events go to endpoint {Endpoint} (signed: {Signed}, filtered: {Filtered})")]
    private static partial void LogEndpoint(ILogger logger, string endpoint, bool signed, bool filtered);

    [LoggerMessage(EventId = 8221, Level = LogLevel.Warning, Message = "Event endpoint {Endpoint} has no signing secret: its deliveries are unsigned, and a receiver cannot tell them from forgeries (give it a secret in the config file's event-webhooks)")]
    private static partial void LogUnsigned(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 8222, Level = LogLevel.Information, Message = "Delivered event {EventId} ({DetailType}) to {Endpoint} at attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string eventId, string detailType, string endpoint, int attempt);

    [LoggerMessage(EventId = 8223, Level = LogLevel.Warning, Message = "Delivering event {EventId} to {Endpoint} failed at attempt {Attempt} ({Error}); retrying at {NextAttempt:o}")]
    private static partial void LogRetry(ILogger logger, string eventId, string endpoint, int attempt, string error, DateTimeOffset nextAttempt);

    [LoggerMessage(EventId = 8224, Level = LogLevel.Error, Message = "Event {EventId} ({DetailType}) to {Endpoint} is dead-lettered after {Attempt} attempts ({Error}); `strongroom events redeliver {EventId}` sends it again")]
    private static partial void LogDeadLettered(ILogger logger, string eventId, string detailType, string endpoint, int attempt, string error);

    [LoggerMessage(EventId = 8225, Level = LogLevel.Warning, Message = "An event delivery pass failed ({ExceptionType}); the next pass tries again")]
    private static partial void LogPassFailed(ILogger logger, string exceptionType);
}
