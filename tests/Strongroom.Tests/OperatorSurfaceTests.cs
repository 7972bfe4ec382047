using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// What an operator meets first (issue #23): `--version`, every command's help naming every flag's default, wrong
/// flags and values named with what is accepted, the first start's banner (never the key), and `strongroom doctor`
/// on real data directories, good and broken.
/// </summary>
public sealed partial class OperatorSurfaceTests
{
    [Fact]
    public async Task Version_PrintsVersionAndCommit()
    {
        var (code, output) = await ServerProcess.RunAsync("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^strongroom [0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)? \(commit [0-9a-f]{40}; \.NET [0-9.]+, [a-z0-9-]+\)\s*$", output);
    }

    [Fact]
    public async Task Help_OfEveryCommand_GivesEveryFlagItsDefault()
    {
        var commands = new List<string[]>();
        await WalkAsync([], commands);
        Assert.Contains(commands, c => c.SequenceEqual(["server"]));
        Assert.Contains(commands, c => c.SequenceEqual(["doctor"]));
        Assert.Contains(commands, c => c.SequenceEqual(["backup", "create"]));
        var missing = new List<string>();
        foreach (var command in commands)
        {
            var (code, help) = await ServerProcess.RunAsync([.. command, "--help"]);
            Assert.Equal(0, code);
            foreach (var (flag, text) in Options(help))
            {
                if (flag is "--help" or "--version")
                {
                    continue;
                }

                if (!text.Contains("default", StringComparison.OrdinalIgnoreCase) && !text.Contains("(REQUIRED)", StringComparison.Ordinal))
                {
                    missing.Add($"strongroom {string.Join(' ', command)} {flag}: {text}");
                }
            }
        }

        Assert.True(missing.Count == 0, "flags whose help names no default:\n" + string.Join('\n', missing));
    }

