using System.Text.Json;
using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws.Strongroom;

/// <summary>
/// Strongroom.WatchSecrets (awsJson 1.1, signing service "strongroom"): parse, call <see cref="SecretWatch"/>, write.
/// Input: {"Secrets":[{"SecretId":"…","VersionId":"…"}], "WaitTimeSeconds":0-20}. Output:
/// {"Changed":[{"SecretId","ARN","VersionId"}], "Errors":[{"SecretId","ErrorCode","Message"}]}. Thread-safe.
/// </summary>
public sealed class WatchSecretsApi
{
    /// <summary>The operation's name; its access (none at the door: per secret, in <see cref="SecretWatch"/>) is <see cref="Core.Rotation.RotationAccess"/>'s.</summary>
    public const string Operation = Core.Rotation.RotationAccess.WatchSecrets;
    private readonly SecretWatch _watch;

    public WatchSecretsApi(SecretWatch watch)
    {
        _watch = watch;
    }

    public async Task InvokeAsync(string region, Core.Policies.ICallerAccess access, JsonInput input, Utf8JsonWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var known = (input.Array("Secrets") ?? throw JsonInput.Missing("Secrets")).Select(Known).ToList();
        var result = await _watch.WatchAsync(region, known, input.Int("WaitTimeSeconds"), access, ct);
        output.WriteStartObject();
        JsonOutput.ObjectArray(output, "Changed", result.Changed, static (w, change) =>
        {
            w.WriteString("SecretId", change.SecretId);
            w.WriteString("ARN", change.Arn);
            w.WriteString("VersionId", change.VersionId);
        });
        JsonOutput.BatchErrors(output, result.Errors);
        output.WriteEndObject();
    }

    private static SecretWatch.Known Known(JsonElement item) => item.ValueKind == JsonValueKind.Object
        ? new SecretWatch.Known(JsonInput.String(item, "SecretId") ?? throw JsonInput.Missing("SecretId"), JsonInput.String(item, "VersionId"))
        : throw DomainException.WithCode("SerializationException", "Secrets members must be structures.");
}
