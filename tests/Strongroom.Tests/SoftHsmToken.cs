using System.Diagnostics;

namespace Strongroom.Tests;

/// <summary>A SoftHSM2 token initialised by the test in its own directory (SOFTHSM2_CONF), removed on dispose.</summary>
internal sealed class SoftHsmToken : IDisposable
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Pin = "4711-custody";
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-hsm-").FullName;

    public SoftHsmToken(string label = "strongroom-test")
    {
        Label = label;
        Directory.CreateDirectory(Path.Combine(_dir, "tokens"));
        File.WriteAllText(ConfigFile, $"directories.tokendir = {Path.Combine(_dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        var info = new ProcessStartInfo("softhsm2-util", ["--init-token", "--free", "--label", label, "--pin", Pin, "--so-pin", "so-" + Pin]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["SOFTHSM2_CONF"] = ConfigFile;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("softhsm2-util --init-token failed: " + output);
        }
    }

    public string Label { get; }

    public string ConfigFile => Path.Combine(_dir, "softhsm2.conf");

    /// <summary>The environment a process needs to use the token: its configuration and the PIN.</summary>
    public Dictionary<string, string> Environment(string? pin = Pin) => pin is null
        ? new() { ["SOFTHSM2_CONF"] = ConfigFile }
        : new() { ["SOFTHSM2_CONF"] = ConfigFile, ["STRONGROOM_PKCS11_PIN"] = pin };

    /// <summary>The server flags of pkcs11 custody with this token.</summary>
    public string[] Flags(string keyLabel = "strongroom-root") => ["--root-key", "pkcs11", "--pkcs11-module", Module, "--pkcs11-token-label", Label, "--pkcs11-key-label", keyLabel];

    public void Dispose() => Directory.Delete(_dir, true);
}
