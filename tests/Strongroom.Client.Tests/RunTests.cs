using System.Diagnostics;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>`strongroom run` as a real process against a real server: environment only, exit codes, signals, restart on rotation.</summary>
[Collection(ServerCollection.Name)]
public sealed class RunTests : IDisposable
{
    private readonly StrongroomServer _server;
    private readonly HttpClient _http = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-run-").FullName;

    public RunTests(StrongroomServer server)
    {
        _server = server;
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> CreateAsync(string value)
    {
        var name = Unique("run/secret");
        await _server.Client(_http).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = value, ClientRequestToken = Guid.NewGuid().ToString() });
        return name;
    }

    private Process Start(params string[] args)
    {
        // Through env(1) with SIGHUP at its default: a test runner started under nohup (as a CI job may be) has HUP
        // ignored, a child inherits that, and a shell cannot trap a signal that was ignored when it started — the
        // signal test would then prove nothing about strongroom run (docs/applications.md says the same to users).
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--default-signal=HUP");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(StrongroomServer.Executable);
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--endpoint-url");
        info.ArgumentList.Add(_server.Endpoint.ToString());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        AgentProcess.Environment(info, null);
        return Process.Start(info)!;
    }

    private static async Task<(int Code, string Output)> FinishAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task<string> WaitForFileAsync(string path, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path) && await File.ReadAllTextAsync(path) is var text && done(text))
            {
                return text;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException(path + (File.Exists(path) ? ": " + await File.ReadAllTextAsync(path) : " never written"));
    }

    [Fact]
    public async Task Run_EnvOnly_ValueNeitherInOutputNorInCmdline()
    {
        var name = await CreateAsync("{\"password\":\"run-plaintext-7f3a\",\"user\":\"app\"}");
        var whole = await CreateAsync("whole-plaintext-19c2");
        var outFile = Path.Combine(_dir, "env");
        var script = $"printf '%s|%s|%s' \"$DB_PASS\" \"$DB_USER\" \"$WHOLE\" > {outFile}.tmp; tr '\\0' ' ' < /proc/$$/cmdline > {outFile}.child; tr '\\0' ' ' < /proc/$PPID/cmdline > {outFile}.parent; mv {outFile}.tmp {outFile}; echo child-says-hello";
        using var run = Start("--env", $"DB_PASS={name}#password", "--env", $"DB_USER={name}#user", "--env", $"WHOLE={whole}", "--", "sh", "-c", script);
        var (code, output) = await FinishAsync(run);
        Assert.Equal(0, code);
        Assert.Equal("run-plaintext-7f3a|app|whole-plaintext-19c2", await File.ReadAllTextAsync(outFile));
        Assert.Contains("child-says-hello", output, StringComparison.Ordinal);
        foreach (var text in new[] { output, await File.ReadAllTextAsync(outFile + ".child"), await File.ReadAllTextAsync(outFile + ".parent") })
        {
            Assert.DoesNotContain("run-plaintext-7f3a", text, StringComparison.Ordinal);
            Assert.DoesNotContain("whole-plaintext-19c2", text, StringComparison.Ordinal);
        }

        Assert.Contains("strongroom.dll run", await File.ReadAllTextAsync(outFile + ".parent"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ExitCode_PassesThrough()
    {
        var name = await CreateAsync("x");
        using var run = Start("--env", $"X={name}", "--", "sh", "-c", "exit 7");
        Assert.Equal(7, (await FinishAsync(run)).Code);
    }

    [Fact]
    public async Task Run_MissingJsonKeyOrSecret_ClearErrorWithoutValue()
    {
        var name = await CreateAsync("{\"a\":\"json-plaintext-55\"}");
        using var run = Start("--env", $"X={name}#b", "--", "true");
        var (code, output) = await FinishAsync(run);
        Assert.NotEqual(0, code);
        Assert.Contains("no JSON key 'b'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("json-plaintext-55", output, StringComparison.Ordinal);
        using var missing = Start("--env", "X=" + Unique("run/missing"), "--", "true");
        var (missingCode, missingOutput) = await FinishAsync(missing);
        Assert.Equal(1, missingCode);
        Assert.Contains("can't find the specified secret", missingOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SigtermToRun_ReachesTheChildAndItsExitCodeComesBack()
    {
        var name = await CreateAsync("x");
        var marker = Path.Combine(_dir, "term");
        var ready = Path.Combine(_dir, "ready");
        using var run = Start("--env", $"X={name}", "--", "sh", "-c", $"trap 'echo got-term > {marker}; exit 143' TERM; touch {ready}; while :; do sleep 0.1; done");
        await WaitForFileAsync(ready, _ => true);
        using (var kill = Process.Start("kill", ["-TERM", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var (code, _) = await FinishAsync(run);
        Assert.Equal(143, code);
        Assert.Equal("got-term\n", await File.ReadAllTextAsync(marker));
    }

    [Fact]
    public async Task Run_SecretRotates_ChildRestartedWithTheNewValue()
    {
        var name = await CreateAsync("first");
        var log = Path.Combine(_dir, "starts");
        using var run = Start("--env", $"V={name}", "--on-rotate", "restart", "--", "sh", "-c", $"echo \"$V\" >> {log}; exec sleep 60");
        await WaitForFileAsync(log, t => t == "first\n");
        await Task.Delay(500); // the watch call is on its way
        await new SecretsManagerClient(_server.Client(_http)).PutSecretValueAsync(name, Guid.NewGuid().ToString(), "second");
        Assert.Equal("first\nsecond\n", await WaitForFileOrExplainAsync(run, log, t => t.Contains("second", StringComparison.Ordinal)));
        run.Kill(entireProcessTree: true);
        var (_, output) = await FinishAsync(run);
        Assert.Contains("restarting sh", output, StringComparison.Ordinal);
        Assert.DoesNotContain("first", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// <see cref="WaitForFileAsync"/>, and when it times out, what `strongroom run` and the server said (so a failure in
    /// CI explains itself).
    /// </summary>
    private async Task<string> WaitForFileOrExplainAsync(Process run, string path, Func<string, bool> done)
    {
        try
        {
            return await WaitForFileAsync(path, done);
        }
        catch (TimeoutException e)
        {
            run.Kill(entireProcessTree: true);
            var (code, output) = await FinishAsync(run);
            var server = _server.Output;
            throw new TimeoutException($"{e.Message}\n--- strongroom run (exit {code}):\n{output}\n--- server (last 4000 characters):\n{server[Math.Max(0, server.Length - 4000)..]}", e);
        }
    }

    [Fact]
    public async Task Run_OnRotateSignal_ChildGetsTheSignal()
    {
        var name = await CreateAsync("one");
        var marker = Path.Combine(_dir, "hup");
        var ready = Path.Combine(_dir, "hup-ready");
        using var run = Start("--env", $"V={name}", "--on-rotate", "signal:HUP", "--", "sh", "-c", $"trap 'echo got-hup >> {marker}' HUP; touch {ready}; while :; do sleep 0.1; done");
        await WaitForFileAsync(ready, _ => true);
        await Task.Delay(500);
        await new SecretsManagerClient(_server.Client(_http)).PutSecretValueAsync(name, Guid.NewGuid().ToString(), "two");
        Assert.Equal("got-hup\n", await WaitForFileOrExplainAsync(run, marker, t => t.Length > 0));
        run.Kill(entireProcessTree: true);
        await FinishAsync(run);
    }
}
