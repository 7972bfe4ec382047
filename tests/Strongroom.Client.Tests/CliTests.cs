using System.Text;
using System.Text.Json;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>The `strongroom function` and `strongroom rotation` commands, run as processes against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class CliTests
{
    private readonly StrongroomServer _server;

    public CliTests(StrongroomServer server)
    {
        _server = server;
    }

    private Dictionary<string, string> AdminEnv() => new() { ["AWS_ACCESS_KEY_ID"] = "test", ["AWS_SECRET_ACCESS_KEY"] = "test", ["AWS_REGION"] = "us-east-1" };

    private Task<(int ExitCode, string Stdout, string Stderr)> Cli(params string[] args) => CliAs(AdminEnv(), args);

    private Task<(int ExitCode, string Stdout, string Stderr)> CliAs(Dictionary<string, string> env, params string[] args) =>
        StrongroomServer.CliAsync(env, [.. args, "--endpoint-url", _server.Endpoint.ToString()]);

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private static JsonElement Json(string stdout)
    {
        using var document = JsonDocument.Parse(stdout);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Function_Lifecycle_PrintsJsonAndHmacKeyOnlyAtCreate()
    {
        var name = Unique("cli-http");
        var create = await Cli("function", "create", "--name", name, "--url", "https://rotator.example/hook", "--env", "DB_HOST=db.internal", "--env", "DB_PORT=5432", "--timeout", "45", "--description", "from the CLI");
        Assert.True(create.ExitCode == 0, create.Stderr);
        Assert.Contains("\n    \"Function\": {", create.Stdout, StringComparison.Ordinal);
        var created = Json(create.Stdout);
        var key = created.GetProperty("HmacKey").GetString()!;
        Assert.Equal(32, Convert.FromBase64String(key).Length);
        var function = created.GetProperty("Function");
        Assert.Equal("http", function.GetProperty("Kind").GetString());
        Assert.Equal(45, function.GetProperty("TimeoutSeconds").GetInt32());
        // Environment values go in and never come back out (ADR 0011): the names, each with a mask.
        Assert.Equal("********", function.GetProperty("Environment").GetProperty("DB_PORT").GetString());
        Assert.DoesNotContain("5432", create.Stdout, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Number, function.GetProperty("CreatedDate").ValueKind);

        var get = await Cli("function", "get", "--name", name);
        Assert.Equal(0, get.ExitCode);
        Assert.False(Json(get.Stdout).TryGetProperty("HmacKey", out _));
        Assert.DoesNotContain(key, get.Stdout, StringComparison.Ordinal);

        var list = await Cli("function", "list", "--output", "json");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(Json(list.Stdout).GetProperty("Functions").EnumerateArray(), f => f.GetProperty("Name").GetString() == name);
        Assert.DoesNotContain(key, list.Stdout, StringComparison.Ordinal);
        var table = await Cli("function", "list");
        Assert.Equal(0, table.ExitCode);
        Assert.StartsWith("NAME ", table.Stdout, StringComparison.Ordinal);
        Assert.Contains(table.Stdout.Split('\n'), line => line.StartsWith(name + " ", StringComparison.Ordinal) && line.Contains("https://rotator.example", StringComparison.Ordinal));
        Assert.DoesNotContain(key, table.Stdout, StringComparison.Ordinal);

        var update = await Cli("function", "update", "--name", name, "--timeout", "300", "--role", "");
        Assert.True(update.ExitCode == 0, update.Stderr);
        Assert.Equal(300, Json(update.Stdout).GetProperty("Function").GetProperty("TimeoutSeconds").GetInt32());
        Assert.False(Json(update.Stdout).TryGetProperty("HmacKey", out _));

        var toCommand = await Cli("function", "update", "--name", name, "--command", "/opt/rotate.sh");
        Assert.Equal("command", Json(toCommand.Stdout).GetProperty("Function").GetProperty("Kind").GetString());
        var toHttp = await Cli("function", "update", "--name", name, "--url", "https://rotator.example/v2");
        Assert.NotEqual(key, Json(toHttp.Stdout).GetProperty("HmacKey").GetString());

        var delete = await Cli("function", "delete", "--name", name);
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal(string.Empty, delete.Stdout.Trim());
        var gone = await Cli("function", "get", "--name", name);
        Assert.Equal(254, gone.ExitCode);
        Assert.Contains("An error occurred (ResourceNotFoundException) when calling the GetRotationFunction operation: ", gone.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ValidationException", "--name", "no spaces", "--command", "true")]
    [InlineData("InvalidParameterException", "--name", "strongroom-mysql-multi-user", "--command", "true")]
    [InlineData("InvalidParameterException", "--name", "reserved-env", "--command", "true", "--env", "AWS_SECRET_ACCESS_KEY=x")]
    [InlineData("InvalidParameterException", "--name", "two-kinds", "--command", "true", "--builtin", "mysql-single-user")]
    [InlineData("InvalidParameterException", "--name", "no-kind")]
    [InlineData("InvalidParameterException", "--name", "bad-url", "--url", "not a url")]
    [InlineData("InvalidParameterException", "--name", "bad-timeout", "--command", "true", "--timeout", "901")]
    public async Task FunctionCreate_Invalid_ServiceErrorExit254(string code, params string[] args)
    {
        var result = await Cli(["function", "create", .. args]);
        Assert.Equal(254, result.ExitCode);
        Assert.Contains($"An error occurred ({code}) when calling the CreateRotationFunction operation: ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Fact]
    public async Task FunctionCreate_ReservedEnvKey_RefusedWithoutEchoingValue()
    {
        var result = await Cli("function", "create", "--name", Unique("reserved"), "--command", "true", "--env", "AWS_SESSION_TOKEN=VALUE-CANARY-1");
        Assert.Equal(254, result.ExitCode);
        Assert.Contains("AWS_SESSION_TOKEN", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("VALUE-CANARY-1", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("function", "get")]
    [InlineData("function", "create", "--command", "true")]
    [InlineData("function", "create", "--name", "x", "--command", "true", "--timeout", "soon")]
    [InlineData("function", "create", "--name", "x", "--command", "true", "--env", "NOEQUALS")]
    [InlineData("function", "list", "--bogus")]
    public async Task Function_UsageError_Exit252(params string[] args)
    {
        var result = await Cli(args);
        Assert.Equal(252, result.ExitCode);
        Assert.Contains("strongroom: error: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Function_NoEndpoint_ClearMessageExit252()
    {
        var result = await StrongroomServer.CliAsync(AdminEnv(), "function", "list");
        Assert.Equal(252, result.ExitCode);
        Assert.Contains("--endpoint-url", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("AWS_ENDPOINT_URL", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Function_EndpointFromEnvironment_Works()
    {
        var env = AdminEnv();
        env["AWS_ENDPOINT_URL"] = _server.Endpoint.ToString();
        var result = await StrongroomServer.CliAsync(env, "function", "list");
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [Fact]
    public async Task Function_NoCredentials_Exit252()
    {
        var result = await CliAs(new() { ["AWS_REGION"] = "us-east-1" }, "function", "list");
        Assert.Equal(252, result.ExitCode);
        Assert.Contains("Unable to locate credentials", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Function_ProfileAndRegionFromFiles_Used()
    {
        var dir = Directory.CreateTempSubdirectory("strongroom-cli-profile-");
        try
        {
            var credentials = Path.Combine(dir.FullName, "credentials");
            var config = Path.Combine(dir.FullName, "config");
            await File.WriteAllTextAsync(credentials, "[ops]\naws_access_key_id = test\naws_secret_access_key = test\n");
            await File.WriteAllTextAsync(config, "[profile ops]\nregion = eu-north-1\n");
            var env = new Dictionary<string, string> { ["AWS_SHARED_CREDENTIALS_FILE"] = credentials, ["AWS_CONFIG_FILE"] = config };
            var name = Unique("profiled");
            var result = await CliAs(env, "function", "create", "--profile", "ops", "--name", name, "--builtin", "mysql-single-user");
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.StartsWith("arn:aws:lambda:eu-north-1:", Json(result.Stdout).GetProperty("Function").GetProperty("Arn").GetString(), StringComparison.Ordinal);

            // --region wins over the profile's region.
            var elsewhere = await CliAs(env, "function", "get", "--profile", "ops", "--region", "us-east-1", "--name", name);
            Assert.Equal(254, elsewhere.ExitCode);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Function_NonAdminWithoutPolicy_AccessDeniedExit254()
    {
        using var http = new HttpClient();
        var user = await IamQuery.UserAsync(http, _server.Endpoint, Unique("cli-nopolicy"));
        var env = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = user.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = user.SecretAccessKey, ["AWS_DEFAULT_REGION"] = "us-east-1" };
        var create = await CliAs(env, "function", "create", "--name", Unique("nope"), "--command", "true");
        Assert.Equal(254, create.ExitCode);
        Assert.Contains("An error occurred (AccessDeniedException) when calling the CreateRotationFunction operation: ", create.Stderr, StringComparison.Ordinal);
        var list = await CliAs(env, "function", "list");
        Assert.Equal(254, list.ExitCode);
        Assert.Contains("(AccessDeniedException)", list.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FunctionCreate_EnvironmentValue_NotInPlaintextInDatabaseOrLog()
    {
        var canary = "ENV-CANARY-" + Guid.NewGuid().ToString("N");
        var name = Unique("canary");
        var create = await Cli("function", "create", "--name", name, "--command", "/opt/rotate", "--env", "DB_PASSWORD=" + canary);
        Assert.True(create.ExitCode == 0, create.Stderr);
        var updated = await Cli("function", "update", "--name", name, "--env", "DB_PASSWORD=" + canary + "-2");
        Assert.True(updated.ExitCode == 0, updated.Stderr);
        var shown = await Cli("function", "get", "--name", name);
        Assert.Equal("********", Json(shown.Stdout).GetProperty("Function").GetProperty("Environment").GetProperty("DB_PASSWORD").GetString());
        Assert.DoesNotContain(canary, create.Stdout + updated.Stdout + shown.Stdout, StringComparison.Ordinal);

        var files = Directory.GetFiles(_server.DataDir, "strongroom*"); // strongroom.db and the trail's strongroom-audit.db, with their -wal files
        Assert.NotEmpty(files);
        var needle = Encoding.UTF8.GetBytes(canary);
        foreach (var file in files)
        {
            byte[] bytes;
            await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream())
            {
                await stream.CopyToAsync(copy);
                bytes = copy.ToArray();
            }

            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds the environment value in plaintext");
            Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(canary)) < 0, $"{Path.GetFileName(file)} holds the environment value in UTF-16");
        }

        Assert.DoesNotContain(canary, _server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotationRuns_CallsListRotationRuns()
    {
        var result = await Cli("rotation", "runs", "--secret-id", "some/secret", "--output", "json");
        Assert.True(result.ExitCode is 0 or 254, result.Stderr);
        if (result.ExitCode == 0)
        {
            Assert.Equal(JsonValueKind.Array, Json(result.Stdout).GetProperty("Runs").ValueKind);
        }
        else
        {
            Assert.Contains("when calling the ListRotationRuns operation", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RotationRuns_TableByDefault_JsonWithOutputJson_IsoTimes()
    {
        // A run that fails at once (the function exits 1), so the listing has a row with a start and an end time.
        var function = Unique("fails");
        Assert.Equal(0, (await Cli("function", "create", "--name", function, "--command", "false")).ExitCode);
        var secret = Unique("runs-table");
        var created = await Cli("function", "get", "--name", function);
        var arn = Json(created.Stdout).GetProperty("Function").GetProperty("Arn").GetString()!;
        using var http = new HttpClient();
        var aws = new AwsJsonClient(http, _server.Endpoint, "us-east-1", new AwsCredentials("test", "test"));
        await aws.CallAsync("secretsmanager", "secretsmanager.CreateSecret", new Dictionary<string, object> { ["Name"] = secret, ["SecretString"] = "v", ["ClientRequestToken"] = Guid.NewGuid().ToString() });
        await aws.CallAsync("secretsmanager", "secretsmanager.RotateSecret", new Dictionary<string, object> { ["SecretId"] = secret, ["RotationLambdaARN"] = arn, ["ClientRequestToken"] = Guid.NewGuid().ToString() });
        JsonElement run = default;
        for (var i = 0; i < 240; i++)
        {
            var json = await Cli("rotation", "runs", "--secret-id", secret, "--output", "json");
            Assert.True(json.ExitCode == 0, json.Stderr);
            var runs = Json(json.Stdout).GetProperty("Runs");
            if (runs.GetArrayLength() > 0 && runs[0].TryGetProperty("FinishedDate", out _))
            {
                run = runs[0];
                break;
            }

            await Task.Delay(250);
        }

        Assert.Equal(JsonValueKind.Object, run.ValueKind);
        var iso = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";
        Assert.Matches(iso, run.GetProperty("StartedDate").GetString());
        Assert.Matches(iso, run.GetProperty("FinishedDate").GetString());

        var table = await Cli("rotation", "runs", "--secret-id", secret);
        Assert.True(table.ExitCode == 0, table.Stderr);
        var lines = table.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^RUN +SECRET +TRIGGER +ATTEMPT +STEP +OUTCOME +STARTED +FINISHED", lines[0]);
        Assert.Contains(lines.Skip(1), l => l.Contains(" " + secret + " ", StringComparison.Ordinal) && l.Contains(run.GetProperty("StartedDate").GetString()!, StringComparison.Ordinal));
        Assert.DoesNotMatch(@"\b1[0-9]{9}(\.[0-9]+)?\b", table.Stdout);

        var wrong = await Cli("rotation", "runs", "--output", "yaml");
        Assert.NotEqual(0, wrong.ExitCode);
    }
}
