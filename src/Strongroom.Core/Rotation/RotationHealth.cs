using Strongroom.Core.Storage;

namespace Strongroom.Core.Rotation;

/// <summary>
/// The health of every secret with rotation on (primaries, not deleted): last success, next due, overdue (its window
/// ended more than <see cref="OverdueGrace"/> ago: a success would have moved it on), consecutive failures, never ran (its window ended with no run ever started). Read
/// from the store (the secrets' schedule index and each one's newest <see cref="RunsLookedAt"/> runs), so every node
/// answers the same. At most <see cref="MaxSecrets"/> secrets, soonest due first. Thread-safe.
/// </summary>
public sealed class RotationHealth
{
    /// <summary>How long past its window's end a secret may go unrotated before it counts as overdue (a run in flight, a retry).</summary>
    public static readonly TimeSpan OverdueGrace = TimeSpan.FromHours(1);

    /// <summary>Runs per secret looked at: more failures in a row than this count as this many.</summary>
    public const int RunsLookedAt = 50;

    /// <summary>Secrets looked at per computation.</summary>
    public const int MaxSecrets = 10_000;

    private static readonly DateTimeOffset Horizon = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly IStore _store;
    private readonly TimeProvider _time;

    public RotationHealth(IStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>Every rotation-enabled secret's health, soonest due first.</summary>
    public async Task<IReadOnlyList<RotationSecretHealth>> ComputeAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var secrets = await _store.FindSecretsDueForRotationAsync(Horizon, MaxSecrets, ct);
        var result = new List<RotationSecretHealth>(secrets.Count);
        foreach (var secret in secrets)
        {
            var runs = (await _store.ListRotationRunsAsync(secret.Arn, null, RunsLookedAt, ct)).Where(r => !r.IsTest).ToList();
            DateTimeOffset? lastSuccess = null;
            var failures = 0;
            string? lastError = null;
            foreach (var run in runs)
            {
                if (run.Outcome == RotationOutcome.Succeeded)
                {
                    lastSuccess = run.FinishedDate ?? run.StartedDate;
                    break;
                }

                if (run.Outcome is RotationOutcome.Failed or RotationOutcome.Abandoned or RotationOutcome.Interrupted)
                {
                    failures++;
                    lastError ??= run.Error;
                }
            }

            lastSuccess ??= secret.LastRotatedDate is { } rotated && runs.Count == 0 ? rotated : null;
            TimeSpan? overdueBy = null;
            if (secret.NextRotationDate is { } due && now > due + OverdueGrace)
            {
                overdueBy = now - due;
            }

            // Never ran: its first window has ended and no run was ever started (the scheduler or the function never reached).
            var neverRan = runs.Count == 0 && secret.NextRotationDate is { } end && now > end;
            result.Add(new RotationSecretHealth(secret.Arn, secret.Region, lastSuccess, secret.NextRotationDate, overdueBy, failures,
                neverRan, runs.Count == 0 ? null : runs[0].Outcome, lastError));
        }

        return result;
    }
}
