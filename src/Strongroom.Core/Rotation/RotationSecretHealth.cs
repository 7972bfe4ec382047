namespace Strongroom.Core.Rotation;

/// <summary>How one rotation-enabled secret's rotation is doing (<see cref="RotationHealth"/>).</summary>
/// <param name="SecretArn">The secret.</param>
/// <param name="Region">Its region.</param>
/// <param name="LastSuccess">When its last successful rotation ended; null when none is on record (among the runs looked at).</param>
/// <param name="NextDue">When its current rotation window ends (NextRotationDate).</param>
/// <param name="OverdueBy">How far past <paramref name="NextDue"/> plus the grace it is; null when not overdue.</param>
/// <param name="ConsecutiveFailures">Failed, abandoned or interrupted runs since the last success (test runs aside).</param>
/// <param name="NeverRan">Its window ended and no rotation run (other than a test run) was ever recorded for it.</param>
/// <param name="LastOutcome">The newest run's outcome, or null.</param>
/// <param name="LastError">The newest failed run's error (masked when it was stored), or null.</param>
public sealed record RotationSecretHealth(
    string SecretArn,
    string Region,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? NextDue,
    TimeSpan? OverdueBy,
    int ConsecutiveFailures,
    bool NeverRan,
    string? LastOutcome,
    string? LastError)
{
    public bool Failing => ConsecutiveFailures > 0;

    public bool Overdue => OverdueBy is not null;
}
