using System.Diagnostics;
using System.Globalization;
using Strongroom.Core.Rotation;

namespace Strongroom.Rotation.Runners;

/// <summary>
/// A command function: `/bin/sh -c COMMAND` with AWS's event JSON on standard input and the
/// environment a Lambda rotation function expects (endpoint, region, the role's session credentials)
/// plus the function's own variables — and nothing of the server's environment beyond PATH, HOME,
/// LANG and TMPDIR, so no server setting (a root key in STRONGROOM_ROOT_KEY, say) reaches it. Exit
/// status 0 is success. Output is read (so the command never blocks on a full pipe) and the tail of each
/// stream handed to the step's output, which the runner masks before it is stored; it is never logged.
/// </summary>
internal sealed class CommandRunner
{
    private static readonly string[] Inherited = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"];
    private readonly RotationRuntimeOptions _options;

    public CommandRunner(RotationRuntimeOptions options) => _options = options;

    public async Task InvokeAsync(RotationFunction function, RotationStep step, RotationCredentials credentials, RotationStepOutput output, CancellationToken ct)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(function.Command ?? throw new RotationFailedException("The function has no command."));
        info.Environment.Clear();
        foreach (var name in Inherited)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                info.Environment[name] = value;
            }
        }

        info.Environment["PATH"] ??= "/usr/local/bin:/usr/bin:/bin";
        foreach (var (key, value) in function.Environment)
        {
            info.Environment[key] = value;
        }

        var endpoint = _options.Endpoint.ToString().TrimEnd('/');
        info.Environment["SECRETS_MANAGER_ENDPOINT"] = endpoint;
        info.Environment["AWS_ENDPOINT_URL"] = endpoint;
        info.Environment["AWS_REGION"] = function.Region;
        info.Environment["AWS_DEFAULT_REGION"] = function.Region;
        info.Environment["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId;
        info.Environment["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey;
        info.Environment["AWS_SESSION_TOKEN"] = credentials.SessionToken;
        info.Environment["AWS_LAMBDA_FUNCTION_NAME"] = function.Name;
        info.Environment["AWS_LAMBDA_FUNCTION_TIMEOUT"] = function.TimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        if (_options.CaBundle is not null)
        {
            info.Environment["AWS_CA_BUNDLE"] = _options.CaBundle;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RotationFailedException($"the command could not be started ({e.NativeErrorCode}).");
        }

        var stdout = DrainAsync(process.StandardOutput.BaseStream, "stdout", output);
        var stderr = DrainAsync(process.StandardError.BaseStream, "stderr", output);
        try
        {
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(RotationInvoker.EventJson(step), ct);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The command exited without reading its input; its exit status says how it went.
            }

            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await Task.WhenAll(stdout, stderr);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0)
        {
            throw new RotationFailedException($"the command exited with status {process.ExitCode}.");
        }
    }

    private async Task DrainAsync(Stream stream, string label, RotationStepOutput output)
    {
        // Keep only the tail, in memory, until the stream ends.
        var truncated = false;
        var tail = new byte[_options.OutputLimitBytes];
        var buffer = new byte[8192];
        var length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            if (read >= tail.Length)
            {
                Buffer.BlockCopy(buffer, read - tail.Length, tail, 0, tail.Length);
                truncated |= read > tail.Length || length > 0;
                length = tail.Length;
                continue;
            }

            truncated |= length + read > tail.Length;
            var keep = Math.Min(length, tail.Length - read);
            Buffer.BlockCopy(tail, length - keep, tail, 0, keep);
            Buffer.BlockCopy(buffer, 0, tail, keep, read);
            length = keep + read;
        }

        if (length > 0)
        {
            output.Write(label, System.Text.Encoding.UTF8.GetString(tail, 0, length), truncated);
        }

        Array.Clear(tail);
        Array.Clear(buffer);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
