using System.Runtime.InteropServices;

namespace Strongroom.Run;

/// <summary>kill(2), to pass a signal on to the child (.NET sends only SIGKILL itself).</summary>
internal static class Native
{
    public const int SigHup = 1;
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigUsr1 = 10;
    public const int SigUsr2 = 12;
    public const int SigTerm = 15;

    // DllImport, not LibraryImport: the generated stub needs AllowUnsafeBlocks, and two ints need no marshalling.
#pragma warning disable SYSLIB1054 // Use LibraryImport: see above
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    public static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    public static int? SignalNumber(string name) => name.ToUpperInvariant().Replace("SIG", string.Empty, StringComparison.Ordinal) switch
    {
        "HUP" => SigHup,
        "INT" => SigInt,
        "QUIT" => SigQuit,
        "USR1" => SigUsr1,
        "USR2" => SigUsr2,
        "TERM" => SigTerm,
        _ => null,
    };
}
