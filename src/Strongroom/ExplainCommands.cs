using System.CommandLine;
using System.Text.Json;
using Strongroom.Client;

namespace Strongroom;

/// <summary>
/// `strongroom explain --endpoint-url URL --user NAME --action ACTION --resource RESOURCE [--context KEY=VALUE …]`: asks a
/// running server how it would decide a call (Strongroom.ExplainAccess: the administrator, or an explicit
/// strongroom:ExplainAccess allow), with credentials, region and endpoint found as the AWS CLI finds them. Prints the
/// server's explanation (or with --output json its answer); exit 0 when allowed, 1 when denied, 2 for an unknown
/// action, and the AWS CLI's 254 / 252 / 255 for a service, usage or connection error.
/// </summary>
internal static class ExplainCommands
{
    public static Command ExplainCommand()
    {
        var endpoint = new Option<string?>("--endpoint-url") { Description = "The Strongroom server, e.g. http://127.0.0.1:4566 (else AWS_ENDPOINT_URL). Default: none." };
        var region = new Option<string?>("--region") { Description = "Region of the call explained (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)." };
        var profile = new Option<string?>("--profile") { Description = "Profile in the AWS shared credentials/config files (else AWS_PROFILE, else default)." };
        var user = new Option<string>("--user") { Description = "IAM user name whose access is explained (REQUIRED)." };
        var action = new Option<string>("--action") { Description = "Action, e.g. secretsmanager:GetSecretValue (REQUIRED)." };
        var resource = new Option<string>("--resource") { Description = "Resource as the call names it: a secret's name, partial or full ARN, or any ARN (REQUIRED)." };
        var context = new Option<string[]>("--context") { Description = "Condition keys as key=value[,value] (repeatable). Default: none.", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "text (default: the explanation) or json (the server's answer).", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("explain", "Ask a running server which policy statement allows or denies an action for a user (exit 0 when allowed).")
        {
            endpoint, region, profile, user, action, resource, context, output,
        };
        command.SetAction(async (result, ct) =>
        {
            var missing = new[] { ("--user", result.GetValue(user)), ("--action", result.GetValue(action)), ("--resource", result.GetValue(resource)) }
                .Where(p => string.IsNullOrEmpty(p.Item2)).Select(p => p.Item1).ToList();
            if (missing.Count > 0)
            {
                return await UsageAsync("the following arguments are required: " + string.Join(", ", missing));
            }

            var keys = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(context) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    return await UsageAsync($"argument --context: expected KEY=VALUE[,VALUE], got '{pair}'");
                }

                keys[pair[..eq]] = pair[(eq + 1)..].Split(',');
            }

            ClientSettings settings;
            try
            {
                settings = new ClientSettingsResolver().Resolve(result.GetValue(endpoint), result.GetValue(region), result.GetValue(profile));
            }
            catch (ClientConfigurationException e)
            {
                return await UsageAsync(e.Message);
            }

            var body = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["UserName"] = result.GetValue(user)!, ["Action"] = result.GetValue(action)!, ["Resource"] = result.GetValue(resource)!, ["Context"] = keys,
            };
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var admin = new StrongroomAdminClient(settings.CreateJsonClient(http));
            try
            {
                var answer = await admin.CallAsync("ExplainAccess", body, ct);
                await Console.Out.WriteLineAsync(result.GetValue(output) == "json"
                    ? JsonSerializer.Serialize(answer, new JsonSerializerOptions { WriteIndented = true, IndentSize = 4 })
                    : answer.GetProperty("Explanation").GetString());
                return answer.GetProperty("Allowed").GetBoolean() ? 0 : answer.GetProperty("Decision").GetString() == "UnknownAction" ? 2 : 1;
            }
            catch (AwsServiceException e)
            {
                await Console.Error.WriteLineAsync($"\nAn error occurred ({e.Code}) when calling the ExplainAccess operation: {e.Message}");
                return FunctionCommands.ServiceError;
            }
            catch (HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"\nCould not connect to the endpoint URL: \"{settings.Endpoint}\"");
                return FunctionCommands.ConnectionError;
            }
        });
        return command;
    }

    private static async Task<int> UsageAsync(string message)
    {
        await Console.Error.WriteLineAsync("strongroom: error: " + message);
        return FunctionCommands.UsageError;
    }
}
