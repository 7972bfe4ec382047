namespace Strongroom.Core.Rotation;

/// <summary>What to run: the steps of one rotation (or only testSecret for a test run) of one secret.</summary>
/// <param name="Region">The secret's region (where its rotation function is looked up).</param>
/// <param name="SecretArn">The secret.</param>
/// <param name="VersionId">The AWSPENDING version (the event's ClientRequestToken); the AWSCURRENT one for a test run.</param>
/// <param name="Trigger">See <see cref="RotationTrigger"/>.</param>
/// <param name="Attempt">1 for a new rotation; n for its n-th try.</param>
public sealed record RotationStartRequest(string Region, string SecretArn, string VersionId, string Trigger, int Attempt);

/// <summary>Starts rotations in the background (the scheduler's queue). Never blocks; thread-safe.</summary>
public interface IRotationStarter
{
    void Start(RotationStartRequest request);

    /// <summary>
    /// Refuses, before RotateSecret changes anything, a rotation that could not run: a function that is neither
    /// registered nor built in (AWS fails RotateSecret itself when it cannot invoke the Lambda function), or a
    /// rotation of the secret still going (a second start would be dropped): any run when this call rotates now, a
    /// rotation (not a test run) otherwise. Throws a <see cref="Errors.DomainException"/>.
    /// </summary>
    /// <param name="region">The secret's region.</param>
    /// <param name="secretArn">The secret.</param>
    /// <param name="functionArn">The RotationLambdaARN the rotation would use.</param>
    /// <param name="versionId">The caller's ClientRequestToken: a retry naming the running run's version is not refused.</param>
    /// <param name="rotateNow">The call starts a rotation now (RotateImmediately, default true), not only a test run.</param>
    /// <param name="ct">Cancels.</param>
    Task CheckStartAsync(string region, string secretArn, string functionArn, string? versionId, bool rotateNow, CancellationToken ct);
}
