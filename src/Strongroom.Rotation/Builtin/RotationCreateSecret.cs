namespace Strongroom.Rotation.Builtin;

/// <summary>
/// AWS's createSecret step as every built-in rotator's template has it: when the event's version already holds a value
/// there is nothing to do; otherwise a value like AWSCURRENT's with a new password (and, for the multi-user rotators,
/// the other user) is put as AWSPENDING under the event's token. Shared by the database and Redis rotators like
/// <see cref="RotationStepCheck"/>; each passes how it reads (and checks) a secret of its engines.
/// </summary>
internal static class RotationCreateSecret
{
    /// <param name="step">The step being run.</param>
    /// <param name="getSecret">Reads and parses the rotated secret's version at a stage (a version id, or null for the stage's).</param>
    /// <param name="pendingUsername">The pending version's user name, from the current one.</param>
    public static async Task RunAsync(DatabaseRotator.StepContext step, Func<string, string?, Task<DatabaseSecret>> getSecret, Func<string, string> pendingUsername)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(getSecret);
        ArgumentNullException.ThrowIfNull(pendingUsername);
        DatabaseSecret current = await getSecret(DatabaseRotator.Current, null).ConfigureAwait(false);
        try
        {
            await getSecret(DatabaseRotator.Pending, step.Token).ConfigureAwait(false);
            step.Log($"createSecret: Successfully retrieved secret for {step.Arn}.");
            return;
        }
        catch (SecretsManagerCallException e) when (e.Code == "ResourceNotFoundException")
        {
            // No value yet for this version: generate it below.
        }

        string username = pendingUsername(current.Username);
        string password = await step.SecretsManager.GetRandomPasswordAsync(DatabaseRotator.ExcludeCharacters, step.Ct).ConfigureAwait(false);
        DatabaseSecret pending = current.With(username, password);
        await step.SecretsManager.PutSecretValueAsync(step.Arn, step.Token, pending.ToJson(), [DatabaseRotator.Pending], step.Ct).ConfigureAwait(false);
        step.Log($"createSecret: Successfully put secret for ARN {step.Arn} and version {step.Token}.");
    }
}
