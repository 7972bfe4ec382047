using System.Security.Cryptography;
using System.Text.Json;
using Strongroom.Core.Errors;
using Strongroom.Core.Rotation;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws.Strongroom;

/// <summary>
/// Strongroom's admin API for rotation functions (X-Amz-Target "Strongroom.*", awsJson 1.1): parse the JSON
/// input, call the registry, write the JSON output. An HTTP function's HMAC key appears only in the answer of
/// the write that made it; environment values never appear in any answer (only their names). Thread-safe.
/// </summary>
public sealed class RotationAdminApi
{
    public const string TargetPrefix = "Strongroom.";

    /// <summary>What an answer shows instead of an environment value: values go in, never out (as secrets do).</summary>
    public const string MaskedValue = "********";
    private readonly RotationFunctionRegistry _functions;
    private readonly Core.Rotation.RotationHealth _health;
    private readonly Core.Storage.IStore _store;
    private readonly Core.Secrets.SecretsService _secrets;
    private readonly Dictionary<string, Func<Call, Task>> _operations;

    public RotationAdminApi(RotationFunctionRegistry functions, Core.Storage.IStore store, Core.Secrets.SecretsService secrets, TimeProvider time)
    {
        _health = new Core.Rotation.RotationHealth(store, time);
        _functions = functions;
        _store = store;
        _secrets = secrets;
        _operations = new Dictionary<string, Func<Call, Task>>(StringComparer.Ordinal)
        {
            ["CreateRotationFunction"] = CreateAsync,
            ["DeleteRotationFunction"] = DeleteAsync,
            ["GetRotationFunction"] = GetAsync,
            ["ListRotationFunctions"] = ListAsync,
            ["UpdateRotationFunction"] = UpdateAsync,
            ["ListRotationRuns"] = ListRunsAsync,
            ["ListRotationStatus"] = StatusAsync,
        };
    }

    /// <summary>The operation names this API serves.</summary>
    public IReadOnlyCollection<string> Operations => _operations.Keys;

    public bool Handles(string operation) => _operations.ContainsKey(operation);

    private sealed record Call(string Region, RotationFunctionAuthor Author, Core.Policies.ICallerAccess Access, JsonInput Input, Utf8JsonWriter Output, CancellationToken Ct);

    /// <summary>
    /// Runs <paramref name="operation"/> in <paramref name="region"/> for <paramref name="author"/> (whether it may define
    /// command and URL functions); <paramref name="access"/> decides which secrets' rotation runs a listing shows.
    /// Domain errors propagate as <see cref="DomainException"/>.
    /// </summary>
    public async Task InvokeAsync(string operation, string region, RotationFunctionAuthor author, Core.Policies.ICallerAccess access, JsonInput input, Utf8JsonWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(input);
        if (!_operations.TryGetValue(operation, out var handler))
        {
            throw new AwsError("UnknownOperationException", string.Empty);
        }

        output.WriteStartObject();
        await handler(new Call(region, author, access, input, output, ct));
        output.WriteEndObject();
    }

    private static RotationFunctionInput Input(JsonInput input) => new(
        input.RequiredString("Name"),
        input.String("Command"),
        input.String("Url"),
        input.String("Builtin"),
        input.Map("Environment"),
        input.Int("TimeoutSeconds"),
        input.String("RoleArn"),
        input.String("Description"));

    private async Task CreateAsync(Call c) => WriteResult(c.Output, await _functions.CreateAsync(c.Region, Input(c.Input), c.Author, c.Ct));

    private async Task UpdateAsync(Call c) => WriteResult(c.Output, await _functions.UpdateAsync(c.Region, Input(c.Input), c.Author, c.Ct));

    private async Task GetAsync(Call c) => WriteFunction(c.Output, "Function", await _functions.GetAsync(c.Region, c.Input.RequiredString("Name"), c.Ct));

