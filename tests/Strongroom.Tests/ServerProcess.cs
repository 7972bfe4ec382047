using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strongroom.Tests;

/// <summary>A real `strongroom` process on a free loopback port. Output is captured for leak checks.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri Endpoint { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The environment that points a `strongroom` process at a PostgreSQL store (the string never on the command line).</summary>
    public static Dictionary<string, string> PostgresEnvironment(string connectionString) => new()
    {
        ["STRONGROOM_STORAGE"] = "postgres",
        ["STRONGROOM_POSTGRES"] = connectionString,
    };

    public static ProcessStartInfo Command(params string[] args) => Host("strongroom.dll", args);

    /// <summary>
    /// The same command run by the test host Strongroom.FaultHost, which kills the process (SIGKILL, exit code 137) when
    /// it reaches the fault point <paramref name="point"/>; the shipped strongroom has no way to do that.
    /// </summary>
    public static Task<(int ExitCode, string Output)> RunAtFaultAsync(string point, params string[] args) =>
        RunProcessAsync(Host("Strongroom.FaultHost.dll", ["--fault-at", point, .. args]));

    /// <summary><see cref="RunAtFaultAsync"/> with extra environment variables (a token's configuration and PIN).</summary>
    public static Task<(int ExitCode, string Output)> RunAtFaultWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, string point, params string[] args)
    {
        var info = Host("Strongroom.FaultHost.dll", ["--fault-at", point, .. args]);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return RunProcessAsync(info);
    }

    private static ProcessStartInfo Host(string dll, string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>Runs a command to completion and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunWithEnvironmentAsync(null, args);

    public static Task<(int ExitCode, string Output)> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = Command(args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return RunProcessAsync(info);
    }

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(ProcessStartInfo info)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public static async Task<ServerProcess> StartAsync(string? dataDir, bool dev = false, int? port = null, IReadOnlyDictionary<string, string>? environment = null, params string[] extra)
    {
        var chosen = port ?? FreePort();
        var args = new List<string> { "server", "--listen", $"127.0.0.1:{chosen}" };
        if (dataDir is not null)
        {
            args.AddRange(["--data-dir", dataDir]);
        }

        if (dev)
        {
            args.Add("--dev");
        }

        args.AddRange(extra);
        var info = Command([.. args]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var server = new ServerProcess(Process.Start(info)!, chosen);
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Starts a server that is expected to come up sealed: waits until /health/live answers, not /health/ready.</summary>
    public static async Task<ServerProcess> StartSealedAsync(string dataDir, int? port = null, IReadOnlyDictionary<string, string>? environment = null, params string[] extra)
    {
        var chosen = port ?? FreePort();
        var info = Command(["server", "--listen", $"127.0.0.1:{chosen}", "--data-dir", dataDir, .. extra]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var server = new ServerProcess(Process.Start(info)!, chosen);
        await server.WaitUntilAsync("/health/live");
        return server;
    }

    /// <summary>Waits until <paramref name="path"/> answers 2xx (e.g. /health/ready after an unseal).</summary>
    public async Task WaitUntilAsync(string path, int seconds = 60)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("strongroom exited:\n" + Output);
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Endpoint, path));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"strongroom did not answer {path}:\n" + Output);
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("strongroom exited during start:\n" + Output);
            }

            try
            {
                var response = await http.GetAsync(new Uri(Endpoint, "/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("strongroom did not become ready:\n" + Output);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
