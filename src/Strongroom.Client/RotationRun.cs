namespace Strongroom.Client;

/// <summary>One rotation run as ListRotationRuns shows it.</summary>
public sealed record RotationRun(
    string? RunId,
    string? SecretArn,
    string? VersionId,
    string? FunctionArn,
    string? Trigger,
    long? Attempt,
    string? StepReached,
    string? Outcome,
    string? Error,
    DateTimeOffset? StartedDate,
    DateTimeOffset? FinishedDate,
    DateTimeOffset? RetryAt,
    string? Node = null)
{
    /// <summary>What the function said, step by step, with the secret's values masked (null when it said nothing).</summary>
    public string? Output { get; init; }
}
