using Prometheus;

namespace Strongroom.Server;

/// <summary>
/// The Prometheus metrics the server exposes at /metrics. Labels never carry secret names or values:
/// only service, operation and error code (the one exception, bounded: <see cref="RotationHealthMetrics"/>, ADR 0030). Static: prometheus-net keeps one default registry per process.
/// </summary>
public static class ServerMetrics
{
    public static readonly Counter Requests = Metrics.CreateCounter(
        "strongroom_requests_total", "API requests by service, operation and error code (empty code = success).",
        new CounterConfiguration { LabelNames = ["service", "operation", "code"] });

    public static readonly Histogram Latency = Metrics.CreateHistogram(
        "strongroom_request_duration_seconds", "API request latency including the durable audit record.",
        new HistogramConfiguration
        {
            LabelNames = ["service", "operation"],
            Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        });

    public static readonly Histogram AuditWrite = Metrics.CreateHistogram(
        "strongroom_audit_wait_seconds", "Time a call waits for its audit record to be durable (group commit).",
        new HistogramConfiguration { Buckets = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5] });

    public static readonly Counter AuditFailures = Metrics.CreateCounter(
        "strongroom_audit_failures_total", "Calls refused because their audit record could not be written.");

    public static readonly Counter Throttled = Metrics.CreateCounter(
        "strongroom_throttled_total", "Calls refused or slowed by the request limits: key (over its access key's rate), address (a flooding or locked-out address), slowdown (a slowed authentication failure), watch (a WatchSecrets call past max-watches).",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter AuthFailures = Metrics.CreateCounter(
        "strongroom_auth_failures_total", "Calls whose SigV4 authentication failed, by error code.", new CounterConfiguration { LabelNames = ["code"] });

    public static readonly Counter Lockouts = Metrics.CreateCounter(
        "strongroom_auth_lockouts_total", "Lockouts started by repeated signature failures (per address, or per address and access key id).");

    public static readonly Counter ConnectionsRefused = Metrics.CreateCounter(
        "strongroom_connections_refused_total", "Connections closed at once because their address had too many open.");

    public static readonly Counter Rotations = Metrics.CreateCounter(
        "strongroom_rotations_total", "Secret rotations by outcome.", new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter KeyRotations = Metrics.CreateCounter(
        "strongroom_kms_key_rotations_total", "KMS key material rotations by type.", new CounterConfiguration { LabelNames = ["type"] });

    public static readonly Counter SecretsPurged = Metrics.CreateCounter(
        "strongroom_secrets_purged_total", "Secrets deleted at the end of their recovery window.");

    public static readonly Counter EventDeliveries = Metrics.CreateCounter(
        "strongroom_event_deliveries_total", "Event delivery attempts by this node, by outcome: delivered, failed (retried later), dead_lettered.",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Gauge EventsPending = Metrics.CreateGauge(
        "strongroom_events_pending", "Events waiting in the outbox for delivery (one per event and endpoint), on every node sharing the store.");

    public static readonly Gauge EventsDeadLettered = Metrics.CreateGauge(
        "strongroom_events_dead_lettered", "Events dead-lettered in the outbox (retried until their deadline without an acknowledgement), until redelivered.");
}
