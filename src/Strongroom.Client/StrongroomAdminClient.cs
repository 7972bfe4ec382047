using System.Text.Json;

namespace Strongroom.Client;

/// <summary>Strongroom's own admin API (X-Amz-Target "Strongroom.*", signing service "strongroom"): rotation functions and runs. Thread-safe.</summary>
public sealed class StrongroomAdminClient
{
    public const string SigningService = "strongroom";
    public const string TargetPrefix = "Strongroom.";
    private readonly AwsJsonClient _client;

    public StrongroomAdminClient(AwsJsonClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>The raw JSON answer of <paramref name="operation"/> (for tools that print it).</summary>
    public Task<JsonElement> CallAsync(string operation, object body, CancellationToken ct = default) => _client.CallAsync(SigningService, TargetPrefix + operation, body, ct);

    public async Task<RotationFunctionWriteResult> CreateRotationFunctionAsync(RotationFunctionSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var r = await CallAsync("CreateRotationFunction", spec, ct).ConfigureAwait(false);
        return new RotationFunctionWriteResult(Function(r.GetProperty("Function")), Wire.String(r, "HmacKey"));
    }

    public async Task<RotationFunctionWriteResult> UpdateRotationFunctionAsync(RotationFunctionSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var r = await CallAsync("UpdateRotationFunction", spec, ct).ConfigureAwait(false);
        return new RotationFunctionWriteResult(Function(r.GetProperty("Function")), Wire.String(r, "HmacKey"));
    }

    public async Task<RotationFunctionInfo> GetRotationFunctionAsync(string name, CancellationToken ct = default)
    {
        var r = await CallAsync("GetRotationFunction", new { Name = name }, ct).ConfigureAwait(false);
        return Function(r.GetProperty("Function"));
    }

    public async Task<RotationFunctionPage> ListRotationFunctionsAsync(int? maxResults = null, string? nextToken = null, CancellationToken ct = default)
    {
        var r = await CallAsync("ListRotationFunctions", new { MaxResults = maxResults, NextToken = nextToken }, ct).ConfigureAwait(false);
        return new RotationFunctionPage(Wire.Array(r, "Functions").Select(Function).ToList(), Wire.String(r, "NextToken"));
    }

    public Task DeleteRotationFunctionAsync(string name, CancellationToken ct = default) => CallAsync("DeleteRotationFunction", new { Name = name }, ct);

    public async Task<RotationRunPage> ListRotationRunsAsync(string? secretId = null, int? maxResults = null, string? nextToken = null, CancellationToken ct = default)
    {
        var r = await CallAsync("ListRotationRuns", new { SecretId = secretId, MaxResults = maxResults, NextToken = nextToken }, ct).ConfigureAwait(false);
        var runs = Wire.Array(r, "Runs").Select(e => new RotationRun(
            Wire.String(e, "RunId"), Wire.String(e, "SecretArn"), Wire.String(e, "VersionId"), Wire.String(e, "FunctionArn"), Wire.String(e, "Trigger"),
            Wire.Long(e, "Attempt"), Wire.String(e, "StepReached"), Wire.String(e, "Outcome"), Wire.String(e, "Error"),
            Wire.Date(e, "StartedDate"), Wire.Date(e, "FinishedDate"), Wire.Date(e, "RetryAt"), Wire.String(e, "Node")) { Output = Wire.String(e, "Output") }).ToList();
        return new RotationRunPage(runs, Wire.String(r, "NextToken"));
    }

    private static RotationFunctionInfo Function(JsonElement f) => new(
        Wire.RequiredString(f, "Name"),
        Wire.RequiredString(f, "Arn"),
        Wire.RequiredString(f, "Kind"),
        Wire.String(f, "Command"),
        Wire.String(f, "Url"),
        Wire.String(f, "Builtin"),
        Wire.StringMap(f, "Environment"),
        (int)(Wire.Long(f, "TimeoutSeconds") ?? 0),
        Wire.String(f, "RoleArn"),
        Wire.String(f, "Description"),
        Wire.Date(f, "CreatedDate"),
        Wire.Date(f, "LastModified"));
}
