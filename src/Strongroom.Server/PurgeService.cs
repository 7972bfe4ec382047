using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Secrets;

namespace Strongroom.Server;

/// <summary>Deletes secrets whose recovery window has ended, on a timer.</summary>
public sealed partial class PurgeService : BackgroundService
{
    private readonly SecretsService _secrets;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PurgeService> _logger;
    private readonly ServiceEvents _events;
    private readonly Core.Cluster.IClusterView _cluster;

    private readonly Core.Parameters.ParameterService _parameters;

    public PurgeService(SecretsService secrets, Core.Parameters.ParameterService parameters, ServiceEvents events, ServerOptions options, TimeProvider time, ILogger<PurgeService> logger, Core.Cluster.IClusterView cluster)
    {
        _cluster = cluster;
        _parameters = parameters;
        _secrets = secrets;
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
                var purged = await _secrets.Deletion.PurgeDueAsync(stoppingToken);
                foreach (var secret in purged)
                {
                    await _events.RecordAsync("EndSecretDelete", "secretsmanager", secret.Region, new Core.Audit.AuditResource(secret.Arn, "AWS::SecretsManager::Secret"));
                }

                foreach (var parameter in await _parameters.Policies.ExpireDueAsync(stoppingToken))
                {
                    var expiredArn = _parameters.Arn(parameter.Region, parameter.Name);
                    await _events.RecordAsync("DeleteParameter", "ssm", parameter.Region, new Core.Audit.AuditResource(expiredArn, "AWS::SSM::Parameter"), new Dictionary<string, string> { ["reason"] = "Expiration policy" });
                }

                foreach (var (parameter, type, message) in await _parameters.Policies.DueNotificationsAsync(stoppingToken))
                {
                    var arn = _parameters.Arn(parameter.Region, parameter.Name);
                    var details = new Dictionary<string, string> { ["policyType"] = type, ["message"] = message, ["parameterName"] = parameter.Name };
                    await _events.RecordAsync(type, "ssm", parameter.Region, new Core.Audit.AuditResource(arn, "AWS::SSM::Parameter"), details);
                }

                if (purged.Count > 0)
                {
                    LogPurged(_logger, purged.Count);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPurgeFailed(_logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Deleted {Count} secrets whose recovery window ended")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Purge of deleted secrets failed ({ExceptionType}); it is retried at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, string exceptionType);
}
