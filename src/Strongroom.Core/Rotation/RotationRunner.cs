using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Rotation;

/// <summary>
/// Runs one rotation of one secret through AWS's contract: the function is invoked for createSecret,
/// setSecret, testSecret and finishSecret in order (only testSecret for a test run), each with a
/// timeout, and the run succeeds only when AWSCURRENT ends on the pending version. A failure leaves
/// AWSCURRENT where it was and AWSPENDING for the retry. Every run is recorded (rotation_runs) and
/// reported to the observer. Thread-safe; callers keep to one run per secret at a time.
/// </summary>
public sealed class RotationRunner
{
    private readonly IStore _store;
    private readonly SecretsService _secrets;
    private readonly IRotationFunctions _functions;
    private readonly IRotationInvoker _invoker;
    private readonly IRotationCredentialIssuer _credentials;
    private readonly IRotationObserver _observer;
    private readonly RotationOptions _options;
    private readonly TimeProvider _time;

    private readonly Cluster.IClusterView _cluster;
    private readonly Events.IEventOutbox _events;

    public RotationRunner(IStore store, SecretsService secrets, IRotationFunctions functions, IRotationInvoker invoker, IRotationCredentialIssuer credentials, IRotationObserver observer, RotationOptions options, TimeProvider time, Cluster.IClusterView? cluster = null, Events.IEventOutbox? events = null)
    {
        _cluster = cluster ?? new Cluster.SingleNode();
        _events = events ?? Events.NoEventOutbox.Instance;
        _store = store;
        _secrets = secrets;
        _functions = functions;
        _invoker = invoker;
        _credentials = credentials;
        _observer = observer;
        _options = options;
        _time = time;
    }

    /// <summary>Largest <see cref="RotationRun.Output"/> stored, in characters; each step's share is its tail.</summary>
    public const int OutputLimit = 16 * 1024;

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>See <see cref="IRotationStarter.CheckStartAsync"/>.</summary>
    public Task CheckStartAsync(string region, string secretArn, string functionArn, string? versionId, bool rotateNow, CancellationToken ct) =>
        new RotationStartCheck(_store, _functions).CheckAsync(region, secretArn, functionArn, versionId, rotateNow, ct);

