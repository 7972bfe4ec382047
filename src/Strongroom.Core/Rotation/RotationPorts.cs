namespace Strongroom.Core.Rotation;

/// <summary>One invocation of a rotation function: AWS's event for one step.</summary>
public sealed record RotationStep(string Step, string SecretArn, string ClientRequestToken, string RotationToken)
{
    public const string CreateSecret = "createSecret";
    public const string SetSecret = "setSecret";
    public const string TestSecret = "testSecret";
    public const string FinishSecret = "finishSecret";

    public static readonly IReadOnlyList<string> All = [CreateSecret, SetSecret, TestSecret, FinishSecret];
}

/// <summary>Short-lived session credentials of a function's execution role.</summary>
public sealed record RotationCredentials(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration)
{
    public override string ToString() => $"RotationCredentials {{ AccessKeyId = {AccessKeyId}, Expiration = {Expiration:O} }}";
}

/// <summary>Runs one step of a rotation function (command, HTTP or built-in).</summary>
public interface IRotationInvoker
{
    /// <summary>Completes when the step succeeded; throws <see cref="RotationFailedException"/> (or is cancelled at the timeout) when it did not.</summary>
    /// <param name="function">The function.</param>
    /// <param name="step">AWS's event for the step.</param>
    /// <param name="credentials">The role's session credentials.</param>
    /// <param name="output">Where what the function says goes, raw (the runner masks it before storing).</param>
    /// <param name="ct">Cancels (the step's timeout, the server stopping).</param>
    Task InvokeAsync(RotationFunction function, RotationStep step, RotationCredentials credentials, RotationStepOutput output, CancellationToken ct);
}

/// <summary>Issues (and revokes) session credentials for a function's role.</summary>
public interface IRotationCredentialIssuer
{
    /// <param name="roleArn">The function's role; null for the built-in strongroom-rotation role.</param>
    /// <param name="sessionName">Shown in the audit trail as the session name.</param>
    /// <param name="duration">How long the credentials live.</param>
    /// <param name="sessionPolicy">Narrows the session to what the run needs (<see cref="RotationSessionPolicy"/>).</param>
    /// <param name="ct">Cancels.</param>
    /// <remarks>The role's trust policy must let the rotation service (<see cref="RotationFunction.ServicePrincipals"/>) assume it.</remarks>
    Task<RotationCredentials> IssueAsync(string? roleArn, string sessionName, TimeSpan duration, string sessionPolicy, CancellationToken ct);

    Task RevokeAsync(RotationCredentials credentials, CancellationToken ct);
}

/// <summary>Told about every run as it starts and ends (audit events, metrics, webhook).</summary>
public interface IRotationObserver
{
    Task RunStartedAsync(RotationRun run);

    Task RunFinishedAsync(RotationRun run);
}

/// <summary>A step failed. The message says why and never holds a secret value or the function's output.</summary>
public sealed class RotationFailedException : Exception
{
    public RotationFailedException()
    {
    }

    public RotationFailedException(string message)
        : base(message)
    {
    }

    public RotationFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Tuning of retries and the scheduler.</summary>
public sealed class RotationOptions
{
    /// <summary>Tries per rotation before it is abandoned until the next window.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubles for each further one.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the scheduler looks for due rotations and retries.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Rotations running at once (each on its own secret).</summary>
    public int Concurrency { get; set; } = 4;
}
