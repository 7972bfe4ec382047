using Strongroom.Server;

namespace Strongroom.FaultHost;

/// <summary>
/// <c>dotnet Strongroom.FaultHost.dll --fault-at POINT &lt;strongroom arguments...&gt;</c>: runs the strongroom command
/// given, and when the process reaches the fault point POINT (see <see cref="FaultPoints"/>) writes
/// "fault host: killed at POINT" to standard error and kills itself with SIGKILL (exit code 137), as a power cut there
/// would. A run that never reaches POINT ends as the command would.
/// </summary>
public static class FaultHost
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3 || args[0] != "--fault-at")
        {
            await Console.Error.WriteLineAsync("usage: Strongroom.FaultHost --fault-at POINT <strongroom arguments...>");
            return 2;
        }

        var point = args[1];
        FaultPoints.Hook = reached =>
        {
            if (reached == point)
            {
                Console.Error.WriteLine("fault host: killed at " + point);
                Console.Error.Flush();
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
        };
        return await Program.Main(args[2..]);
    }
}
