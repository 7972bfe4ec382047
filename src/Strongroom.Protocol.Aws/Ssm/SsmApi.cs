using System.Text.Json;
using Strongroom.Core.Parameters;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws.Ssm;

/// <summary>The Parameter Store operations of SSM (X-Amz-Target "AmazonSSM.*"). Thread-safe.</summary>
public sealed class SsmApi : IJsonService
{
    public const string TargetPrefix = "AmazonSSM.";
    private readonly ParameterService _parameters;
    private readonly Dictionary<string, Func<Call, Task>> _operations;

    public SsmApi(ParameterService parameters)
    {
        _parameters = parameters;
        _operations = new Dictionary<string, Func<Call, Task>>(StringComparer.Ordinal)
        {
            ["PutParameter"] = PutParameterAsync,
            ["GetParameter"] = GetParameterAsync,
            ["GetParameters"] = GetParametersAsync,
            ["GetParametersByPath"] = GetParametersByPathAsync,
            ["DescribeParameters"] = DescribeParametersAsync,
            ["GetParameterHistory"] = GetParameterHistoryAsync,
            ["DeleteParameter"] = c => _parameters.Deletion.DeleteParameterAsync(c.Region, c.Input.RequiredString("Name"), c.Ct),
            ["DeleteParameters"] = DeleteParametersAsync,
            ["LabelParameterVersion"] = LabelParameterVersionAsync,
            ["UnlabelParameterVersion"] = UnlabelParameterVersionAsync,
            ["AddTagsToResource"] = c => _parameters.Tags.ChangeTagsAsync(c.Region, c.Input.RequiredString("ResourceType"), c.Input.RequiredString("ResourceId"), Tags(c.Input) ?? throw JsonInput.Missing("Tags"), null, c.Ct),
            ["RemoveTagsFromResource"] = c => _parameters.Tags.ChangeTagsAsync(c.Region, c.Input.RequiredString("ResourceType"), c.Input.RequiredString("ResourceId"), null, c.Input.StringList("TagKeys") ?? throw JsonInput.Missing("TagKeys"), c.Ct),
            ["ListTagsForResource"] = ListTagsForResourceAsync,
        };
    }

    public IReadOnlyCollection<string> Operations => _operations.Keys;

    string IJsonService.SigningName => "ssm";

    string IJsonService.TargetPrefix => TargetPrefix;

    string IJsonService.ErrorMessageMember => "message";

    bool IJsonService.Serves(string operation) => _operations.ContainsKey(operation);

    Task IJsonService.InvokeAsync(string operation, JsonCall call) =>
        InvokeAsync(operation, call.Region, call.PrincipalArn, call.Access, call.Input, call.Output, call.Ct);

    private sealed record Call(string Region, string? User, Core.Policies.ICallerAccess Access, JsonInput Input, Utf8JsonWriter Output, CancellationToken Ct);

    /// <summary>Runs <paramref name="operation"/>; <paramref name="access"/> answers for the KMS keys and secrets a read reaches beyond the parameters the host authorised.</summary>
    public async Task InvokeAsync(string operation, string region, string? user, Core.Policies.ICallerAccess access, JsonInput input, Utf8JsonWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(input);
        if (!_operations.TryGetValue(operation, out var handler))
        {
            throw new AwsError("UnknownOperationException", $"Strongroom serves the Parameter Store operations of SSM only, not {operation}.");
        }

        output.WriteStartObject();
        await handler(new Call(region, user, access, input, output, ct));
        output.WriteEndObject();
    }

    private static List<KeyValuePair<string, string>>? Tags(JsonInput input) =>
        input.Array("Tags")?.Select(e =>
        {
            var tag = JsonInput.Structure(e, "Tags");
            return new KeyValuePair<string, string>(JsonInput.String(tag, "Key") ?? throw JsonInput.Missing("Tags.member.Key"), JsonInput.String(tag, "Value") ?? throw JsonInput.Missing("Tags.member.Value"));
        }).ToList();

