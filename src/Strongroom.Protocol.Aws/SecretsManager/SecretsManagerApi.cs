using System.Text.Json;
using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws.SecretsManager;

/// <summary>
/// The Secrets Manager wire operations (X-Amz-Target "secretsmanager.*"): parse the JSON input, call the
/// use case, write the JSON output. Thread-safe.
/// </summary>
public sealed class SecretsManagerApi : IJsonService
{
    public const string TargetPrefix = "secretsmanager.";
    private readonly SecretsService _secrets;
    private readonly Dictionary<string, Func<Call, Task>> _operations;

    public SecretsManagerApi(SecretsService secrets)
    {
        _secrets = secrets;
        _operations = new Dictionary<string, Func<Call, Task>>(StringComparer.Ordinal)
        {
            ["BatchGetSecretValue"] = BatchGetSecretValueAsync,
            ["CancelRotateSecret"] = CancelRotateSecretAsync,
            ["CreateSecret"] = CreateSecretAsync,
            ["DeleteResourcePolicy"] = DeleteResourcePolicyAsync,
            ["DeleteSecret"] = DeleteSecretAsync,
            ["DescribeSecret"] = DescribeSecretAsync,
            ["GetRandomPassword"] = GetRandomPasswordAsync,
            ["GetResourcePolicy"] = GetResourcePolicyAsync,
            ["GetSecretValue"] = GetSecretValueAsync,
            ["ListSecretVersionIds"] = ListSecretVersionIdsAsync,
            ["ListSecrets"] = ListSecretsAsync,
            ["PutResourcePolicy"] = PutResourcePolicyAsync,
            ["PutSecretValue"] = PutSecretValueAsync,
            ["RemoveRegionsFromReplication"] = RemoveRegionsFromReplicationAsync,
            ["ReplicateSecretToRegions"] = ReplicateSecretToRegionsAsync,
            ["RestoreSecret"] = RestoreSecretAsync,
            ["RotateSecret"] = RotateSecretAsync,
            ["StopReplicationToReplica"] = StopReplicationToReplicaAsync,
            ["TagResource"] = TagResourceAsync,
            ["UntagResource"] = UntagResourceAsync,
            ["UpdateSecret"] = UpdateSecretAsync,
            ["UpdateSecretVersionStage"] = UpdateSecretVersionStageAsync,
            ["ValidateResourcePolicy"] = ValidateResourcePolicyAsync,
        };
    }

    /// <summary>The operation names this API serves.</summary>
    public IReadOnlyCollection<string> Operations => _operations.Keys;

    /// <summary>One call's context.</summary>
    private sealed record Call(string Region, Core.Policies.ICallerAccess Access, JsonInput Input, Utf8JsonWriter Output, CancellationToken Ct, SecretResolution? Secret);

    public bool Handles(string operation) => _operations.ContainsKey(operation);

    string IJsonService.SigningName => "secretsmanager";

    string IJsonService.TargetPrefix => TargetPrefix;

    bool IJsonService.Serves(string operation) => Handles(operation);

    Task IJsonService.InvokeAsync(string operation, JsonCall call) =>
        InvokeAsync(operation, call.Region, call.Access, call.Input, call.Output, call.Ct, call.Secret);

    /// <summary>
    /// Runs <paramref name="operation"/>; <paramref name="access"/> answers for what a call reads beyond what the host
    /// authorised before it ran (each secret of a BatchGetSecretValue); <paramref name="secret"/> is the SecretId the
    /// access decision resolved, which the reads reuse. Domain errors propagate as <see cref="DomainException"/>.
    /// </summary>
    public async Task InvokeAsync(string operation, string region, Core.Policies.ICallerAccess access, JsonInput input, Utf8JsonWriter output, CancellationToken ct, SecretResolution? secret = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(input);
        if (!_operations.TryGetValue(operation, out var handler))
        {
            throw new AwsError("UnknownOperationException", string.Empty);
        }

        output.WriteStartObject();
        await handler(new Call(region, access, input, output, ct, secret));
        output.WriteEndObject();
    }

    private static string SecretId(Call c) => c.Input.RequiredString("SecretId");

