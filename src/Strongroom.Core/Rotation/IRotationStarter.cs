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
}
