using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Kms;

namespace Strongroom.Server;

/// <summary>Rotates KMS key material when due and deletes keys whose deletion window ended, on a timer.</summary>
public sealed partial class KmsMaintenanceService : BackgroundService
{
    private readonly KmsService _kms;
    private readonly Core.Cluster.IClusterView _cluster;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KmsMaintenanceService> _logger;
    private readonly ServiceEvents _events;

    public KmsMaintenanceService(KmsService kms, ServiceEvents events, ServerOptions options, TimeProvider time, ILogger<KmsMaintenanceService> logger, Core.Cluster.IClusterView cluster)
    {
        _cluster = cluster;
        _kms = kms;
        _events = events;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.MaintenanceInterval, _time);
        do
        {
            if (!_cluster.HoldsLease)
            {
                // Another node holds the background lease and does this work.
                continue;
            }

            try
            {
                var (rotated, deleted) = await _kms.Keys.RunMaintenanceAsync(stoppingToken);
                foreach (var key in rotated)
                {
                    await _events.RecordAsync("RotateKey", "kms", key.Region, new Core.Audit.AuditResource(key.Arn, "AWS::KMS::Key"));
                }

                foreach (var key in deleted)
                {
                    await _events.RecordAsync("DeleteKey", "kms", key.Region, new Core.Audit.AuditResource(key.Arn, "AWS::KMS::Key"));
                }

                if (rotated.Count + deleted.Count > 0)
                {
                    LogDone(_logger, rotated.Count, deleted.Count);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(_logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "KMS maintenance: rotated the material of {Rotated} keys, deleted {Deleted} keys")]
    private static partial void LogDone(ILogger logger, int rotated, int deleted);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "KMS maintenance failed ({ExceptionType}); it is retried at the next interval")]
    private static partial void LogFailed(ILogger logger, string exceptionType);
}
