using System.Globalization;

namespace Strongroom.Bench;

/// <summary>CPU used over a window, in cores (1.0 = one core busy the whole time).</summary>
internal readonly record struct CpuUse(double Server, double Client, double Other);

/// <summary>
/// Where the machine's CPU went during a measurement, from /proc/stat and /proc/&lt;pid&gt;/stat: the
/// server, this load generator, and everything else (other processes on the machine; a high "other"
/// means the numbers were disturbed).
/// </summary>
internal sealed class CpuSampler
{
    private readonly int? _serverPid;
    private readonly long _machineBusy;
    private readonly long _machineTotal;
    private readonly long _server;
    private readonly long _client;

    private CpuSampler(int? serverPid)
    {
        _serverPid = serverPid;
        (_machineBusy, _machineTotal) = Machine();
        _server = serverPid is { } pid ? Process(pid) : 0;
        _client = Process(Environment.ProcessId);
    }

    public static CpuSampler Start(int? serverPid) => new(serverPid);

    public CpuUse Stop()
    {
        var (busy, total) = Machine();
        var totalDelta = total - _machineTotal;
        if (totalDelta <= 0)
        {
            return default;
        }

        var cores = Environment.ProcessorCount;
        double Cores(long jiffies) => (double)jiffies / totalDelta * cores;
        var server = _serverPid is { } pid ? Process(pid) - _server : 0;
        var client = Process(Environment.ProcessId) - _client;
        var other = busy - _machineBusy - server - client;
        return new CpuUse(Cores(server), Cores(client), Math.Max(0, Cores(other)));
    }

    /// <summary>Busy and total jiffies over all CPUs.</summary>
    private static (long Busy, long Total) Machine()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal (guest time is already inside user).
            var idle = fields[3] + fields[4];
            var total = fields.Take(8).Sum();
            return (total - idle, total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    /// <summary>utime + stime of a process, in jiffies (0 when it is gone).</summary>
    private static long Process(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after "(comm)": state is [0]; utime is field 14 overall, so [11]; stime [12].
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
