using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strongroom.Bench;

/// <summary>
/// A server the suite started as a child process (Strongroom, the ceiling endpoint or moto), its output
/// going to a log file. Stopped with SIGTERM, then killed if it does not exit.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private bool _disposed;

    private ServerProcess(Process process, StreamWriter log, IPEndPoint endPoint, string name)
    {
        _process = process;
        _log = log;
        EndPoint = endPoint;
        Name = name;
    }

    public IPEndPoint EndPoint { get; }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The process's exit code once it has exited (137 is SIGKILL, 143 SIGTERM, 134 an abort).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Time from process start to the first successful readiness probe.</summary>
    public TimeSpan StartupTime { get; private set; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> and waits until <paramref name="readyPath"/> answers 200 on
    /// GET (or, with a null path, until the port accepts a connection). <paramref name="environment"/> is added to
    /// the child's environment (settings that should not be in the process list, such as a connection string).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments, int port, string? readyPath, string logFile, TimeSpan timeout, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Keep a parent's DOTNET_ settings (e.g. diagnostics) out of the child.
        info.Environment.Remove("DOTNET_gcServer");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var stopwatch = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, log, new IPEndPoint(IPAddress.Loopback, port), name);
        try
        {
            await server.WaitReadyAsync(readyPath, stopwatch, timeout, ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private async Task WaitReadyAsync(string? readyPath, Stopwatch stopwatch, TimeSpan timeout, CancellationToken ct)
    {
        using var probe = new RawHttpConnection(EndPoint);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready (see its log)");
            }

            try
            {
                if (readyPath is null)
                {
                    await probe.ConnectAsync(ct);
                    break;
                }

                var result = await probe.GetAsync(readyPath, captureBody: false, ct);
                if (result.Status == 200)
                {
                    break;
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                probe.Dispose();
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not ready after {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(5, ct);
        }

        StartupTime = stopwatch.Elapsed;
    }

    /// <summary>Resident set size from /proc/&lt;pid&gt;/status (VmRSS), in bytes.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>True once the process has exited, false if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
            await _log.DisposeAsync();
        }
    }
}
