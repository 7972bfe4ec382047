using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Cluster;

namespace Strongroom.Server;

/// <summary>
/// Runs this node's <see cref="ClusterCoordinator"/>: heartbeat, the background lease (which gates rotation
/// scheduling, purges, KMS maintenance, digests and archiving) and the change feed that keeps IAM and KMS caches
/// in step with other nodes. Gives the lease up at shutdown so another node takes it at once.
/// </summary>
public sealed partial class ClusterService : BackgroundService
{
    private readonly ClusterCoordinator _cluster;
    private readonly ILogger<ClusterService> _logger;

    public ClusterService(ClusterCoordinator cluster, Core.Identity.IamService iam, Core.Kms.KeyRing keys, ILogger<ClusterService> logger)
    {
        _cluster = cluster;
        _logger = logger;
        _cluster.LeaseTaken += () => LogLeaseTaken(_logger, _cluster.NodeId);
        _cluster.OnChanged(Core.Identity.IamService.ChangeDomain, iam.Invalidate);
        _cluster.OnChanged(Core.Kms.KeyRing.ChangeDomain, keys.InvalidateAll);
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Beat once before the services the lease gates start, so a lone node does their first pass at once.
        try
        {
            await _cluster.BeatAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // The store is unreachable: the run loop tries again.
        }

        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _cluster.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await _cluster.ReleaseAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The lease then runs out by itself.
            LogReleaseFailed(_logger, e.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Node {NodeId} holds the background lease: it runs rotation scheduling, purges, KMS maintenance and digests")]
    private static partial void LogLeaseTaken(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Giving up the background lease at shutdown failed ({ExceptionType}); another node takes it when it runs out")]
    private static partial void LogReleaseFailed(ILogger logger, string exceptionType);
}
