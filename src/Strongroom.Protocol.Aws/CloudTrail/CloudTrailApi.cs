using System.Text.Json;
using Strongroom.Core.Audit;
using Strongroom.Core.Storage;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws.CloudTrail;

/// <summary>CloudTrail's LookupEvents over the audit trail (X-Amz-Target "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*").</summary>
public sealed class CloudTrailApi : IJsonService
{
    public const string TargetPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";
    private static readonly string[] AttributeKeys = ["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];
    private readonly IStore _store;

    public CloudTrailApi(IStore store)
    {
        _store = store;
    }

    public IReadOnlyCollection<string> Operations { get; } = ["LookupEvents"];

    string IJsonService.SigningName => "cloudtrail";

    string IJsonService.TargetPrefix => TargetPrefix;

    bool IJsonService.Serves(string operation) => Operations.Contains(operation);

    Task IJsonService.InvokeAsync(string operation, JsonCall call) => InvokeAsync(operation, call.Input, call.Output, call.Ct, call.Region);

    /// <summary>
    /// The ResourceName values one lookup covers (a documented extension of CloudTrail, which matches the exact string
    /// only): for a secret's name, partial or full ARN, the secret's full ARN (what answers name) and its partial ARN
    /// (what a denied or failed call asking by name or partial ARN names, see <see cref="AuditRequestedResource"/>),
    /// and the value as given.
    /// </summary>
    private async Task<List<string?>> ResourceNamesAsync(string value, string? region, CancellationToken ct)
    {
        var names = new List<string?> { value };
        var arn = value.StartsWith("arn:", StringComparison.Ordinal);
        if (!arn && region is null || arn && !value.StartsWith("arn:aws:secretsmanager:", StringComparison.Ordinal))
        {
            return names;
        }

        var parts = value.Split(':', 7);
        var secretRegion = arn ? (parts.Length == 7 ? parts[3] : null) : region;
        if (secretRegion is null)
        {
            return names;
        }

        var secret = await Core.Secrets.SecretLookup.FindAsync(_store, secretRegion, value, ct);
        if (secret is not null)
        {
            names.Add(secret.Arn);
            names.Add(secret.Arn[..secret.Arn.LastIndexOf('-')]);
        }
        else if (!arn && await _store.GetSettingAsync("account_id", ct) is { } account)
        {
            names.Add(AuditRequestedResource.PartialArn(secretRegion, account, value));
        }

        return [.. names.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Runs <paramref name="operation"/> over the input decoded at the edge (the caller owns and disposes it).</summary>
    /// <param name="region">The caller's region: a ResourceName that is a secret's name is looked up there.</param>
    public async Task InvokeAsync(string operation, JsonInput input, Utf8JsonWriter output, CancellationToken ct, string? region = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        if (operation != "LookupEvents")
        {
            throw new AwsError("UnsupportedOperationException", $"Strongroom serves only CloudTrail LookupEvents, not {operation}.");
        }

        string? key = null, value = null;
        if (input.Array("LookupAttributes") is { } attributes)
        {
            if (attributes.Count > 1)
            {
                throw new AwsError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.");
            }

            if (attributes.Count == 1)
            {
                var attribute = JsonInput.Structure(attributes[0], "LookupAttributes");
                key = JsonInput.String(attribute, "AttributeKey") ?? throw JsonInput.Missing("LookupAttributes.member.AttributeKey");
                value = JsonInput.String(attribute, "AttributeValue") ?? throw JsonInput.Missing("LookupAttributes.member.AttributeValue");
                if (!AttributeKeys.Contains(key))
                {
                    throw new AwsError("InvalidLookupAttributesException", $"The attribute key {key} is not valid.");
                }

                if (value.Length is < 1 or > 2000)
                {
                    throw new AwsError("InvalidLookupAttributesException", "The attribute value must be 1 to 2000 characters.");
                }
            }
        }

        if (input.String("EventCategory") is { } category)
        {
            throw category == "insight"
                ? new AwsError("UnsupportedOperationException", "Insights events are not recorded by Strongroom.")
                : new AwsError("InvalidEventCategoryException", $"The event category {category} is not valid.");
        }

        var start = Time(input, "StartTime");
        var end = Time(input, "EndTime");
        if (start is not null && end is not null && start > end)
        {
            throw new AwsError("InvalidTimeRangeException", "The start time is after the end time.");
        }

        var max = input.Int("MaxResults");
        if (max is < 1 or > 50)
        {
            throw new AwsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.");
        }

        long? before = null;
        if (input.String("NextToken") is { } token)
        {
            before = long.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed > 0
                ? parsed
                : throw new AwsError("InvalidNextTokenException", "The NextToken is not valid.");
        }

        var size = max ?? 50;
        var rows = new List<AuditRow>();
        foreach (var each in key == "ResourceName" && value is not null ? await ResourceNamesAsync(value, region, ct) : [value])
        {
            rows.AddRange(await _store.QueryAuditAsync(new AuditQuery(key, each, start, end, before, size + 1), ct));
        }

        // Several forms of one secret: merged newest first, each record once (NextToken stays a sequence number).
        rows = [.. rows.DistinctBy(r => r.Seq).OrderByDescending(r => r.Seq)];
        output.WriteStartObject();
        output.WriteStartArray("Events");
        foreach (var row in rows.Take(size))
        {
            output.WriteStartObject();
            output.WriteString("EventId", row.EventId);
            output.WriteString("EventName", row.EventName);
            output.WriteString("ReadOnly", row.ReadOnly ? "true" : "false");
            JsonOutput.String(output, "AccessKeyId", row.AccessKeyId);
            JsonOutput.Timestamp(output, "EventTime", row.EventTime);
            output.WriteString("EventSource", row.EventSource);
            JsonOutput.String(output, "Username", row.Username);
            output.WriteStartArray("Resources");
            if (row.ResourceName is not null)
            {
                output.WriteStartObject();
                JsonOutput.String(output, "ResourceType", row.ResourceType);
                output.WriteString("ResourceName", row.ResourceName);
                output.WriteEndObject();
            }

            output.WriteEndArray();
            output.WriteString("CloudTrailEvent", row.Record);
            output.WriteEndObject();
        }

        output.WriteEndArray();
        if (rows.Count > size)
        {
            output.WriteString("NextToken", rows[size - 1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        output.WriteEndObject();
    }

    private static DateTimeOffset? Time(JsonInput input, string name)
    {
        if (!input.Root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Epoch seconds outside what a DateTimeOffset holds (years 1 to 9999) name no time: a validation error, not an overflow.
        if (element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var seconds)
            && seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Clamp(seconds * 1000, DateTimeOffset.MinValue.ToUnixTimeMilliseconds(), DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));
        }

        if (element.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(element.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed;
        }

        throw new AwsError("InvalidTimeRangeException", $"{name} is not a valid time.");
    }
}