    private static List<SecretTag>? Tags(JsonInput input, string name) =>
        input.Array(name)?.Select(e =>
        {
            var tag = JsonInput.Structure(e, name);
            return new SecretTag(JsonInput.String(tag, "Key") ?? throw JsonInput.Missing("Tags.member.Key"), JsonInput.String(tag, "Value") ?? throw JsonInput.Missing("Tags.member.Value"));
        }).ToList();

    private static List<ListFilter>? Filters(JsonInput input) =>
        input.Array("Filters")?.Select(e =>
        {
            var filter = JsonInput.Structure(e, "Filters");
            return new ListFilter(JsonInput.String(filter, "Key") ?? throw JsonInput.Missing("Filters.member.Key"), JsonInput.StringList(filter, "Values") ?? throw JsonInput.Missing("Filters.member.Values"));
        }).ToList();

    private static List<ReplicaRegion>? ReplicaRegions(JsonInput input, string name) =>
        input.Array(name)?.Select(e =>
        {
            var region = JsonInput.Structure(e, name);
            return new ReplicaRegion(JsonInput.String(region, "Region"), JsonInput.String(region, "KmsKeyId"));
        }).ToList();

    private static void WriteArnName(Utf8JsonWriter w, SecretRecord s)
    {
        w.WriteString("ARN", s.Arn);
        w.WriteString("Name", s.Name);
    }