    private Task DeleteAsync(Call c) => _functions.DeleteAsync(c.Region, c.Input.RequiredString("Name"), c.Ct);

    private async Task ListAsync(Call c)
    {
        var (functions, nextToken) = await _functions.ListAsync(c.Region, c.Input.Int("MaxResults"), c.Input.String("NextToken"), c.Ct);
        c.Output.WriteStartArray("Functions");
        foreach (var function in functions)
        {
            WriteFunction(c.Output, null, function);
        }

        c.Output.WriteEndArray();
        JsonOutput.String(c.Output, "NextToken", nextToken);
    }

    /// <summary>
    /// Rotation runs newest first, of one secret (SecretId: name, ARN or partial ARN; the host has checked
    /// strongroom:ListRotationRuns on it) or of every secret the caller is allowed strongroom:ListRotationRuns on
    /// (the others' runs are left out, so a page may be shorter than MaxResults); NextToken pages.
    /// </summary>
    /// <summary>
    /// The rotation health of one secret (SecretId; the host has checked strongroom:ListRotationStatus on it) or of every
    /// rotation-enabled secret the caller is allowed strongroom:ListRotationStatus on: last success, next due, overdue,
    /// consecutive failures, never ran, the newest outcome and error. Soonest due first.
    /// </summary>
    private async Task StatusAsync(Call c)
    {
        string? arn = null;
        if (c.Input.String("SecretId") is { } secretId)
        {
            arn = (await _secrets.Reads.DescribeSecretAsync(c.Region, secretId, c.Ct)).Secret.Arn;
        }

        c.Output.WriteStartArray("Secrets");
        foreach (var h in await _health.ComputeAsync(c.Ct))
        {
            if (arn is not null ? h.SecretArn != arn : await c.Access.SecretActionDeniedAsync(h.Region, "strongroom:ListRotationStatus", h.SecretArn, c.Ct) is not null)
            {
                continue;
            }

            c.Output.WriteStartObject();
            c.Output.WriteString("SecretArn", h.SecretArn);
            if (h.LastSuccess is { } success)
            {
                JsonOutput.Timestamp(c.Output, "LastSuccessDate", success);
            }

            if (h.NextDue is { } due)
            {
                JsonOutput.Timestamp(c.Output, "NextDueDate", due);
            }

            c.Output.WriteBoolean("Overdue", h.Overdue);
            if (h.OverdueBy is { } by)
            {
                c.Output.WriteNumber("OverdueSeconds", (long)by.TotalSeconds);
            }

            c.Output.WriteNumber("ConsecutiveFailures", h.ConsecutiveFailures);
            c.Output.WriteBoolean("NeverRan", h.NeverRan);
            JsonOutput.String(c.Output, "LastOutcome", h.LastOutcome);
            JsonOutput.String(c.Output, "LastError", h.LastError);
            c.Output.WriteEndObject();
        }

        c.Output.WriteEndArray();
    }

