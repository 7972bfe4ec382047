using System.Diagnostics;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

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

    private static readonly Lock Gate = new();

    /// <summary>
    /// Runs <paramref name="use"/> in a logged-in session of this token, in the test process (the token's configuration
    /// is set in the native environment while it runs — SoftHSM2 reads it with getenv at C_Initialize, and .NET keeps
    /// its own copy of the environment on Unix).
    /// </summary>
    public T InSession<T>(Func<Pkcs11InteropFactories, ISession, T> use)
    {
        lock (Gate)
        {
            try
            {
                System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, assembly, path) =>
                    name == "libdl" && System.Runtime.InteropServices.NativeLibrary.TryLoad("libdl.so.2", assembly, path, out var handle) ? handle : IntPtr.Zero);
            }
            catch (InvalidOperationException)
            {
                // Set by an earlier call.
            }

            _ = SetEnv("SOFTHSM2_CONF", ConfigFile, 1);
            try
            {
                var factories = new Pkcs11InteropFactories();
                using var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, Module, AppType.MultiThreaded);
                var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == Label);
                using var session = slot.OpenSession(SessionType.ReadOnly);
                session.Login(CKU.CKU_USER, Pin);
                return use(factories, session);
            }
            finally
            {
                _ = UnsetEnv("SOFTHSM2_CONF");
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string name, [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string value, int overwrite);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "unsetenv")]
    private static extern int UnsetEnv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string name);

    public void Dispose() => Directory.Delete(_dir, true);
}
