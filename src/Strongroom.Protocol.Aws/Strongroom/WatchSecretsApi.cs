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
    public const string Operation = "WatchSecrets";
    private readonly SecretWatch _watch;

    public WatchSecretsApi(SecretWatch watch)
    {
        _watch = watch;
    }

    public async Task InvokeAsync(string region, Core.Policies.ICallerAccess access, JsonInput input, Utf8JsonWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var secrets = input.Array("Secrets") ?? throw JsonInput.Missing("Secrets");
        var known = new List<SecretWatch.Known>(secrets.Count);
        foreach (var item in secrets)
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw DomainException.WithCode("SerializationException", "Secrets members must be structures.");
            }

            known.Add(new SecretWatch.Known(JsonInput.String(item, "SecretId") ?? throw JsonInput.Missing("SecretId"), JsonInput.String(item, "VersionId")));
        }

        var result = await _watch.WatchAsync(region, known, input.Int("WaitTimeSeconds"), access, ct);
        output.WriteStartObject();
        output.WriteStartArray("Changed");
        foreach (var change in result.Changed)
        {
            output.WriteStartObject();
            output.WriteString("SecretId", change.SecretId);
            output.WriteString("ARN", change.Arn);
            output.WriteString("VersionId", change.VersionId);
            output.WriteEndObject();
        }

        output.WriteEndArray();
        output.WriteStartArray("Errors");
        foreach (var error in result.Errors)
        {
            output.WriteStartObject();
            output.WriteString("SecretId", error.SecretId);
            output.WriteString("ErrorCode", error.ErrorCode);
            output.WriteString("Message", error.Message);
            output.WriteEndObject();
        }

        output.WriteEndArray();
        output.WriteEndObject();
    }
}