    private async Task ListRunsAsync(Call c)
    {
        var max = c.Input.Int("MaxResults") ?? 100;
        if (max is < 1 or > 100)
        {
            throw DomainException.InvalidParameter("MaxResults must be between 1 and 100.");
        }

        long? before = null;
        if (c.Input.String("NextToken") is { } token)
        {
            before = long.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0
                ? id
                : throw DomainException.InvalidParameter("The NextToken is not valid.");
        }

        string? arn = null;
        if (c.Input.String("SecretId") is { } secretId)
        {
            arn = (await _secrets.Reads.DescribeSecretAsync(c.Region, secretId, c.Ct)).Secret.Arn;
        }

        var (runs, more) = await VisibleRunsAsync(c, arn, before, max);
        c.Output.WriteStartArray("Runs");
        foreach (var run in runs)
        {
            c.Output.WriteStartObject();
            c.Output.WriteNumber("RunId", run.RunId);
            c.Output.WriteString("SecretArn", run.SecretArn);
            c.Output.WriteString("VersionId", run.VersionId);
            JsonOutput.String(c.Output, "FunctionArn", run.FunctionArn);
            c.Output.WriteString("Trigger", run.Trigger);
            c.Output.WriteNumber("Attempt", run.Attempt);
            JsonOutput.String(c.Output, "StepReached", run.StepReached);
            c.Output.WriteString("Outcome", run.Outcome);
            JsonOutput.String(c.Output, "Error", run.Error);
            JsonOutput.String(c.Output, "Output", run.Output);
            JsonOutput.String(c.Output, "Node", run.Node);
            JsonOutput.Timestamp(c.Output, "StartedDate", run.StartedDate);
            if (run.FinishedDate is { } finished)
            {
                JsonOutput.Timestamp(c.Output, "FinishedDate", finished);
            }

            if (run.RetryAt is { } retry)
            {
                JsonOutput.Timestamp(c.Output, "RetryAt", retry);
            }

            c.Output.WriteEndObject();
        }

        c.Output.WriteEndArray();
        if (more)
        {
            c.Output.WriteString("NextToken", runs[^1].RunId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Up to <paramref name="max"/> runs before <paramref name="before"/> that the caller may see, and whether more follow.</summary>
    private async Task<(List<Core.Rotation.RotationRun> Runs, bool More)> VisibleRunsAsync(Call c, string? arn, long? before, int max)
    {
        const int Batch = 100;
        var shown = new List<Core.Rotation.RotationRun>(max);
        var allowed = new Dictionary<string, bool>(StringComparer.Ordinal);
        var cursor = before;
        while (true)
        {
            var batch = await _store.ListRotationRunsAsync(arn, cursor, Batch + 1, c.Ct);
            foreach (var run in batch.Take(Batch))
            {
                cursor = run.RunId;
                if (arn is null)
                {
                    if (!allowed.TryGetValue(run.SecretArn, out var visible))
                    {
                        visible = await c.Access.SecretActionDeniedAsync(run.Region, "strongroom:ListRotationRuns", run.SecretArn, c.Ct) is null;
                        allowed[run.SecretArn] = visible;
                    }

                    if (!visible)
                    {
                        continue;
                    }
                }

                if (shown.Count == max)
                {
                    return (shown, true);
                }

                shown.Add(run);
            }

            if (batch.Count <= Batch)
            {
                return (shown, false);
            }
        }
    }

    private static void WriteResult(Utf8JsonWriter w, RotationFunctionWrite result)
    {
        WriteFunction(w, "Function", result.Function);
        if (result.HmacKey is { } key)
        {
            try
            {
                w.WriteBase64String("HmacKey", key);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private static void WriteFunction(Utf8JsonWriter w, string? name, RotationFunction f)
    {
        if (name is null)
        {
            w.WriteStartObject();
        }
        else
        {
            w.WriteStartObject(name);
        }

        w.WriteString("Name", f.Name);
        w.WriteString("Arn", f.Arn);
        w.WriteString("Kind", f.Kind switch
        {
            RotationFunctionKind.Command => "command",
            RotationFunctionKind.Http => "http",
            _ => "builtin",
        });
        JsonOutput.String(w, "Command", f.Command);
        JsonOutput.String(w, "Url", f.Url);
        JsonOutput.String(w, "Builtin", f.Builtin);
        w.WriteStartObject("Environment");
        foreach (var key in f.Environment.Keys.Order(StringComparer.Ordinal))
        {
            w.WriteString(key, MaskedValue);
        }

        w.WriteEndObject();
        w.WriteNumber("TimeoutSeconds", f.TimeoutSeconds);
        JsonOutput.String(w, "RoleArn", f.RoleArn);
        JsonOutput.String(w, "Description", f.Description);
        JsonOutput.Timestamp(w, "CreatedDate", f.CreatedDate);
        JsonOutput.Timestamp(w, "LastModified", f.LastModified);
        w.WriteEndObject();
    }
}