    /// <summary>Runs the request to its end and returns the recorded run (null when there was nothing to run).</summary>
    public async Task<RotationRun?> RunAsync(RotationStartRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var secret = await _store.FindSecretByArnAsync(request.SecretArn, ct);
        if (secret is null || secret.DeletedDate is not null)
        {
            return null;
        }

        var run = new RotationRun
        {
            SecretArn = secret.Arn, Region = secret.Region, VersionId = request.VersionId, FunctionArn = secret.RotationLambdaArn,
            Trigger = request.Trigger, Attempt = request.Attempt, StartedDate = Now, Node = _cluster.NodeId,
        };
        if (!await RecordStartAsync(_store, _events, run, ct))
        {
            // A run of this secret is still going (started by another node, or left by a dead one and not
            // yet taken up): its outcome decides, as for a second request while one runs here.
            return null;
        }

        await _observer.RunStartedAsync(run);

        RotationCredentials? credentials = null;
        var outputs = new List<(string Step, RotationStepOutput Output)>();
        try
        {
            var function = string.IsNullOrEmpty(secret.RotationLambdaArn) ? null : await _functions.ResolveAsync(secret.Region, secret.RotationLambdaArn, ct);
            if (function is null)
            {
                throw new RotationFailedException($"No rotation function {secret.RotationLambdaArn} is registered in {secret.Region}. Register it with `strongroom function create` or use a built-in one.");
            }

            run.FunctionArn = function.Arn;
            var timeout = TimeSpan.FromSeconds(function.TimeoutSeconds);
            var lifetime = TimeSpan.FromSeconds(Math.Max(900, (function.TimeoutSeconds * 4) + 300));
            var sessionPolicy = RotationSessionPolicy.For(secret.Region, secret.Arn, await MasterArnAsync(secret, ct));
            credentials = await _credentials.IssueAsync(function.RoleArn, $"strongroom-rotation-{run.RunId}", lifetime, sessionPolicy, ct);
            var rotationToken = Guid.NewGuid().ToString();
            var steps = run.IsTest ? [RotationStep.TestSecret] : RotationStep.All;
            foreach (var step in steps)
            {
                if (!await StillOursAsync(run, ct))
                {
                    // Another node judged this one dead and took the run up (marked it Interrupted and
                    // retries it): stop without touching the secret or the record again.
                    return run;
                }

                if (!run.IsTest && !await StillRotatingAsync(secret.Id, secret.Arn, ct))
                {
                    run.Outcome = RotationOutcome.Cancelled;
                    run.Error = $"Rotation was turned off or the secret deleted before {step}.";
                    break;
                }

                run.StepReached = step;
                await _store.UpdateRotationRunAsync(run, ct);
                using var timer = new CancellationTokenSource(timeout, _time);
                using var stepToken = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
                var output = new RotationStepOutput();
                outputs.Add((step, output));
                try
                {
                    await _invoker.InvokeAsync(function, new RotationStep(step, secret.Arn, request.VersionId, rotationToken), credentials, output, stepToken.Token);
                }
                catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw new RotationFailedException($"timed out after {function.TimeoutSeconds} s.");
                }
            }

            if (run.Outcome == RotationOutcome.Running && !run.IsTest)
            {
                var current = await _store.FindVersionByStageAsync(secret.Id, StagingLabels.Current, ct);
                if (current?.VersionId != request.VersionId)
                {
                    throw new RotationFailedException($"finishSecret completed but AWSCURRENT is not on version {request.VersionId}.");
                }
            }

            if (run.Outcome == RotationOutcome.Running)
            {
                run.Outcome = RotationOutcome.Succeeded;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The server is stopping: the run stays "Running" in the store and is taken up as interrupted at the next start.
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Invokers turn what functions report into RotationFailedException with safe messages; of
            // anything else only the type is kept, since its message might quote data it should not.
            var why = e is RotationFailedException or Errors.DomainException ? e.Message : $"internal error ({e.GetType().Name})";
            // Built-in rotators already name the step (as AWS's templates do); say it once.
            run.Error = Bound(run.StepReached is null || why.StartsWith(run.StepReached + ":", StringComparison.Ordinal) ? why : $"{run.StepReached}: {why}");
            run.Outcome = RotationOutcome.Failed;
        }
        finally
        {
            if (credentials is not null)
            {
                if (!ct.IsCancellationRequested)
                {
                    await MaskAsync(run, outputs, credentials);
                }

                try
                {
                    await _credentials.RevokeAsync(credentials, CancellationToken.None);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The credentials expire anyway; a failed revoke must not change the run's outcome.
                }
            }
        }

        if (run.Outcome == RotationOutcome.Failed && !run.IsTest)
        {
            if (run.Attempt < _options.MaxAttempts)
            {
                run.RetryAt = Now + (_options.RetryBase * Math.Pow(2, run.Attempt - 1));
            }
            else
            {
                run.Outcome = RotationOutcome.Abandoned;
                await _secrets.Rotation.PostponeRotationAsync(secret.Arn, CancellationToken.None);
            }
        }

        run.FinishedDate = Now;
        await RecordEndAsync(_store, _events, run, CancellationToken.None);
        await _observer.RunFinishedAsync(run);
        return run;
    }

    /// <summary>
    /// Records a new run (see <see cref="IStore.InsertRotationRunAsync"/>) and, unless it is a test run, its
    /// "Rotation Started" event in the same transaction (ADR 0028): both are stored or neither. False, with nothing
    /// stored, when a run of the secret is still Running.
    /// </summary>
    internal static Task<bool> RecordStartAsync(IStore store, Events.IEventOutbox events, RotationRun run, CancellationToken ct) =>
        store.WriteAsync(
            async tx =>
            {
                if (!await tx.InsertRotationRunAsync(run, ct))
                {
                    return false;
                }

                await AnnounceAsync(events, tx, run, finished: false, ct);
                return true;
            },
            ct);

    /// <summary>Stores a run's end and, unless it is a test run, its "Rotation Succeeded/Failed" event in the same transaction (ADR 0028).</summary>
    internal static Task RecordEndAsync(IStore store, Events.IEventOutbox events, RotationRun run, CancellationToken ct) =>
        store.WriteAsync(
            async tx =>
            {
                await tx.UpdateRotationRunAsync(run, ct);
                await AnnounceAsync(events, tx, run, finished: true, ct);
                return true;
            },
            ct);

    /// <summary>Test runs are not announced.</summary>
    private static Task AnnounceAsync(Events.IEventOutbox events, IStoreTransaction tx, RotationRun run, bool finished, CancellationToken ct) =>
        run.IsTest ? Task.CompletedTask : events.AddAsync(tx, Events.EventCatalog.Rotation(run, finished), ct);

