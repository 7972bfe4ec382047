using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strongroom.Client.Tests;

/// <summary>A real `strongroom agent` process in front of a server, with the dev credentials and a fresh SSRF token. Disposal kills only this process.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private AgentProcess(Process process, int port, string token)
    {
        _process = process;
        Port = port;
        Token = token;
    }

    public int Port { get; }

    public string Token { get; }

    public int Pid => _process.Id;

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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Task<AgentProcess> StartAsync(Uri endpoint, params string[] extra) => StartAsync(endpoint, null, extra);

    /// <param name="environment">Changes to the clean environment (a null value removes the variable).</param>
    public static async Task<AgentProcess> StartAsync(Uri endpoint, IReadOnlyDictionary<string, string?>? environment, params string[] extra)
    {
        var port = FreePort();
        var token = Guid.NewGuid().ToString("N");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(StrongroomServer.Executable);
        foreach (var arg in new[] { "agent", "--endpoint-url", endpoint.ToString(), "--listen", $"127.0.0.1:{port}" }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        Environment(info, token);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var agent = new AgentProcess(Process.Start(info)!, port, token);
        agent._process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (agent._process.HasExited)
            {
                throw new InvalidOperationException("strongroom agent exited during start:\n" + agent.Output);
            }

            try
            {
                if ((await http.GetAsync(new Uri($"http://127.0.0.1:{port}/ping"))).StatusCode == HttpStatusCode.OK)
                {
                    return agent;
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

        throw new TimeoutException("strongroom agent did not start:\n" + agent.Output);
    }

    /// <summary>A clean AWS environment with the dev credentials; AWS_TOKEN set to <paramref name="token"/> when given.</summary>
    public static void Environment(ProcessStartInfo info, string? token)
    {
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["AWS_ACCESS_KEY_ID"] = "test";
        info.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        info.Environment["AWS_REGION"] = "us-east-1";
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/strongroom-test-credentials";
        info.Environment["AWS_CONFIG_FILE"] = "/nonexistent/strongroom-test-config";
        if (token is not null)
        {
            info.Environment["AWS_TOKEN"] = token;
        }
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

    /// <summary>curl as AWS's agent documentation shows it: returns status, body and the X-Strongroom-Stale header.</summary>
    public static async Task<(int Status, string Body, string Stale)> CurlAsync(string url, params string[] headers)
    {
        var info = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-s", "-w", "\n%{http_code}\n%header{x-strongroom-stale}" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var header in headers)
        {
            info.ArgumentList.Add("-H");
            info.ArgumentList.Add(header);
        }

        info.ArgumentList.Add(url);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var lines = output.Split('\n');
        return (int.Parse(lines[^2], System.Globalization.CultureInfo.InvariantCulture), string.Join('\n', lines[..^2]), lines[^1]);
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
