namespace Strongroom.Rotation;

/// <summary>AWS's rotation event: what a rotation function receives for each step.</summary>
/// <param name="Step">createSecret, setSecret, testSecret or finishSecret.</param>
/// <param name="SecretId">The secret's ARN.</param>
/// <param name="ClientRequestToken">The VersionId of the AWSPENDING version being rotated in.</param>
/// <param name="RotationToken">Opaque token the function may pass back in PutSecretValue.</param>
public sealed record RotationEvent(string Step, string SecretId, string ClientRequestToken, string? RotationToken)
{
    public const string CreateSecret = "createSecret";
    public const string SetSecret = "setSecret";
    public const string TestSecret = "testSecret";
    public const string FinishSecret = "finishSecret";

    public static readonly IReadOnlyList<string> Steps = [CreateSecret, SetSecret, TestSecret, FinishSecret];
}

/// <summary>
/// The Secrets Manager calls a rotation function makes (exactly those AWS's rotation templates use).
/// Built-in rotators make them through the ordinary signed API with the function role's session
/// credentials, so they are authorised and audited like any other caller's.
/// </summary>
public interface ISecretsManagerCalls
{
    Task<SecretDescription> DescribeSecretAsync(string secretId, CancellationToken ct);

    /// <summary>Throws <see cref="SecretsManagerCallException"/> with Code ResourceNotFoundException when the version has no value or does not exist.</summary>
    Task<SecretValueResult> GetSecretValueAsync(string secretId, string? versionId, string? versionStage, CancellationToken ct);

    Task PutSecretValueAsync(string secretId, string clientRequestToken, string secretString, IReadOnlyList<string> versionStages, CancellationToken ct);

    Task UpdateSecretVersionStageAsync(string secretId, string versionStage, string? moveToVersionId, string? removeFromVersionId, CancellationToken ct);

    Task<string> GetRandomPasswordAsync(string excludeCharacters, CancellationToken ct);
}

/// <summary>What DescribeSecret says that a rotation step checks.</summary>
public sealed record SecretDescription(string Arn, string Name, bool RotationEnabled, IReadOnlyDictionary<string, IReadOnlyList<string>> VersionIdsToStages);

public sealed record SecretValueResult(string Arn, string VersionId, string? SecretString, IReadOnlyList<string> VersionStages);

/// <summary>An error answer from Secrets Manager (its __type and message).</summary>
public sealed class SecretsManagerCallException : Exception
{
    public SecretsManagerCallException(string code, string message)
        : base(message) => Code = code;

    public SecretsManagerCallException()
        : this("Unknown", "Secrets Manager call failed")
    {
    }

    public SecretsManagerCallException(string message)
        : this("Unknown", message)
    {
    }

    public SecretsManagerCallException(string message, Exception innerException)
        : base(message, innerException) => Code = "Unknown";

    public string Code { get; } = "Unknown";
}

/// <summary>A rotation step failed; the message says why and never holds a secret value.</summary>
public sealed class RotationStepException : Exception
{
    public RotationStepException()
    {
    }

    public RotationStepException(string message)
        : base(message)
    {
    }

    public RotationStepException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An in-process rotator (the built-in PostgreSQL, MySQL/MariaDB and Redis ones).</summary>
public interface IBuiltinRotator
{
    /// <summary>postgresql-single-user, postgresql-multi-user, mysql-single-user, mysql-multi-user, redis-single-user or redis-multi-user.</summary>
    string Kind { get; }

    /// <summary>
    /// Runs one step; throws <see cref="RotationStepException"/> (or the call's own exception) on failure. Database
    /// connections go only to hosts <paramref name="outbound"/> allows.
    /// </summary>
    /// <param name="rotationEvent">AWS's event for the step.</param>
    /// <param name="secretsManager">The Secrets Manager calls, with the role's session credentials.</param>
    /// <param name="outbound">Where connections may go.</param>
    /// <param name="log">What the rotator says as it goes (AWS's templates log the same lines); kept with the run, masked.</param>
    /// <param name="ct">Cancels.</param>
    Task RunStepAsync(RotationEvent rotationEvent, ISecretsManagerCalls secretsManager, OutboundPolicy outbound, Action<string> log, CancellationToken ct);
}