    [Theory]
    [InlineData("--log-format", "xml", "--log-format: 'xml' is not auto, json or text")]
    [InlineData("--metrics-access", "all", "--metrics-access: 'all' is not loopback, open or off")]
    [InlineData("--console", "maybe", "--console: 'maybe' is not on or off")]
    [InlineData("--listen", "nowhere", "--listen: 'nowhere' is not HOST:PORT")]
    public async Task Server_WrongValue_NamesTheFlagAndTheAcceptedValues(string flag, string value, string message)
    {
        var (code, output) = await ServerProcess.RunAsync("server", "--dev", flag, value);
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongFlag_IsNamed()
    {
        var (code, output) = await ServerProcess.RunAsync("doctor", "--data-dri", "x");
        Assert.NotEqual(0, code);
        Assert.Contains("'--data-dri'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstStart_PrintsTheBanner_WithTheExportLines_AndNeverTheKey()
    {
        using var temp = new TempDirectory();
        var dataDir = Path.Combine(temp.Path, "data");
        string secretKey;
        await using (var server = await ServerProcess.StartAsync(dataDir))
        {
            secretKey = File.ReadAllLines(Path.Combine(dataDir, "admin.credentials")).Single(l => l.StartsWith("aws_secret_access_key", StringComparison.Ordinal)).Split('=', 2)[1].Trim();
            var output = await WaitForAsync(server, "export AWS_ENDPOINT_URL=");
            Assert.Contains($"  export AWS_SHARED_CREDENTIALS_FILE={Path.Combine(dataDir, "admin.credentials")} AWS_DEFAULT_REGION=us-east-1\n", output, StringComparison.Ordinal);
            Assert.Contains($"  export AWS_ENDPOINT_URL=http://127.0.0.1:{server.Port}\n", output, StringComparison.Ordinal);
            Assert.Contains($"data directory     {dataDir}", output, StringComparison.Ordinal);
            Assert.DoesNotContain(secretKey, output, StringComparison.Ordinal);

            // Not a terminal: the log lines are JSON (--log-format auto).
            Assert.Matches(new Regex("^\\{\"Timestamp\":\"[^\"]+\",\"EventId\":101,", RegexOptions.Multiline), output);
            Assert.Equal(0, await server.TerminateAsync());
        }

        await using (var again = await ServerProcess.StartAsync(dataDir, extra: ["--log-format", "text"]))
        {
            await WaitForAsync(again, "Strongroom listening on");
            Assert.DoesNotContain("export AWS_ENDPOINT_URL", again.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("\"EventId\":", again.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Doctor_OnAGoodDataDirectory_ExitsZero()
    {
        using var temp = new TempDirectory();
        var dataDir = await InitialisedAsync(temp);
        var (code, output) = await ServerProcess.RunAsync("doctor", "--data-dir", dataDir);
        Assert.True(code == 0, output);
        Assert.Contains("ok    store integrity  strongroom.db: PRAGMA integrity_check ok", output, StringComparison.Ordinal);
        Assert.Contains("ok    audit trail      head record", output, StringComparison.Ordinal);
        Assert.Contains("0 problem(s)", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dataDir, "*-wal").Concat(Directory.GetFiles(dataDir, "*-shm")));
    }

    [Fact]
    public async Task Doctor_KeyFileReadableByOthers_SaysChmod()
    {
        using var temp = new TempDirectory();
        var dataDir = await InitialisedAsync(temp);
        var key = Path.Combine(dataDir, "root.key");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(dataDir, File.GetUnixFileMode(dataDir) | UnixFileMode.OtherExecute);
        var (code, output) = await ServerProcess.RunAsync("doctor", "--data-dir", dataDir);
        Assert.Equal(1, code);
        Assert.Contains("FAIL  file permissions root.key has mode 0644", output, StringComparison.Ordinal);
        Assert.Contains($"fix: chmod 600 {key}", output, StringComparison.Ordinal);
        Assert.Contains($"fix: chmod 700 {dataDir}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_CorruptStore_FailsIntegrity()
    {
        using var temp = new TempDirectory();
        var dataDir = await InitialisedAsync(temp);
        var database = Path.Combine(dataDir, "strongroom.db");
        await using (var stream = new FileStream(database, FileMode.Open, FileAccess.ReadWrite))
        {
            // Garbage over the pages after the first (the header stays, so SQLite opens it and the check finds the damage).
            stream.Position = 4096 * 2;
            var garbage = new byte[4096 * 3];
            Random.Shared.NextBytes(garbage);
            await stream.WriteAsync(garbage);
        }

        var (code, output) = await ServerProcess.RunAsync("doctor", "--data-dir", dataDir);
        Assert.Equal(1, code);
        Assert.Matches("FAIL  (store integrity|store) ", output);
        Assert.Contains("restore the latest backup", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ClockBehindTheAuditTrail_Fails()
    {
        using var temp = new TempDirectory();
        var dataDir = await InitialisedAsync(temp);
        await using (var audit = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "strongroom-audit.db"), Pooling = false }.ToString()))
        {
            await audit.OpenAsync();
            await using var future = audit.CreateCommand();
            future.CommandText = "UPDATE audit_events SET event_time_ms = event_time_ms + 3600000 WHERE seq = (SELECT MAX(seq) FROM audit_events)";
            Assert.Equal(1, await future.ExecuteNonQueryAsync());
        }

        var (code, output) = await ServerProcess.RunAsync("doctor", "--data-dir", dataDir);
        Assert.Equal(1, code);
        Assert.Matches(@"FAIL  clock +the system clock is [0-9]+ s behind the audit trail's last record", output);
    }

    [Fact]
    public async Task Doctor_MissingDirectoryOrUnreachablePostgres_Fails()
    {
        using var temp = new TempDirectory();
        var (code, output) = await ServerProcess.RunAsync("doctor", "--data-dir", Path.Combine(temp.Path, "nothing"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(temp.Path, "node"));
        var environment = ServerProcess.PostgresEnvironment($"Host=127.0.0.1;Port={ServerProcess.FreePort()};Username=x;Password=y;Database=z");
        (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, "doctor", "--data-dir", Path.Combine(temp.Path, "node"));
        Assert.Equal(1, code);
        Assert.Contains("FAIL  store            PostgreSQL is not reachable", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=y", output, StringComparison.Ordinal);
    }

    private static async Task<string> InitialisedAsync(TempDirectory temp)
    {
        var dataDir = Path.Combine(temp.Path, "data");
        await using var server = await ServerProcess.StartAsync(dataDir);
        Assert.Equal(0, await server.TerminateAsync());
        return dataDir;
    }

    private static async Task<string> WaitForAsync(ServerProcess server, string text)
    {
        for (var i = 0; i < 100 && !server.Output.Contains(text, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }

        Assert.Contains(text, server.Output, StringComparison.Ordinal);
        return server.Output;
    }

    /// <summary>Every subcommand path below <paramref name="path"/>, from the "Commands:" section of its help.</summary>
    private static async Task WalkAsync(string[] path, List<string[]> into)
    {
        var (_, help) = await ServerProcess.RunAsync([.. path, "--help"]);
        var section = help.IndexOf("Commands:", StringComparison.Ordinal);
        if (path.Length > 0)
        {
            into.Add(path);
        }

        if (section < 0)
        {
            return;
        }

        foreach (Match match in SubcommandLine().Matches(help[section..]))
        {
            await WalkAsync([.. path, match.Groups[1].Value], into);
        }
    }

    /// <summary>Each option of a help text with its description (continuation lines joined).</summary>
    private static List<(string Flag, string Text)> Options(string help)
    {
        var options = new List<(string, string)>();
        var start = help.IndexOf("Options:", StringComparison.Ordinal);
        if (start < 0)
        {
            return options;
        }

        foreach (var line in help[start..].Split('\n').Skip(1))
        {
            if (line.Length == 0 || !line.StartsWith("  ", StringComparison.Ordinal))
            {
                break;
            }

            var flag = OptionLine().Match(line);
            if (flag.Success)
            {
                options.Add((flag.Groups[1].Value, line.Trim()));
            }
            else if (options.Count > 0)
            {
                options[^1] = (options[^1].Item1, options[^1].Item2 + " " + line.Trim());
            }
        }

        return options;
    }

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\s", RegexOptions.Multiline)]
    private static partial Regex SubcommandLine();

    [GeneratedRegex(@"^  (?:-\S+, )*(--[a-z-]+)")]
    private static partial Regex OptionLine();

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("strongroom-operator-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