    private static List<ParameterFilter>? Filters(JsonInput input, string name) =>
        input.Array(name)?.Select(e =>
        {
            var filter = JsonInput.Structure(e, name);
            return new ParameterFilter(
                JsonInput.String(filter, "Key") ?? throw JsonInput.Missing(name + ".member.Key"),
                JsonInput.String(filter, "Option"),
                JsonInput.StringList(filter, "Values") ?? (name == "ParameterFilters" ? ["" ] : throw JsonInput.Missing(name + ".member.Values")));
        }).ToList();

    private static void WriteParameter(Utf8JsonWriter w, ParameterValue p)
    {
        w.WriteStartObject();
        w.WriteString("Name", p.Name);
        w.WriteString("Type", p.Type);
        w.WriteString("Value", p.Value);
        w.WriteNumber("Version", p.Version);
        JsonOutput.String(w, "Selector", p.Selector);
        JsonOutput.String(w, "SourceResult", p.SourceResult);
        JsonOutput.Timestamp(w, "LastModifiedDate", p.LastModifiedDate);
        w.WriteString("ARN", p.Arn);
        w.WriteString("DataType", p.DataType);
        w.WriteEndObject();
    }

    private static void WritePolicies(Utf8JsonWriter w, string? policies)
    {
        w.WriteStartArray("Policies");
        if (policies is not null)
        {
            using var document = JsonDocument.Parse(policies);
            foreach (var item in document.RootElement.EnumerateArray())
            {
                w.WriteStartObject();
                w.WriteString("PolicyText", item.GetRawText());
                w.WriteString("PolicyType", item.TryGetProperty("Type", out var t) ? t.GetString() : null);
                w.WriteString("PolicyStatus", "Pending");
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
    }

    private async Task PutParameterAsync(Call c)
    {
        var i = c.Input;
        var (version, tier) = await _parameters.Writes.PutParameterAsync(c.Region, new PutParameterRequest(
            i.RequiredString("Name"), i.String("Description"), i.RequiredString("Value"), i.String("Type"), i.String("KeyId"), i.Bool("Overwrite") ?? false,
            i.String("AllowedPattern"), Tags(i), i.String("Tier"), i.String("Policies"), i.String("DataType")), c.User, c.Ct);
        c.Output.WriteNumber("Version", version);
        c.Output.WriteString("Tier", tier);
    }

    private async Task GetParameterAsync(Call c)
    {
        var parameter = await _parameters.Reads.GetParameterAsync(c.Region, c.Input.RequiredString("Name"), c.Input.Bool("WithDecryption") ?? false, c.Access, c.Ct);
        c.Output.WritePropertyName("Parameter");
        WriteParameter(c.Output, parameter);
    }

    private async Task GetParametersAsync(Call c)
    {
        var (found, invalid) = await _parameters.Reads.GetParametersAsync(c.Region, c.Input.StringList("Names") ?? throw JsonInput.Missing("Names"), c.Input.Bool("WithDecryption") ?? false, c.Access, c.Ct);
        c.Output.WriteStartArray("Parameters");
        foreach (var parameter in found)
        {
            WriteParameter(c.Output, parameter);
        }

        c.Output.WriteEndArray();
        JsonOutput.StringArray(c.Output, "InvalidParameters", invalid);
    }

    private async Task GetParametersByPathAsync(Call c)
    {
        var i = c.Input;
        var page = await _parameters.Reads.GetParametersByPathAsync(c.Region, i.RequiredString("Path"), i.Bool("Recursive") ?? false, Filters(i, "ParameterFilters"),
            i.Bool("WithDecryption") ?? false, i.Int("MaxResults"), i.String("NextToken"), c.Access, c.Ct);
        c.Output.WriteStartArray("Parameters");
        foreach (var parameter in page.Items)
        {
            WriteParameter(c.Output, parameter);
        }

        c.Output.WriteEndArray();
        JsonOutput.String(c.Output, "NextToken", page.NextToken);
    }

    private async Task DescribeParametersAsync(Call c)
    {
        var i = c.Input;
        var page = await _parameters.Queries.DescribeParametersAsync(c.Region, Filters(i, "ParameterFilters"), Filters(i, "Filters"), i.Int("MaxResults"), i.String("NextToken"), c.Ct);
        var w = c.Output;
        w.WriteStartArray("Parameters");
        foreach (var p in page.Items)
        {
            w.WriteStartObject();
            w.WriteString("Name", p.Name);
            w.WriteString("ARN", _parameters.Arn(c.Region, p.Name));
            w.WriteString("Type", p.Current.Type);
            JsonOutput.String(w, "KeyId", p.Current.KeyId);
            JsonOutput.Timestamp(w, "LastModifiedDate", p.Current.LastModifiedDate);
            JsonOutput.String(w, "LastModifiedUser", p.Current.LastModifiedUser);
            JsonOutput.String(w, "Description", p.Current.Description);
            JsonOutput.String(w, "AllowedPattern", p.Current.AllowedPattern);
            w.WriteNumber("Version", p.Current.Version);
            w.WriteString("Tier", p.Current.Tier);
            WritePolicies(w, p.Current.Policies);
            w.WriteString("DataType", p.Current.DataType);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        JsonOutput.String(w, "NextToken", page.NextToken);
    }

    private async Task GetParameterHistoryAsync(Call c)
    {
        var i = c.Input;
        var page = await _parameters.Reads.GetParameterHistoryAsync(c.Region, i.RequiredString("Name"), i.Bool("WithDecryption") ?? false, i.Int("MaxResults"), i.String("NextToken"), c.Access, c.Ct);
        var w = c.Output;
        w.WriteStartArray("Parameters");
        foreach (var entry in page.Items)
        {
            var v = entry.Version;
            w.WriteStartObject();
            w.WriteString("Name", entry.Parameter.Name);
            w.WriteString("Type", v.Type);
            JsonOutput.String(w, "KeyId", v.KeyId);
            JsonOutput.Timestamp(w, "LastModifiedDate", v.LastModifiedDate);
            JsonOutput.String(w, "LastModifiedUser", v.LastModifiedUser);
            JsonOutput.String(w, "Description", v.Description);
            w.WriteString("Value", entry.Value);
            JsonOutput.String(w, "AllowedPattern", v.AllowedPattern);
            w.WriteNumber("Version", v.Version);
            JsonOutput.StringArray(w, "Labels", entry.Labels);
            w.WriteString("Tier", v.Tier);
            WritePolicies(w, v.Policies);
            w.WriteString("DataType", v.DataType);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        JsonOutput.String(w, "NextToken", page.NextToken);
    }

    private async Task DeleteParametersAsync(Call c)
    {
        var (deleted, invalid) = await _parameters.Deletion.DeleteParametersAsync(c.Region, c.Input.StringList("Names") ?? throw JsonInput.Missing("Names"), c.Ct);
        JsonOutput.StringArray(c.Output, "DeletedParameters", deleted);
        JsonOutput.StringArray(c.Output, "InvalidParameters", invalid);
    }

    private async Task LabelParameterVersionAsync(Call c)
    {
        var (version, invalid) = await _parameters.Writes.LabelParameterVersionAsync(c.Region, c.Input.RequiredString("Name"), c.Input.Long("ParameterVersion"), c.Input.StringList("Labels") ?? throw JsonInput.Missing("Labels"), c.Ct);
        JsonOutput.StringArray(c.Output, "InvalidLabels", invalid);
        c.Output.WriteNumber("ParameterVersion", version);
    }

    private async Task UnlabelParameterVersionAsync(Call c)
    {
        var (removed, invalid) = await _parameters.Writes.UnlabelParameterVersionAsync(c.Region, c.Input.RequiredString("Name"), c.Input.Long("ParameterVersion") ?? throw JsonInput.Missing("ParameterVersion"), c.Input.StringList("Labels") ?? throw JsonInput.Missing("Labels"), c.Ct);
        JsonOutput.StringArray(c.Output, "RemovedLabels", removed);
        JsonOutput.StringArray(c.Output, "InvalidLabels", invalid);
    }

    private async Task ListTagsForResourceAsync(Call c)
    {
        var tags = await _parameters.Tags.ListTagsAsync(c.Region, c.Input.RequiredString("ResourceType"), c.Input.RequiredString("ResourceId"), c.Ct);
        c.Output.WriteStartArray("TagList");
        foreach (var (key, value) in tags)
        {
            c.Output.WriteStartObject();
            c.Output.WriteString("Key", key);
            c.Output.WriteString("Value", value);
            c.Output.WriteEndObject();
        }

        c.Output.WriteEndArray();
    }
}
