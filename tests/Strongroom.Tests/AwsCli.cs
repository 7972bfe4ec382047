using System.Diagnostics;

namespace Strongroom.Tests;

/// <summary>The AWS CLI (v1, python3 -m awscli, as .ci/run installs it) against a server, with one attempt per call.</summary>
internal static class AwsCli
{
    public static async Task<(int ExitCode, string Output)> RunAsync(Uri endpoint, string credentialsFile, params string[] args)
    {
        var info = new ProcessStartInfo("python3", ["-m", "awscli", "--endpoint-url", endpoint.ToString().TrimEnd('/'), .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile;
        info.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        info.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        info.Environment["AWS_MAX_ATTEMPTS"] = "1";
        info.Environment["AWS_RETRY_MODE"] = "standard";
        info.Environment.Remove("AWS_PROFILE");
        info.Environment.Remove("AWS_ACCESS_KEY_ID");
        info.Environment.Remove("AWS_SECRET_ACCESS_KEY");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
