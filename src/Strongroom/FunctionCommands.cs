using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strongroom.Client;

namespace Strongroom;

/// <summary>
/// `strongroom function …` and `strongroom rotation runs`: Strongroom's admin API over the network, with
/// credentials, region and endpoint found as the AWS CLI finds them. Output and exit codes follow AWS CLI v2:
/// the JSON answer pretty-printed on stdout (a listing: a table, or with --output json its JSON, see <see cref="ListingOutput"/>); a service error on stderr as "An error occurred (Code) when calling
/// the Op operation: Message" with exit 254; usage and configuration errors exit 252; no connection exits 255.
/// </summary>
internal static class FunctionCommands
{
    public const int ServiceError = 254;
    public const int UsageError = 252;
    public const int ConnectionError = 255;
    // Relaxed escaping: the output is for a terminal, as the AWS CLI prints it (no \u002B for "+").
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, IndentSize = 4, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The connection flags every command takes.</summary>
    private sealed class Connection
    {
        public Option<string?> EndpointUrl { get; } = new("--endpoint-url") { Description = "The Strongroom server, e.g. http://127.0.0.1:4566 (else AWS_ENDPOINT_URL). Default: none." };

        public Option<string?> Region { get; } = new("--region") { Description = "Region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)." };

        public Option<string?> Profile { get; } = new("--profile") { Description = "Profile in the AWS shared credentials/config files (else AWS_PROFILE, else default)." };

        public void AddTo(Command command)
        {
            command.Options.Add(EndpointUrl);
            command.Options.Add(Region);
            command.Options.Add(Profile);

            // Unknown arguments are reported by the action, so they get the usage exit code.
            command.TreatUnmatchedTokensAsErrors = false;
        }

        public ClientSettings Resolve(ParseResult result) =>
            new ClientSettingsResolver().Resolve(result.GetValue(EndpointUrl), result.GetValue(Region), result.GetValue(Profile));
    }

    /// <summary>The members of create and update.</summary>
    private sealed class FunctionFlags
    {
        public Option<string?> Name { get; } = new("--name") { Description = "Function name ([a-zA-Z0-9-_]{1,64}). Default: none." };

        public Option<string?> CommandLine { get; } = new("--command") { Description = "Kind command: the command line, run by /bin/sh -c with the event on stdin. Default: none." };

        public Option<string?> Url { get; } = new("--url") { Description = "Kind http: the URL the event is POSTed to (HMAC-signed). Default: none." };

        public Option<string?> Builtin { get; } = new("--builtin") { Description = "Kind builtin: postgresql-single-user, postgresql-multi-user, mysql-single-user, mysql-multi-user, redis-single-user or redis-multi-user. Default: none." };

        public Option<string[]> Env { get; } = new("--env") { Description = "Environment variable KEY=VALUE (repeatable; update replaces the whole set). Default: none.", AllowMultipleArgumentsPerToken = false };

        public Option<string?> Timeout { get; } = new("--timeout") { Description = "Per-step timeout in seconds (1-900, default 60)." };

        public Option<string?> Role { get; } = new("--role") { Description = "ARN of the IAM role whose session credentials the function gets. Default: none." };

