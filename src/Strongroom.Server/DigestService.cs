using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Audit;

namespace Strongroom.Server;

/// <summary>Signs an audit digest at an interval (the server signs a last one at shutdown).</summary>
public sealed partial class DigestService : BackgroundService
{
    private readonly AuditDigester _digester;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DigestService> _logger;

    private readonly AuditArchive? _archive;

    private readonly Core.Cluster.IClusterView _cluster;

    public DigestService(AuditDigester digester, ServerOptions options, TimeProvider time, ILogger<DigestService> logger, Core.Cluster.IClusterView cluster, AuditArchive? archive = null)
    {
        _cluster = cluster;
        _archive = archive;
        _digester = digester;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.DigestInterval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!_cluster.HoldsLease)
            {
                // Another node holds the background lease and signs and archives.
                continue;
            }

            try
            {
                await _digester.WriteDigestAsync(stoppingToken);
                if (_archive is not null)
                {
                    await _archive.ArchiveDueAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(_logger, e.GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Signing an audit digest failed ({ExceptionType}); it is retried at the next interval")]
    private static partial void LogFailed(ILogger logger, string exceptionType);
}