    private static void WriteReplicationStatus(Utf8JsonWriter w, SecretRecord s)
    {
        if (s.Replicas.Count == 0)
        {
            return;
        }

        w.WriteStartArray("ReplicationStatus");
        foreach (var r in s.Replicas)
        {
            w.WriteStartObject();
            w.WriteString("Region", r.Region);
            JsonOutput.String(w, "KmsKeyId", r.KmsKeyId);
            w.WriteString("Status", r.Status);
            JsonOutput.String(w, "StatusMessage", r.StatusMessage);
            JsonOutput.Timestamp(w, "LastAccessedDate", r.LastAccessedDate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteRotationRules(Utf8JsonWriter w, RotationRules? rules)
    {
        if (rules is null)
        {
            return;
        }

        w.WriteStartObject("RotationRules");
        if (rules.AutomaticallyAfterDays is { } days)
        {
            w.WriteNumber("AutomaticallyAfterDays", days);
        }

        JsonOutput.String(w, "Duration", rules.Duration);
        JsonOutput.String(w, "ScheduleExpression", rules.ScheduleExpression);
        w.WriteEndObject();
    }

    private static void WriteTags(Utf8JsonWriter w, List<SecretTag> tags)
    {
        w.WriteStartArray("Tags");
        foreach (var tag in tags)
        {
            w.WriteStartObject();
            w.WriteString("Key", tag.Key);
            w.WriteString("Value", tag.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteStageMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, List<string>> map)
    {
        w.WriteStartObject(name);
        foreach (var (versionId, stages) in map)
        {
            JsonOutput.StringArray(w, versionId, stages);
        }

        w.WriteEndObject();
    }

    /// <summary>The metadata DescribeSecret and ListSecrets share.</summary>
    private static void WriteSecretMetadata(Utf8JsonWriter w, SecretView view, string stageMapName)
    {
        var s = view.Secret;
        WriteArnName(w, s);
        JsonOutput.String(w, "Type", s.Type);
        JsonOutput.String(w, "Description", s.Description);
        JsonOutput.String(w, "KmsKeyId", s.KmsKeyId);
        JsonOutput.Bool(w, "RotationEnabled", s.RotationEnabled);
        JsonOutput.String(w, "RotationLambdaARN", s.RotationLambdaArn);
        WriteRotationRules(w, s.RotationRules);
        JsonOutput.Timestamp(w, "LastRotatedDate", s.LastRotatedDate);
        JsonOutput.Timestamp(w, "LastChangedDate", s.LastChangedDate);
        JsonOutput.Timestamp(w, "LastAccessedDate", s.LastAccessedDate);
        JsonOutput.Timestamp(w, "DeletedDate", s.DeletedDate);
        JsonOutput.Timestamp(w, "NextRotationDate", s.RotationEnabled == true ? s.NextRotationDate : null);
        if (s.ShowsTags)
        {
            WriteTags(w, s.Tags);
        }

        // A secret without versions (created without a value) has no stage map at all, as in AWS.
        if (view.VersionStages.Count > 0)
        {
            WriteStageMap(w, stageMapName, view.VersionStages);
        }

        JsonOutput.String(w, "OwningService", s.OwningService);
        JsonOutput.Timestamp(w, "CreatedDate", s.CreatedDate);
        JsonOutput.String(w, "PrimaryRegion", s.PrimaryRegion);
    }

    private static void WriteValue(Utf8JsonWriter w, SecretValueResult result)
    {
        WriteArnName(w, result.Secret);
        w.WriteString("VersionId", result.Version.VersionId);
        if (result.Value.Binary is { } binary)
        {
            w.WriteBase64String("SecretBinary", binary);
        }
        else
        {
            w.WriteString("SecretString", result.Value.Text);
        }

        JsonOutput.StringArray(w, "VersionStages", result.Version.Stages);
        JsonOutput.Timestamp(w, "CreatedDate", result.Version.CreatedDate);
    }

    // ---------------------------------------------------------------- operations

    private async Task CreateSecretAsync(Call c)
    {
        var i = c.Input;
        var result = await _secrets.Writes.CreateSecretAsync(c.Region, new CreateSecretRequest(
            i.RequiredString("Name"), i.String("ClientRequestToken"), i.String("Description"), i.String("KmsKeyId"),
            i.Blob("SecretBinary"), i.String("SecretString"), Tags(i, "Tags"), ReplicaRegions(i, "AddReplicaRegions"),
            i.Bool("ForceOverwriteReplicaSecret") ?? false, i.String("Type")), c.Ct);
        WriteArnName(c.Output, result.Secret);
        JsonOutput.String(c.Output, "VersionId", result.VersionId);
        WriteReplicationStatus(c.Output, result.Secret);
    }

    private async Task PutSecretValueAsync(Call c)
    {
        var i = c.Input;
        // RotationToken matters only for cross-account rotation functions; it is type-checked and not needed here.
        _ = i.String("RotationToken");
        var result = await _secrets.Writes.PutSecretValueAsync(c.Region, new PutSecretValueRequest(
            SecretId(c), i.String("ClientRequestToken"), i.Blob("SecretBinary"), i.String("SecretString"), i.StringList("VersionStages")), c.Ct);
        WriteArnName(c.Output, result.Secret);
        JsonOutput.String(c.Output, "VersionId", result.VersionId);
        JsonOutput.StringArray(c.Output, "VersionStages", result.VersionStages);
    }

    private async Task UpdateSecretAsync(Call c)
    {
        var i = c.Input;
        var result = await _secrets.Writes.UpdateSecretAsync(c.Region, new UpdateSecretRequest(
            SecretId(c), i.String("ClientRequestToken"), i.String("Description"), i.String("KmsKeyId"),
            i.Blob("SecretBinary"), i.String("SecretString"), i.String("Type")), c.Ct);
        WriteArnName(c.Output, result.Secret);
        JsonOutput.String(c.Output, "VersionId", result.VersionId);
    }

    private async Task GetSecretValueAsync(Call c)
    {
        using var result = await _secrets.Reads.GetSecretValueAsync(c.Region, SecretId(c), c.Input.String("VersionId"), c.Input.String("VersionStage"), c.Ct, c.Secret);
        WriteValue(c.Output, result);
    }

    private async Task BatchGetSecretValueAsync(Call c)
    {
        var i = c.Input;
        // Each secret is checked as its own GetSecretValue would be, with this request's context.
        var result = await _secrets.Listing.BatchGetSecretValueAsync(c.Region, i.StringList("SecretIdList"), Filters(i), i.Int("MaxResults"), i.String("NextToken"), c.Ct,
            id => c.Access.SecretReadDeniedAsync(c.Region, id, null, null, c.Ct));
        try
        {
            var w = c.Output;
            w.WriteStartArray("SecretValues");
            foreach (var value in result.Values)
            {
                w.WriteStartObject();
                WriteValue(w, value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            JsonOutput.BatchErrors(w, result.Errors);
            JsonOutput.String(w, "NextToken", result.NextToken);
        }
        finally
        {
            foreach (var value in result.Values)
            {
                value.Dispose();
            }
        }
    }

    private async Task DescribeSecretAsync(Call c)
    {
        var view = await _secrets.Reads.DescribeSecretAsync(c.Region, SecretId(c), c.Ct, c.Secret);
        WriteSecretMetadata(c.Output, view, "VersionIdsToStages");
        WriteReplicationStatus(c.Output, view.Secret);
    }

    private async Task ListSecretsAsync(Call c)
    {
        var i = c.Input;
        var result = await _secrets.Listing.ListSecretsAsync(c.Region, new ListSecretsRequest(
            i.Bool("IncludePlannedDeletion") ?? false, i.Int("MaxResults"), i.String("NextToken"), Filters(i), i.String("SortOrder"), i.String("SortBy")), c.Ct);
        var w = c.Output;
        w.WriteStartArray("SecretList");
        foreach (var view in result.Secrets)
        {
            w.WriteStartObject();
            WriteSecretMetadata(w, view, "SecretVersionsToStages");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        JsonOutput.String(w, "NextToken", result.NextToken);
    }

    private async Task ListSecretVersionIdsAsync(Call c)
    {
        var i = c.Input;
        var result = await _secrets.Reads.ListSecretVersionIdsAsync(c.Region, SecretId(c), i.Int("MaxResults"), i.String("NextToken"), i.Bool("IncludeDeprecated") ?? false, c.Ct, c.Secret);
        var w = c.Output;
        w.WriteStartArray("Versions");
        foreach (var v in result.Versions)
        {
            w.WriteStartObject();
            w.WriteString("VersionId", v.VersionId);
            if (v.Stages.Count > 0)
            {
                JsonOutput.StringArray(w, "VersionStages", v.Stages);
            }

            JsonOutput.Timestamp(w, "LastAccessedDate", v.LastAccessedDate);
            JsonOutput.Timestamp(w, "CreatedDate", v.CreatedDate);
            if (v.KmsKeyArn is not null)
            {
                // AWS shows the AWS managed key as "DefaultEncryptionKey".
                JsonOutput.StringArray(w, "KmsKeyIds", [result.Secret.KmsKeyId is null ? "DefaultEncryptionKey" : v.KmsKeyArn]);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        JsonOutput.String(w, "NextToken", result.NextToken);
        WriteArnName(w, result.Secret);
    }

    private async Task DeleteSecretAsync(Call c)
    {
        var result = await _secrets.Deletion.DeleteSecretAsync(c.Region, SecretId(c), c.Input.Long("RecoveryWindowInDays"), c.Input.Bool("ForceDeleteWithoutRecovery") ?? false, c.Ct);
        c.Output.WriteString("ARN", result.Arn);
        c.Output.WriteString("Name", result.Name);
        JsonOutput.Timestamp(c.Output, "DeletionDate", result.DeletionDate);
    }

    private async Task RestoreSecretAsync(Call c) => WriteArnName(c.Output, await _secrets.Deletion.RestoreSecretAsync(c.Region, SecretId(c), c.Ct));

    private async Task UpdateSecretVersionStageAsync(Call c)
    {
        var i = c.Input;
        var secret = await _secrets.Staging.UpdateSecretVersionStageAsync(c.Region, SecretId(c), i.RequiredString("VersionStage"), i.String("RemoveFromVersionId"), i.String("MoveToVersionId"), c.Ct);
        WriteArnName(c.Output, secret);
    }

    private async Task TagResourceAsync(Call c) =>
        await _secrets.Tagging.TagResourceAsync(c.Region, SecretId(c), Tags(c.Input, "Tags") ?? throw JsonInput.Missing("Tags"), c.Ct);

    private async Task UntagResourceAsync(Call c) =>
        await _secrets.Tagging.UntagResourceAsync(c.Region, SecretId(c), c.Input.StringList("TagKeys") ?? throw JsonInput.Missing("TagKeys"), c.Ct);

    private async Task PutResourcePolicyAsync(Call c)
    {
        var secret = await _secrets.Policies.PutResourcePolicyAsync(c.Region, SecretId(c), c.Input.RequiredString("ResourcePolicy"), c.Input.Bool("BlockPublicPolicy") ?? false, c.Ct);
        WriteArnName(c.Output, secret);
    }

    private async Task GetResourcePolicyAsync(Call c)
    {
        var secret = await _secrets.Policies.GetResourcePolicyAsync(c.Region, SecretId(c), c.Ct);
        WriteArnName(c.Output, secret);
        JsonOutput.String(c.Output, "ResourcePolicy", secret.ResourcePolicy);
    }

    private async Task DeleteResourcePolicyAsync(Call c) => WriteArnName(c.Output, await _secrets.Policies.DeleteResourcePolicyAsync(c.Region, SecretId(c), c.Ct));

    private async Task ValidateResourcePolicyAsync(Call c)
    {
        var result = await _secrets.Policies.ValidateResourcePolicyAsync(c.Region, c.Input.String("SecretId"), c.Input.RequiredString("ResourcePolicy"), c.Ct);
        var w = c.Output;
        w.WriteBoolean("PolicyValidationPassed", result.Passed);
        w.WriteStartArray("ValidationErrors");
        foreach (var (check, message) in result.Errors)
        {
            w.WriteStartObject();
            w.WriteString("CheckName", check);
            w.WriteString("ErrorMessage", message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private Task GetRandomPasswordAsync(Call c)
    {
        var i = c.Input;
        var password = PasswordGenerator.Generate(new RandomPasswordRequest(
            i.Long("PasswordLength"), i.String("ExcludeCharacters"), i.Bool("ExcludeNumbers") ?? false, i.Bool("ExcludePunctuation") ?? false,
            i.Bool("ExcludeUppercase") ?? false, i.Bool("ExcludeLowercase") ?? false, i.Bool("IncludeSpace") ?? false, i.Bool("RequireEachIncludedType")));
        c.Output.WriteString("RandomPassword", password);
        return Task.CompletedTask;
    }

    private async Task RotateSecretAsync(Call c)
    {
        var i = c.Input;
        RotationRules? rules = null;
        if (i.Object("RotationRules") is { } r)
        {
            rules = new RotationRules(JsonInput.Long(r, "AutomaticallyAfterDays"), JsonInput.String(r, "Duration"), JsonInput.String(r, "ScheduleExpression"));
        }

        var result = await _secrets.Rotation.RotateSecretAsync(c.Region, new RotateSecretRequest(SecretId(c), i.String("ClientRequestToken"), i.String("RotationLambdaARN"), rules, i.Bool("RotateImmediately")), c.Ct);
        WriteArnName(c.Output, result.Secret);
        JsonOutput.String(c.Output, "VersionId", result.VersionId);
    }

    private async Task CancelRotateSecretAsync(Call c)
    {
        var result = await _secrets.Rotation.CancelRotateSecretAsync(c.Region, SecretId(c), c.Ct);
        WriteArnName(c.Output, result.Secret);
        JsonOutput.String(c.Output, "VersionId", result.VersionId);
    }

    private async Task ReplicateSecretToRegionsAsync(Call c)
    {
        var secret = await _secrets.Replication.ReplicateSecretToRegionsAsync(c.Region, SecretId(c), ReplicaRegions(c.Input, "AddReplicaRegions") ?? throw JsonInput.Missing("AddReplicaRegions"), c.Input.Bool("ForceOverwriteReplicaSecret") ?? false, c.Ct);
        c.Output.WriteString("ARN", secret.Arn);
        WriteReplicationStatusAlways(c.Output, secret);
    }

    private async Task RemoveRegionsFromReplicationAsync(Call c)
    {
        var secret = await _secrets.Replication.RemoveRegionsFromReplicationAsync(c.Region, SecretId(c), c.Input.StringList("RemoveReplicaRegions") ?? throw JsonInput.Missing("RemoveReplicaRegions"), c.Ct);
        c.Output.WriteString("ARN", secret.Arn);
        WriteReplicationStatusAlways(c.Output, secret);
    }

    private static void WriteReplicationStatusAlways(Utf8JsonWriter w, SecretRecord s)
    {
        if (s.Replicas.Count == 0)
        {
            w.WriteStartArray("ReplicationStatus");
            w.WriteEndArray();
            return;
        }

        WriteReplicationStatus(w, s);
    }

    private async Task StopReplicationToReplicaAsync(Call c)
    {
        var secret = await _secrets.Replication.StopReplicationToReplicaAsync(c.Region, SecretId(c), c.Ct);
        c.Output.WriteString("ARN", secret.Arn);
    }
}