        public Option<string?> Description { get; } = new("--description") { Description = "Free text. Default: none." };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Name, CommandLine, Url, Builtin, Env, Timeout, Role, Description })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The request body, or a usage error message.</summary>
        public (Dictionary<string, object>? Body, string? Error) Read(ParseResult result)
        {
            var body = new Dictionary<string, object>(StringComparer.Ordinal);
            if (result.GetValue(Name) is not { Length: > 0 } name)
            {
                return (null, "the following arguments are required: --name");
            }

            body["Name"] = name;
            Put(body, "Command", result.GetValue(CommandLine));
            Put(body, "Url", result.GetValue(Url));
            Put(body, "Builtin", result.GetValue(Builtin));
            Put(body, "RoleArn", result.GetValue(Role));
            Put(body, "Description", result.GetValue(Description));
            if (result.GetValue(Timeout) is { } timeoutText)
            {
                if (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out var timeout))
                {
                    return (null, $"argument --timeout: invalid integer value: '{timeoutText}'");
                }

                body["TimeoutSeconds"] = timeout;
            }

            if (result.GetValue(Env) is { Length: > 0 } pairs)
            {
                var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var pair in pairs)
                {
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        // Only the part before '=' is shown: the value may be a secret.
                        return (null, $"argument --env: expected KEY=VALUE, got '{(equals < 0 ? pair.Length > 16 ? pair[..16] + "…" : pair : pair[..equals])}'");
                    }

                    environment[pair[..equals]] = pair[(equals + 1)..];
                }

                body["Environment"] = environment;
            }

            return (body, null);
        }

        private static void Put(Dictionary<string, object> body, string member, string? value)
        {
            if (value is not null)
            {
                body[member] = value;
            }
        }
    }

    public static Command FunctionCommand()
    {
        var create = WriteCommand("create", "Register a rotation function (exactly one of --command, --url, --builtin). An http function's HmacKey is shown once.", "CreateRotationFunction");
        var update = WriteCommand("update", "Change a rotation function; only the options given change. Switching to --url shows a new HmacKey once.", "UpdateRotationFunction");
        var get = NameCommand("get", "Show a rotation function.", "GetRotationFunction");
        var delete = NameCommand("delete", "Delete a rotation function.", "DeleteRotationFunction");
        var list = new Command("list", "List the rotation functions of the region.");
        var connection = new Connection();
        connection.AddTo(list);
        var output = OutputOption(list);
        list.SetAction((result, ct) => RunAsync(result, connection, "ListRotationFunctions", () => (new Dictionary<string, object>(), null), ct,
            (ListingOutput.RotationFunctions, result.GetValue(output) ?? ListingOutput.Table)));
        return new Command("function", "Rotation functions (what a secret's RotationLambdaARN names), over the admin API.") { create, update, get, delete, list };
    }

    public static Command RotationCommand()
    {
        var runs = new Command("runs", "List rotation runs, newest first.");
        var connection = new Connection();
        connection.AddTo(runs);
        var secretId = new Option<string?>("--secret-id") { Description = "Only the runs of this secret (name or ARN). Default: none." };
        runs.Options.Add(secretId);
        var output = OutputOption(runs);
        runs.SetAction((result, ct) => RunAsync(result, connection, "ListRotationRuns", () =>
        {
            var body = new Dictionary<string, object>(StringComparer.Ordinal);
            if (result.GetValue(secretId) is { } id)
            {
                body["SecretId"] = id;
            }

            return (body, null);
        }, ct, (ListingOutput.RotationRuns, result.GetValue(output) ?? ListingOutput.Table)));
        var status = new Command("status", "Rotation health of each secret with rotation on: last success, next due, overdue, consecutive failures, never ran.");
        var statusConnection = new Connection();
        statusConnection.AddTo(status);
        var statusSecretId = new Option<string?>("--secret-id") { Description = "Only this secret (name or ARN). Default: none." };
        status.Options.Add(statusSecretId);
        var statusOutput = OutputOption(status);
        status.SetAction((result, ct) => RunAsync(result, statusConnection, "ListRotationStatus", () =>
        {
            var body = new Dictionary<string, object>(StringComparer.Ordinal);
            if (result.GetValue(statusSecretId) is { } id)
            {
                body["SecretId"] = id;
            }

            return (body, null);
        }, ct, (ListingOutput.RotationStatus, result.GetValue(statusOutput) ?? ListingOutput.Table)));
        return new Command("rotation", "Secret rotation, over the admin API.") { runs, status };
    }

    /// <summary>`strongroom events list [--dead]` and `strongroom events redeliver EVENT_ID`: the event outbox (ADR 0028), admin only.</summary>
    public static Command EventsCommand()
    {
        var list = new Command("list", "List the event outbox, newest first: each event and endpoint with its state (pending, delivered, dead), attempts and last error.");
        var connection = new Connection();
        connection.AddTo(list);
        var dead = new Option<bool>("--dead") { Description = "Only dead-lettered events (retried until their deadline without an acknowledgement). Default: off (every state)." };
        list.Options.Add(dead);
        var max = new Option<int?>("--max-results") { Description = "At most this many entries (1-1000, default 100)." };
        list.Options.Add(max);
        list.SetAction((result, ct) => RunAsync(result, connection, "ListEvents", () =>
        {
            var body = new Dictionary<string, object>(StringComparer.Ordinal);
            if (result.GetValue(dead))
            {
                body["Dead"] = true;
            }

            if (result.GetValue(max) is { } n)
            {
                body["MaxResults"] = n;
            }

            return (body, null);
        }, ct));
        var redeliver = new Command("redeliver", "Send an event again to every endpoint it was for (dead-lettered or not), with a new retry window.");
        var redeliverConnection = new Connection();
        redeliverConnection.AddTo(redeliver);
        var eventId = new Argument<string>("EVENT_ID") { Description = "The event's id (its 'id', and the Strongroom-Event-Id header)." };
        redeliver.Arguments.Add(eventId);
        redeliver.SetAction((result, ct) => RunAsync(result, redeliverConnection, "RedeliverEvent", () =>
            (new Dictionary<string, object>(StringComparer.Ordinal) { ["EventId"] = result.GetValue(eventId)! }, null), ct));
        return new Command("events", "The event outbox of the webhook endpoints, over the admin API (admin only).") { list, redeliver };
    }

    /// <summary>`--output table|json` of a listing command (default table).</summary>
    private static Option<string> OutputOption(Command command)
    {
        var output = new Option<string>("--output")
        {
            Description = "table (default: columns, ISO-8601 UTC times) or json (the answer, ISO-8601 UTC times).",
            DefaultValueFactory = _ => ListingOutput.Table,
        };
        output.AcceptOnlyFromAmong(ListingOutput.Table, ListingOutput.Json);
        command.Options.Add(output);
        return output;
    }

    private static Command WriteCommand(string name, string description, string operation)
    {
        var command = new Command(name, description);
        var connection = new Connection();
        connection.AddTo(command);
        var flags = new FunctionFlags();
        flags.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, connection, operation, () => flags.Read(result), ct));
        return command;
    }

    private static Command NameCommand(string name, string description, string operation)
    {
        var command = new Command(name, description);
        var connection = new Connection();
        connection.AddTo(command);
        var functionName = new Option<string?>("--name") { Description = "Function name. Default: none." };
        command.Options.Add(functionName);
        command.SetAction((result, ct) => RunAsync(result, connection, operation, () =>
            result.GetValue(functionName) is { Length: > 0 } value
                ? (new Dictionary<string, object>(StringComparer.Ordinal) { ["Name"] = value }, null)
                : (null, "the following arguments are required: --name"), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, Connection connection, string operation, Func<(Dictionary<string, object>? Body, string? Error)> read, CancellationToken ct,
        (ListingOutput.Listing Listing, string Format)? listing = null)
    {
        if (result.UnmatchedTokens.Count > 0)
        {
            return await UsageAsync($"Unknown options: {string.Join(", ", result.UnmatchedTokens)}");
        }

        var (body, error) = read();
        if (body is null)
        {
            return await UsageAsync(error!);
        }

        ClientSettings settings;
        try
        {
            settings = connection.Resolve(result);
        }
        catch (ClientConfigurationException e)
        {
            return await UsageAsync(e.Message);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var admin = new StrongroomAdminClient(settings.CreateJsonClient(http));
        try
        {
            var answer = await admin.CallAsync(operation, body, ct);
            if (listing is { } shown)
            {
                await Console.Out.WriteLineAsync(ListingOutput.Render(answer, shown.Listing, shown.Format));
            }
            else if (answer.ValueKind == JsonValueKind.Object && answer.EnumerateObject().Any())
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(answer, Pretty));
            }

            return 0;
        }
        catch (AwsServiceException e)
        {
            await Console.Error.WriteLineAsync($"\nAn error occurred ({e.Code}) when calling the {operation} operation: {e.Message}");
            return ServiceError;
        }
        catch (HttpRequestException)
        {
            await Console.Error.WriteLineAsync($"\nCould not connect to the endpoint URL: \"{settings.Endpoint}\"");
            return ConnectionError;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"\nRead timeout on endpoint URL: \"{settings.Endpoint}\"");
            return ConnectionError;
        }
    }

    private static async Task<int> UsageAsync(string message)
    {
        await Console.Error.WriteLineAsync("strongroom: error: " + message);
        return UsageError;
    }
}
