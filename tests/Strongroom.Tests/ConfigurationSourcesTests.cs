using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The executable's settings from each source — a flag, a STRONGROOM_* variable, the config file — and their precedence
/// (flag over environment over file over the built-in default), against real processes.
/// </summary>
[Collection("processes")]
public sealed class ConfigurationSourcesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Dir(string name) => Path.Combine(_dir, name);

    private async Task<string> ConfigFileAsync(string json)
    {
        var path = Dir($"strongroom-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    /// <summary>`strongroom doctor` names the data directory it checks in its first line: each source can give it.</summary>
    private static async Task<string> DoctorDataDirAsync(Dictionary<string, string> environment, params string[] args)
    {
        var (_, output) = await ServerProcess.RunWithEnvironmentAsync(environment, ["doctor", .. args]);
        var first = output.Split('\n')[0];
        Assert.StartsWith("strongroom doctor: ", first, StringComparison.Ordinal);
        return first["strongroom doctor: ".Length..].Split(" (", 2)[0];
    }

    [Fact]
    public async Task DataDir_FromEachSource_FlagOverEnvironmentOverFileOverDefault()
    {
        var file = await ConfigFileAsync($"{{\"data-dir\": \"{Dir("from-file")}\"}}");
        var withFileAndEnv = new Dictionary<string, string> { ["STRONGROOM_CONFIG"] = file, ["STRONGROOM_DATA_DIR"] = Dir("from-env") };

        Assert.Equal(Dir("from-flag"), await DoctorDataDirAsync(withFileAndEnv, "--data-dir", Dir("from-flag")));
        Assert.Equal(Dir("from-env"), await DoctorDataDirAsync(withFileAndEnv));
        Assert.Equal(Dir("from-file"), await DoctorDataDirAsync(new() { ["STRONGROOM_CONFIG"] = file }));
        Assert.Equal(Dir("from-file"), await DoctorDataDirAsync([], "--config", file));

        // An empty variable counts as unset (the file's value stands); no source at all: the built-in default.
        Assert.Equal(Dir("from-file"), await DoctorDataDirAsync(new() { ["STRONGROOM_CONFIG"] = file, ["STRONGROOM_DATA_DIR"] = string.Empty }));
        Assert.EndsWith("strongroom-data", await DoctorDataDirAsync([]), StringComparison.Ordinal);

        // --config wins over STRONGROOM_CONFIG, and a relative path is the caller's (the process's working directory).
        var other = await ConfigFileAsync($"{{\"data-dir\": \"{Dir("from-other-file")}\"}}");
        Assert.Equal(Dir("from-other-file"), await DoctorDataDirAsync(new() { ["STRONGROOM_CONFIG"] = file }, "--config", Path.GetRelativePath(Environment.CurrentDirectory, other)));
    }

    [Fact]
    public async Task Server_LogFormat_FlagOverEnvironmentOverFile()
    {
        // The file says json, the environment text: text lines ("info: Strongroom[101]").
        var file = await ConfigFileAsync("{\"log-format\": \"json\", // comments and trailing commas are allowed\n}");
        var environment = new Dictionary<string, string> { ["STRONGROOM_CONFIG"] = file, ["STRONGROOM_LOG_FORMAT"] = "text" };
        await using (var server = await ServerProcess.StartAsync(Dir("data"), environment: environment))
        {
            await server.TerminateAsync();
            Assert.Contains("info: Strongroom[101]", server.Output, StringComparison.Ordinal);
        }

        // The flag says json over both: JSON lines.
        await using (var server = await ServerProcess.StartAsync(Dir("data"), environment: environment, extra: ["--log-format", "json"]))
        {
            await server.TerminateAsync();
            Assert.Contains("\"EventId\":101", server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("info: Strongroom[101]", server.Output, StringComparison.Ordinal);
        }

        // The file alone: text, as it says.
        var textFile = await ConfigFileAsync("{\"log-format\": \"text\"}");
        await using (var server = await ServerProcess.StartAsync(Dir("data"), environment: new Dictionary<string, string> { ["STRONGROOM_CONFIG"] = textFile }))
        {
            await server.TerminateAsync();
            Assert.Contains("info: Strongroom[101]", server.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("file", "rotation-attempts", "0", "--rotation-attempts: '0' is not a number from 1 to 100")]
    [InlineData("env", "audit-retention", "5x", "--audit-retention: '5x' is not a duration")]
    [InlineData("file", "listen", "no-port-here", "--listen: 'no-port-here' is not HOST:PORT")]
    [InlineData("env", "metrics-access", "everyone", "--metrics-access: 'everyone' is not loopback, open or off")]
    [InlineData("file", "event-retry-window", "soon", "--event-retry-window: 'soon' is not a duration")]
    public async Task BadValue_NamesTheSetting_AndExitsWithoutStarting(string source, string setting, string value, string message)
    {
        var data = Dir("never-created");
        var environment = new Dictionary<string, string>();
        if (source == "file")
        {
            environment["STRONGROOM_CONFIG"] = await ConfigFileAsync($"{{\"{setting}\": \"{value}\"}}");
        }
        else
        {
            environment["STRONGROOM_" + setting.Replace('-', '_').ToUpperInvariant()] = value;
        }

        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, "server", "--data-dir", data);
        Assert.Equal(2, code);
        Assert.Contains("strongroom: " + message, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "the server must not initialise a data directory before its settings are valid");
    }

    [Fact]
    public async Task ConfigFile_UnknownOrMistypedKeys_RefusedForEveryCommand_WithTheKeyNamed()
    {
        // Keys are the flags' names exactly: another spelling is an unknown setting, for the server and any other command.
        var unknown = await ConfigFileAsync("{\"Listen\": \"127.0.0.1:1\"}");
        foreach (var command in new[] { new[] { "server", "--data-dir", Dir("never-created") }, ["doctor", "--data-dir", Dir("never-created")] })
        {
            var (code, output) = await ServerProcess.RunAsync([.. command, "--config", unknown]);
            Assert.Equal(2, code);
            Assert.Contains($"config file '{unknown}': unknown setting 'Listen' (known: data-dir, ", output, StringComparison.Ordinal);
        }

        var structured = await ConfigFileAsync("{\"listen\": {\"host\": \"127.0.0.1\"}}");
        var (structuredCode, structuredOutput) = await ServerProcess.RunAsync("server", "--config", structured, "--data-dir", Dir("never-created"));
        Assert.Equal(2, structuredCode);
        Assert.Contains($"config file '{structured}': setting 'listen' must be a string", structuredOutput, StringComparison.Ordinal);

        var notAnObject = await ConfigFileAsync("[\"listen\"]");
        var (arrayCode, arrayOutput) = await ServerProcess.RunAsync("server", "--config", notAnObject, "--data-dir", Dir("never-created"));
        Assert.Equal(2, arrayCode);
        Assert.Contains($"config file '{notAnObject}' cannot be read", arrayOutput, StringComparison.Ordinal);

        var missing = Dir("missing.json");
        var (missingCode, missingOutput) = await ServerProcess.RunAsync("server", "--config", missing, "--data-dir", Dir("never-created"));
        Assert.Equal(2, missingCode);
        Assert.Contains($"config file '{missing}' cannot be read", missingOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Dir("never-created")));
    }

    [Fact]
    public async Task ConfigFile_EventWebhooks_StructuredEndpointsReachTheirValidation()
    {
        // The one structured setting arrives as its endpoint objects: its own validation names the entry at fault.
        var file = await ConfigFileAsync("{\"event-webhooks\": [{\"url\": \"http://127.0.0.1:9/a\", \"secret\": \"0123456789abcdef\", \"detail-types\": [\"Secret Value Changed\"]}, {\"url\": \"ftp://example.com/b\"}]}");
        var (code, output) = await ServerProcess.RunAsync("server", "--config", file, "--data-dir", Dir("never-created"));
        Assert.Equal(2, code);
        Assert.Contains("event-webhooks[1]: 'url' must be an http(s) URL", output, StringComparison.Ordinal);

        // STRONGROOM_EVENT_WEBHOOKS (JSON text) wins over the file's array.
        var environment = new Dictionary<string, string> { ["STRONGROOM_CONFIG"] = file, ["STRONGROOM_EVENT_WEBHOOKS"] = "[{\"url\": \"http://127.0.0.1:9/a\", \"colour\": \"blue\"}]" };
        var (envCode, envOutput) = await ServerProcess.RunWithEnvironmentAsync(environment, "server", "--data-dir", Dir("never-created"));
        Assert.Equal(2, envCode);
        Assert.Contains("event-webhooks[0]: unknown member 'colour'", envOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_FromEnvironmentOrFile_NeverShownByHelp_YetUsed()
    {
        const string Canary = "Host=127.0.0.1;Port=1;Username=u;Password=HELP-CANARY-PW";
        var file = await ConfigFileAsync($"{{\"postgres\": \"{Canary}\"}}");
        foreach (var environment in new[] { new Dictionary<string, string> { ["STRONGROOM_POSTGRES"] = Canary }, new() { ["STRONGROOM_CONFIG"] = file } })
        {
            foreach (var command in new[] { new[] { "server", "--help" }, ["doctor", "--help"], ["admin", "migrate-store", "--help"], ["audit", "export", "--help"] })
            {
                var (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, command);
                Assert.Equal(0, code);
                Assert.Contains("--postgres", output, StringComparison.Ordinal);
                Assert.DoesNotContain("HELP-CANARY-PW", output, StringComparison.Ordinal);
            }

            // Still the setting: with sqlite storage a postgres connection string is refused, by name and without its value.
            var (refused, refusedOutput) = await ServerProcess.RunWithEnvironmentAsync(environment, "server", "--data-dir", Dir("never-created"));
            Assert.Equal(2, refused);
            Assert.Contains("--postgres is set but --storage is sqlite", refusedOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("HELP-CANARY-PW", refusedOutput, StringComparison.Ordinal);
        }
    }
}
