namespace Strongroom.Core.Rotation;

/// <summary>One attempt to rotate a secret (or to test its rotation function), as Strongroom.ListRotationRuns shows it.</summary>
public sealed class RotationRun
{
    public long RunId { get; set; }

    public required string SecretArn { get; set; }

    public required string Region { get; set; }

    /// <summary>The AWSPENDING version being rotated in (for a test run, the AWSCURRENT version).</summary>
    public required string VersionId { get; set; }

    public string? FunctionArn { get; set; }

    /// <summary>See <see cref="RotationTrigger"/>.</summary>
    public required string Trigger { get; set; }

    /// <summary>1 for the first attempt of a rotation, then 2, 3… for its retries.</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The last step started (createSecret … finishSecret), or null before the first.</summary>
    public string? StepReached { get; set; }

    /// <summary>See <see cref="RotationOutcome"/>.</summary>
    public string Outcome { get; set; } = RotationOutcome.Running;

    /// <summary>Why it failed (never a secret value or a function's output).</summary>
    public string? Error { get; set; }

    /// <summary>
    /// What the function said, step by step (<c>[createSecret stdout]</c> headers), bounded to
    /// <see cref="RotationRunner.OutputLimit"/> characters, with the secret's values masked before it was stored;
    /// null when it said nothing. Set when the run ends.
    /// </summary>
    public string? Output { get; set; }

    public DateTimeOffset StartedDate { get; set; }

    public DateTimeOffset? FinishedDate { get; set; }

    /// <summary>When a failed run is retried; null when no retry is planned (or it was taken).</summary>
    public DateTimeOffset? RetryAt { get; set; }

    /// <summary>The node that runs (or ran) it: while it is Running, another node takes it up only when this one is dead.</summary>
    public string? Node { get; set; }

    public bool IsTest => Trigger == RotationTrigger.Test;
}

/// <summary>What started a rotation run.</summary>
public static class RotationTrigger
{
    /// <summary>RotateSecret with RotateImmediately (the default).</summary>
    public const string RotateSecret = "RotateSecret";

    /// <summary>RotateSecret with RotateImmediately=false: only testSecret runs.</summary>
    public const string Test = "TestRotation";

    /// <summary>The scheduler, inside the rotation window.</summary>
    public const string Schedule = "Schedule";

    /// <summary>A retry of a failed or interrupted run.</summary>
    public const string Retry = "Retry";
}

/// <summary>How a rotation run ended.</summary>
public static class RotationOutcome
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";

    /// <summary>Failed; <see cref="RotationRun.RetryAt"/> says when it is tried again.</summary>
    public const string Failed = "Failed";

    /// <summary>Failed and out of retries: nothing more happens until the next rotation window.</summary>
    public const string Abandoned = "Abandoned";

    /// <summary>The server stopped while it ran; it is retried.</summary>
    public const string Interrupted = "Interrupted";

    /// <summary>Rotation was turned off (CancelRotateSecret) or the secret deleted while it ran.</summary>
    public const string Cancelled = "Cancelled";
}
