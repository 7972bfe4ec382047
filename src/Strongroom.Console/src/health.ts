// A secret's rotation health, from DescribeSecret's dates and the Strongroom.ListRotationRuns history. Only a
// presentation of what the server reports: the scheduler decides when rotations run.

export interface RotationRun {
  readonly RunId: number;
  readonly SecretArn: string;
  readonly VersionId: string;
  readonly FunctionArn?: string;
  readonly Trigger: string;
  readonly Attempt: number;
  readonly StepReached?: string;
  readonly Outcome: string;
  readonly Error?: string;
  readonly Node?: string;
  readonly StartedDate: number;
  readonly FinishedDate?: number;
  readonly RetryAt?: number;
}

export type HealthState = 'disabled' | 'running' | 'failing' | 'overdue' | 'healthy' | 'scheduled';

export interface RotationHealth {
  readonly state: HealthState;
  /** One sentence for people. */
  readonly summary: string;
  readonly lastSuccess: Date | undefined;
  readonly nextDue: Date | undefined;
  readonly lastError: string | undefined;
  /** Finished runs that failed since the last success (newest first, running ones skipped); 0 when the newest succeeded. */
  readonly consecutiveFailures: number;
}

export interface RotationFacts {
  readonly RotationEnabled?: boolean;
  readonly LastRotatedDate?: number;
  readonly NextRotationDate?: number;
}

const seconds = (v: number | undefined): Date | undefined => (typeof v === 'number' ? new Date(v * 1000) : undefined);

const succeeded = (run: RotationRun) => run.Outcome.toLowerCase() === 'succeeded' && run.Trigger !== 'TestRotation';
const failed = (run: RotationRun) => ['failed', 'abandoned', 'interrupted'].includes(run.Outcome.toLowerCase());
const running = (run: RotationRun) => ['running', 'started', 'pending'].includes(run.Outcome.toLowerCase());

/**
 * Health from the facts and the runs (any order). Failing: the newest finished run failed and no success came after
 * it. Overdue: the next rotation date has passed by more than the grace period (a rotation runs somewhere in its
 * window, so a date just passed is not yet late).
 */
export function rotationHealth(facts: RotationFacts, runs: readonly RotationRun[], now: Date, graceMs = 60 * 60 * 1000): RotationHealth {
  const ordered = [...runs].sort((a, b) => b.StartedDate - a.StartedDate || b.RunId - a.RunId);
  const lastSuccessRun = ordered.find(succeeded);
  const lastSuccess = seconds(lastSuccessRun?.FinishedDate ?? lastSuccessRun?.StartedDate) ?? seconds(facts.LastRotatedDate);
  const nextDue = seconds(facts.NextRotationDate);
  const newest = ordered[0];
  const lastError = ordered.find(failed)?.Error;
  const finished = ordered.filter((r) => !running(r) && r.Trigger !== 'TestRotation');
  const streak = finished.findIndex((r) => !failed(r));
  const consecutiveFailures = streak < 0 ? finished.length : streak;
  if (!facts.RotationEnabled) {
    return { state: 'disabled', summary: 'Rotation is not turned on.', lastSuccess, nextDue: undefined, lastError, consecutiveFailures };
  }
  if (newest && running(newest)) {
    return { state: 'running', summary: `A rotation is running (attempt ${newest.Attempt}${newest.StepReached ? `, at ${newest.StepReached}` : ''}).`, lastSuccess, nextDue, lastError, consecutiveFailures };
  }
  if (newest && failed(newest)) {
    const retry = seconds(newest.RetryAt);
    return {
      state: 'failing',
      summary: `The last rotation ${newest.Outcome.toLowerCase()}${newest.StepReached ? ` at ${newest.StepReached}` : ''}${consecutiveFailures > 1 ? ` (${consecutiveFailures} failed runs in a row)` : ''}${retry ? '; a retry is scheduled' : ''}.`,
      lastSuccess,
      nextDue,
      lastError: newest.Error ?? lastError,
      consecutiveFailures,
    };
  }
  if (nextDue && now.getTime() - nextDue.getTime() > graceMs) {
    return { state: 'overdue', summary: 'The next rotation is overdue.', lastSuccess, nextDue, lastError, consecutiveFailures };
  }
  if (lastSuccess) {
    return { state: 'healthy', summary: 'The last rotation succeeded.', lastSuccess, nextDue, lastError, consecutiveFailures };
  }
  return { state: 'scheduled', summary: 'Rotation is on; it has not run yet.', lastSuccess, nextDue, lastError, consecutiveFailures };
}
