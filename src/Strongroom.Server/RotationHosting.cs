using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Rotation;

namespace Strongroom.Server;

/// <summary>
/// Rotation outcomes where operators look: one audit record per start and end (AWS's event names
/// RotationStarted, RotationSucceeded, RotationFailed, RotationAbandoned and TestRotation*), the
/// strongroom_rotations_total counter by outcome and a structured log line. The run's webhook event is not sent from
/// here: the runner stores it in the transaction that records the run (ADR 0028).
/// </summary>
public sealed partial class RotationObserver : IRotationObserver
{
    private readonly ServiceEvents _events;
    private readonly ILogger<RotationObserver> _logger;

    public RotationObserver(ServiceEvents events, ILogger<RotationObserver> logger)
    {
        _events = events;
        _logger = logger;
    }

    public async Task RunStartedAsync(RotationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        // Right after the run's row and its event committed: a test host may kill the process here (FaultPoints).
        FaultPoints.Reach("rotation-run-started");
        ServerMetrics.Rotations.WithLabels("started").Inc();
        LogStarted(_logger, run.SecretArn, run.RunId, run.Trigger, run.Attempt);
        await _events.RecordAsync(run.IsTest ? "TestRotationStarted" : "RotationStarted", "secretsmanager", run.Region, new AuditResource(run.SecretArn, "AWS::SecretsManager::Secret"), Details(run));
    }

    public async Task RunFinishedAsync(RotationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        FaultPoints.Reach("rotation-run-finished");
        var name = (run.IsTest, run.Outcome) switch
        {
            (true, RotationOutcome.Succeeded) => "TestRotationSucceeded",
            (true, _) => "TestRotationFailed",
            (false, RotationOutcome.Succeeded) => "RotationSucceeded",
            (false, RotationOutcome.Abandoned) => "RotationAbandoned",
            _ => "RotationFailed",
        };
        ServerMetrics.Rotations.WithLabels(run.Outcome.ToLowerInvariant()).Inc();
        if (run.Outcome == RotationOutcome.Succeeded)
        {
            LogSucceeded(_logger, run.SecretArn, run.RunId, run.Trigger);
        }
        else
        {
            LogFailed(_logger, run.SecretArn, run.RunId, run.Outcome, run.Error ?? string.Empty, run.RetryAt);
        }

        var details = Details(run);
        await _events.RecordAsync(name, "secretsmanager", run.Region, new AuditResource(run.SecretArn, "AWS::SecretsManager::Secret"), details);
    }

    private static Dictionary<string, string> Details(RotationRun run)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["runId"] = run.RunId.ToString(CultureInfo.InvariantCulture),
            ["versionId"] = run.VersionId,
            ["trigger"] = run.Trigger,
            ["attempt"] = run.Attempt.ToString(CultureInfo.InvariantCulture),
            ["outcome"] = run.Outcome,
        };
        if (run.FunctionArn is not null)
        {
            details["rotationLambdaARN"] = run.FunctionArn;
        }

        if (run.StepReached is not null)
        {
            details["step"] = run.StepReached;
        }

        if (run.Error is not null)
        {
            details["error"] = run.Error;
        }

        if (run.RetryAt is { } retry)
        {
            details["retryAt"] = retry.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        return details;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Rotation of {SecretArn} started (run {RunId}, {Trigger}, attempt {Attempt})")]
    private static partial void LogStarted(ILogger logger, string secretArn, long runId, string trigger, int attempt);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Rotation of {SecretArn} succeeded (run {RunId}, {Trigger})")]
    private static partial void LogSucceeded(ILogger logger, string secretArn, long runId, string trigger);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Rotation of {SecretArn} ended {Outcome} (run {RunId}): {Error}; retry at {RetryAt}")]
    private static partial void LogFailed(ILogger logger, string secretArn, long runId, string outcome, string error, DateTimeOffset? retryAt);
}

/// <summary>
/// Session credentials of a function's role, from IAM, narrowed by the run's session policy; issued only when the
/// role trusts the rotation service; ended as soon as the run is over.
/// </summary>
public sealed class RotationCredentialIssuer : IRotationCredentialIssuer
{
    private readonly IamService _iam;

    public RotationCredentialIssuer(IamService iam) => _iam = iam;

    public async Task<RotationCredentials> IssueAsync(string? roleArn, string sessionName, TimeSpan duration, string sessionPolicy, CancellationToken ct)
    {
        var role = roleArn ?? (await _iam.Roles.EnsureRotationRoleAsync(ct)).Arn;
        try
        {
            var (session, secret, token) = await _iam.Sts.IssueServiceSessionAsync(role, sessionName, (int)duration.TotalSeconds, RotationFunction.ServicePrincipals, sessionPolicy, ct);
            return new RotationCredentials(session.AccessKeyId, secret, token, session.Expiration);
        }
        catch (Core.Errors.DomainException e)
        {
            throw new RotationFailedException($"The function's role cannot be used: {e.Message}");
        }
    }

    public Task RevokeAsync(RotationCredentials credentials, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return _iam.Sts.EndSessionAsync(credentials.AccessKeyId, ct);
    }
}

/// <summary>Hosts the rotation scheduler for the server's lifetime.</summary>
public sealed class RotationService : BackgroundService
{
    private readonly RotationScheduler _scheduler;

    public RotationService(RotationScheduler scheduler) => _scheduler = scheduler;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _scheduler.RunAsync(stoppingToken);
}

/// <summary>
/// The HTTP clients rotation runs use, owned by the container: <see cref="Functions"/> calls HTTP functions (no
/// redirects, only hosts the operator's --rotation-allowed-hosts allows); <see cref="Callback"/> lets built-in
/// rotators call this server back at its own endpoint.
/// </summary>
public sealed class RotationHttp : IDisposable
{
    public RotationHttp(Rotation.Runners.RotationRuntimeOptions runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        Functions = new HttpClient(runtime.Outbound.CreateHttpHandler()) { Timeout = TimeSpan.FromSeconds(Core.Rotation.RotationFunction.MaxTimeoutSeconds) };
    }

    public HttpClient Functions { get; }

    public HttpClient Callback { get; } = new() { Timeout = TimeSpan.FromSeconds(Core.Rotation.RotationFunction.MaxTimeoutSeconds) };

    public void Dispose()
    {
        Functions.Dispose();
        Callback.Dispose();
    }
}
