using Strongroom.Core.Audit;

namespace Strongroom.Server;

/// <summary>The server's gauges on /metrics: store sizes, the audit writer and backlog, the event outbox, sealed or not.</summary>
public static partial class StrongroomServer
{
    private static readonly Prometheus.Gauge Secrets = Prometheus.Metrics.CreateGauge("strongroom_secrets", "Secrets stored (all regions, including replicas and those pending deletion).");
    private static readonly Prometheus.Gauge Versions = Prometheus.Metrics.CreateGauge("strongroom_secret_versions", "Secret versions stored.");
    private static readonly Prometheus.Gauge KmsKeys = Prometheus.Metrics.CreateGauge("strongroom_kms_keys", "KMS keys (the key ring).");
    private static readonly Prometheus.Gauge KmsKeyVersions = Prometheus.Metrics.CreateGauge("strongroom_kms_key_material_versions", "KMS key material generations.");
    private static readonly Prometheus.Gauge AuditRecords = Prometheus.Metrics.CreateGauge("strongroom_audit_records", "Records in the audit trail.");
    private static readonly Prometheus.Gauge AuditUnsigned = Prometheus.Metrics.CreateGauge("strongroom_audit_unsigned_records", "Audit records not yet covered by a signed digest.");
    private static readonly Prometheus.Gauge AuditBacklog = Prometheus.Metrics.CreateGauge("strongroom_audit_backlog", "Calls waiting for their audit record to be written.");

    private static readonly Prometheus.Gauge AuditWriterUp = Prometheus.Metrics.CreateGauge("strongroom_audit_writer_up", "1 when the audit writer runs and its last batch was stored, else 0 (writes are refused while 0).");

    /// <summary>0 on a serving server; a sealed server (<see cref="SealedServer"/>) answers 1.</summary>
    private static readonly Prometheus.Gauge SealedGauge = Prometheus.Metrics.CreateGauge("strongroom_sealed", "1 while the server is sealed (its root key unavailable; every API call answers 503), else 0.");

    private static void RegisterGauges(Core.Storage.IStore store, AuditLog audit)
    {
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            SealedGauge.Set(0);
            AuditWriterUp.Set(audit.IsWritable ? 1 : 0);
            AuditBacklog.Set(audit.Backlog);
            var stats = await store.GetStatisticsAsync(ct);
            Secrets.Set(stats.Secrets);
            Versions.Set(stats.Versions);
            KmsKeys.Set(stats.KmsKeys);
            KmsKeyVersions.Set(stats.KmsKeyVersions);
            AuditRecords.Set(stats.AuditRecords);
            AuditUnsigned.Set(stats.AuditRecords - stats.LastDigestSeq);
            var outbox = await store.CountOutboxAsync(ct);
            ServerMetrics.EventsPending.Set(outbox.Pending);
            ServerMetrics.EventsDeadLettered.Set(outbox.Dead);
        });
    }
}
