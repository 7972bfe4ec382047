namespace Strongroom.Rotation.Builtin;

/// <summary>
/// AWS's checks at the top of every rotation template's step, shared by the built-in rotators: the secret has rotation
/// enabled, the event's version exists, and it is either already AWSCURRENT (the step has nothing left to do but
/// what the rotator repeats) or AWSPENDING; anything else is refused with AWS's template's words.
/// </summary>
internal static class RotationStepCheck
{
    /// <returns>The secret's description, and whether the event's version is already AWSCURRENT.</returns>
    public static async Task<(SecretDescription Metadata, bool AlreadyCurrent)> RunAsync(RotationEvent rotationEvent, ISecretsManagerCalls secretsManager, OutboundPolicy outbound, Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(rotationEvent);
        ArgumentNullException.ThrowIfNull(secretsManager);
        ArgumentNullException.ThrowIfNull(outbound);
        string arn = rotationEvent.SecretId;
        string token = rotationEvent.ClientRequestToken;

        SecretDescription metadata = await secretsManager.DescribeSecretAsync(arn, ct).ConfigureAwait(false);
        if (!metadata.RotationEnabled)
        {
            throw new RotationStepException($"Secret {arn} is not enabled for rotation");
        }

        if (!metadata.VersionIdsToStages.TryGetValue(token, out IReadOnlyList<string>? stages))
        {
            throw new RotationStepException($"Secret version {token} has no stage for rotation of secret {arn}.");
        }

        if (stages.Contains(DatabaseRotator.Current))
        {
            return (metadata, true);
        }

        if (!stages.Contains(DatabaseRotator.Pending))
        {
            throw new RotationStepException($"Secret version {token} not set as AWSPENDING for rotation of secret {arn}.");
        }

        return (metadata, false);
    }
}