    /// <summary>
    /// Stores nothing the function said until every value the secret's versions hold (the pending password among
    /// them) and the session's keys are masked in it; when those values cannot be read, the output is withheld.
    /// The error is masked the same way.
    /// </summary>
    private async Task MaskAsync(RotationRun run, List<(string Step, RotationStepOutput Output)> outputs, RotationCredentials credentials)
    {
        var parts = outputs.SelectMany(o => o.Output.Parts.Where(p => p.Text.Length > 0).Select(p => (o.Step, Part: p))).ToList();
        if (parts.Count == 0 && run.Error is null)
        {
            return;
        }

        IReadOnlyList<string>? values;
        try
        {
            values = await _secrets.Reads.ValuesToMaskAsync(run.SecretArn, CancellationToken.None);
        }
        catch (Exception e) when (e is Errors.DomainException or Kms.KmsUnavailableException)
        {
            values = null;
        }

        if (values is null)
        {
            run.Output = parts.Count == 0 ? null : "[output withheld: the secret's values could not be read to mask it]";
            run.Error = run.Error is null ? null : Bound($"{run.StepReached}: the step failed; its message was withheld (the secret's values could not be read to mask it).");
            return;
        }

        var needles = RotationOutputMasker.Needles(values, [credentials.SecretAccessKey, credentials.SessionToken]);
        if (run.Error is not null)
        {
            run.Error = RotationOutputMasker.Apply(new RotationOutputPart("error", run.Error, false), needles);
        }

        if (parts.Count == 0)
        {
            return;
        }

        // Each part gets an equal share of the limit, from its end (where a failure is explained).
        var share = (OutputLimit / parts.Count) - 64;
        var text = new System.Text.StringBuilder();
        foreach (var (step, part) in parts)
        {
            var masked = RotationOutputMasker.Apply(part, needles);
            if (masked.Length > share)
            {
                masked = RotationOutputMasker.Apply(new RotationOutputPart(part.Label, masked, true), []);
                masked = masked.Length > share ? "[earlier output dropped]\n" + masked[^(share - 25)..] : masked;
            }

            text.Append('[').Append(step).Append(' ').Append(part.Label).Append("]\n").Append(masked);
            if (!masked.EndsWith('\n'))
            {
                text.Append('\n');
            }
        }

        run.Output = text.ToString();
    }

    private Task<bool> StillOursAsync(RotationRun run, CancellationToken ct) => IsStillRunningAsync(_store, run, ct);

    /// <summary>
    /// The ARN of the master secret the secret's AWSCURRENT value names (<c>masterarn</c>, AWS's alternating-users
    /// shape), when it names an existing secret of the region; else null. Only that one string is kept.
    /// </summary>
    private async Task<string?> MasterArnAsync(SecretRecord secret, CancellationToken ct)
    {
        string? named;
        try
        {
            using var value = await _secrets.Reads.GetSecretValueAsync(secret.Region, secret.Arn, null, StagingLabels.Current, ct);
            if (value.Value.Text is not { } text || !text.TrimStart().StartsWith('{'))
            {
                return null;
            }

            using var document = System.Text.Json.JsonDocument.Parse(text);
            named = document.RootElement.TryGetProperty("masterarn", out var master) && master.ValueKind == System.Text.Json.JsonValueKind.String ? master.GetString() : null;
        }
        catch (Exception e) when (e is Errors.DomainException or System.Text.Json.JsonException or Kms.KmsUnavailableException)
        {
            return null;
        }

        return string.IsNullOrEmpty(named) ? null : (await SecretLookup.FindAsync(_store, secret.Region, named, ct))?.Arn;
    }

    /// <summary>True when <paramref name="run"/> is, as stored now, still Running (no one ended or took it up meanwhile).</summary>
    internal static async Task<bool> IsStillRunningAsync(IRotationRunStore store, RotationRun run, CancellationToken ct)
    {
        var latest = await store.ListRotationRunsAsync(run.SecretArn, run.RunId + 1, 1, ct);
        return latest.Count == 1 && latest[0].RunId == run.RunId && latest[0].Outcome == RotationOutcome.Running;
    }

    private async Task<bool> StillRotatingAsync(long secretId, string arn, CancellationToken ct)
    {
        var secret = await _store.FindSecretByArnAsync(arn, ct);
        return secret is not null && secret.Id == secretId && secret.DeletedDate is null && secret.RotationEnabled == true;
    }

    private static string Bound(string message) => message.Length <= 1024 ? message : message[..1021] + "...";
}
