using System.Globalization;
using Strongroom.Core.Kms;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;

namespace Strongroom.Core.Events;

/// <summary>
/// The events Strongroom sends, built from the records whose change they describe. Every detail member is an id, an
/// ARN, a name, an outcome or a date: never a secret value, a key's material or a function's output.
/// </summary>
public static class EventCatalog
{
    public const string SecretsSource = "strongroom.secretsmanager";
    public const string KmsSource = "strongroom.kms";
    public const string SsmSource = "strongroom.ssm";

    public const string SecretValueChanged = "Secrets Manager Secret Value Changed";
    public const string SecretDeleted = "Secrets Manager Secret Deleted";
    public const string SecretRestored = "Secrets Manager Secret Restored";
    public const string RotationStarted = "Secrets Manager Rotation Started";
    public const string RotationSucceeded = "Secrets Manager Rotation Succeeded";
    public const string RotationFailed = "Secrets Manager Rotation Failed";
    public const string KeyDisabled = "KMS Key Disabled";
    public const string KeyPendingDeletion = "KMS Key Pending Deletion";
    public const string ParameterPolicyAction = "Parameter Store Policy Action";

    /// <summary>AWSCURRENT moved to <paramref name="currentVersionId"/> (from <paramref name="previousVersionId"/>, if any).</summary>
    public static ServiceEvent ValueChanged(SecretRecord secret, string currentVersionId, string? previousVersionId)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var detail = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["secretArn"] = secret.Arn,
            ["name"] = secret.Name,
            ["versionId"] = currentVersionId,
            ["versionStage"] = StagingLabels.Current,
        };
        if (previousVersionId is not null)
        {
            detail["previousVersionId"] = previousVersionId;
        }

        return new ServiceEvent(SecretValueChanged, SecretsSource, secret.Region, [secret.Arn], detail);
    }

    public static ServiceEvent Deleted(SecretRecord secret, DateTimeOffset deletionDate, bool force) =>
        new(SecretDeleted, SecretsSource, secret.Region, [secret.Arn], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["secretArn"] = secret.Arn,
            ["name"] = secret.Name,
            ["deletionDate"] = Iso(deletionDate),
            ["forceDeleteWithoutRecovery"] = force ? "true" : "false",
        });

    public static ServiceEvent Restored(SecretRecord secret) =>
        new(SecretRestored, SecretsSource, secret.Region, [secret.Arn], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["secretArn"] = secret.Arn,
            ["name"] = secret.Name,
        });

    public static ServiceEvent Disabled(KmsKeyRecord key) =>
        new(KeyDisabled, KmsSource, key.Region, [key.Arn], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["keyId"] = key.KeyId.ToString(),
            ["keyArn"] = key.Arn,
            ["keyState"] = KmsKeyWire.ToWire(key.State),
        });

    public static ServiceEvent PendingDeletion(KmsKeyRecord key) =>
        new(KeyPendingDeletion, KmsSource, key.Region, [key.Arn], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["keyId"] = key.KeyId.ToString(),
            ["keyArn"] = key.Arn,
            ["keyState"] = KmsKeyWire.ToWire(key.State),
            ["deletionDate"] = key.DeletionDate is { } d ? Iso(d) : string.Empty,
        });

    /// <summary>A rotation run started (<paramref name="finished"/> false) or ended; test runs are not events.</summary>
    public static ServiceEvent Rotation(RotationRun run, bool finished)
    {
        ArgumentNullException.ThrowIfNull(run);
        var type = !finished ? RotationStarted : run.Outcome == RotationOutcome.Succeeded ? RotationSucceeded : RotationFailed;
        var detail = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["secretArn"] = run.SecretArn,
            ["runId"] = run.RunId.ToString(CultureInfo.InvariantCulture),
            ["versionId"] = run.VersionId,
            ["trigger"] = run.Trigger,
            ["attempt"] = run.Attempt.ToString(CultureInfo.InvariantCulture),
            ["outcome"] = run.Outcome,
        };
        if (run.StepReached is not null)
        {
            detail["step"] = run.StepReached;
        }

        if (run.RetryAt is { } retry)
        {
            detail["retryAt"] = Iso(retry);
        }

        return new ServiceEvent(type, SecretsSource, run.Region, [run.SecretArn], detail);
    }

    public static ServiceEvent ParameterPolicy(string region, string parameterArn, IReadOnlyDictionary<string, string> detail) =>
        new(ParameterPolicyAction, SsmSource, region, [parameterArn], detail);

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
