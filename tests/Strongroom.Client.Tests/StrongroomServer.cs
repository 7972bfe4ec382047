using Xunit;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Strongroom.Client.Tests;

/// <summary>
/// A real `strongroom server --dev` process on a free loopback port, started from the executable built in this
/// worktree (src/Strongroom/bin/&lt;Configuration&gt;/net10.0/strongroom.dll). Disposal kills only this process.
/// </summary>
public sealed partial class StrongroomServer : IAsyncLifetime
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The dev server's temporary data directory, from its start-up log.</summary>
    public string DataDir { get; private set; } = null!;

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

    [GeneratedRegex(@"throw-away data in (\S+), removed at exit")]
    private static partial Regex DataDirPattern();

    /// <summary>The built strongroom.dll; a missing build is a failure, not a skip.</summary>
    public static string Executable
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strongroom.slnx")))
            {
                dir = dir.Parent;
            }

            if (dir is null)
            {
                throw new InvalidOperationException("Strongroom.slnx not found above " + AppContext.BaseDirectory);
            }

            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
            var path = Path.Combine(dir.FullName, "src", "Strongroom", "bin", configuration, "net10.0", "strongroom.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: run dotnet build src/Strongroom -c {configuration}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task InitializeAsync()
    {
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Executable);
        foreach (var arg in new[] { "server", "--dev", "--listen", $"127.0.0.1:{port}", "--log-format", "text" })
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
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
                if ((await http.GetAsync(new Uri(Endpoint, "/health/ready"))).StatusCode == HttpStatusCode.OK)
                {
                    DataDir = DataDirPattern().Match(Output) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("No data directory in the log:\n" + Output);
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

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>A typed-client connection as <paramref name="credentials"/> (default: the dev admin test/test).</summary>
    public AwsJsonClient Client(HttpClient http, AwsCredentials? credentials = null, string region = "us-east-1") =>
        new(http, Endpoint, region, credentials ?? new AwsCredentials("test", "test"));

    /// <summary>
    /// Runs the strongroom CLI with a clean AWS environment (no inherited AWS_* variables, no ~/.aws files) plus
    /// <paramref name="environment"/>. Returns exit code, stdout and stderr.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Executable);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/strongroom-test-credentials";
        info.Environment["AWS_CONFIG_FILE"] = "/nonexistent/strongroom-test-config";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
