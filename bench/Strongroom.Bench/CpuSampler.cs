using System.Globalization;

namespace Strongroom.Bench;

/// <summary>
/// CPU used over a window, in cores (1.0 = one core busy the whole time). <see cref="Database"/> is the
/// PostgreSQL cluster's processes in the nodes section, 0 elsewhere; <see cref="Other"/> excludes it.
/// </summary>
internal readonly record struct CpuUse(double Server, double Client, double Other, double Database = 0);

/// <summary>
/// Where the machine's CPU went during a measurement, from /proc/stat and /proc/&lt;pid&gt;/stat: the
/// server processes, optionally a database's processes, this load generator, and everything else (other
/// processes on the machine; a high "other" means the numbers were disturbed).
/// </summary>
/// <remarks>
/// The database's processes are listed again at the end of the window: one that started during it counts
/// from zero, and one that ended during it is lost (PostgreSQL backends live as long as the nodes' pooled
/// connections, so this is rare).
/// </remarks>
internal sealed class CpuSampler
{
    private readonly IReadOnlyList<int> _serverPids;
    private readonly Func<IReadOnlyList<int>>? _databasePids;
    private readonly long _machineBusy;
    private readonly long _machineTotal;
    private readonly long _server;
    private readonly Dictionary<int, long> _database = [];
    private readonly long _client;

    private CpuSampler(IReadOnlyList<int> serverPids, Func<IReadOnlyList<int>>? databasePids)
    {
        _serverPids = serverPids;
        _databasePids = databasePids;
        (_machineBusy, _machineTotal) = Machine();
        _server = serverPids.Sum(Process);
        foreach (var pid in databasePids?.Invoke() ?? [])
        {
            _database[pid] = Process(pid);
        }

        _client = Process(Environment.ProcessId);
    }

    public static CpuSampler Start(int? serverPid) => new(serverPid is { } pid ? [pid] : [], null);

    /// <summary>Samples several server processes (counted together) and, when given, a database's processes.</summary>
    public static CpuSampler Start(IReadOnlyList<int> serverPids, Func<IReadOnlyList<int>>? databasePids) => new(serverPids, databasePids);

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
        var server = _serverPids.Sum(Process) - _server;
        var database = (_databasePids?.Invoke() ?? []).Sum(pid => Process(pid) - _database.GetValueOrDefault(pid));
        var client = Process(Environment.ProcessId) - _client;
        var other = busy - _machineBusy - server - database - client;
        return new CpuUse(Cores(server), Cores(client), Math.Max(0, Cores(other)), Cores(database));
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
