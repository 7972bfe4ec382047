using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Strongroom.Bench;

internal sealed record LoadRow(string Target, string Operation, int Connections, LoadResult Result)
{
    public double? VsCeiling { get; set; }

    public double? VsMoto { get; set; }
}

internal sealed record ScaleRow(
    long Secrets,
    long VersionedSecrets,
    long Added,
    double LoadSeconds,
    long DataDirBytes,
    long RssAfterLoad,
    double StartupMs,
    long RssAfterStart,
    int Connections,
    LoadResult Hot,
    LoadResult Cold,
    long RssAfterRead,
    double ListFirstPageP50Ms = double.NaN,
    double ListFirstPageMaxMs = double.NaN);

internal sealed record AuditCostRow(string Mode, string Operation, int Connections, LoadResult Result);

/// <summary>A nodes-section row: <paramref name="Store"/> is sqlite or postgres, <paramref name="Nodes"/> how many nodes served it.</summary>
internal sealed record NodesRow(string Store, int Nodes, string Operation, int Connections, LoadResult Result, WalFlushes? Wal);

/// <summary>PostgreSQL's WAL flushes to disk (pg_stat_wal.wal_sync) per second over a whole case, and the mean time of one.</summary>
internal readonly record struct WalFlushes(double PerSecond, double MsEach);

internal sealed record MicroRow(string Benchmark, double MeanNs, double StdDevNs, long? AllocatedBytes);

/// <summary>Collects results and writes them as &lt;name&gt;.md and &lt;name&gt;.csv (rewritten after every section).</summary>
internal sealed class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly BenchOptions _options;
    private readonly DateTime _started = DateTime.Now;
    private readonly string _revision;

    public Report(BenchOptions options)
    {
        _options = options;
        _revision = Revision(options.RepoRoot);
    }

    public List<LoadRow> Load { get; } = [];

    public List<ScaleRow> Scale { get; } = [];

    public List<MicroRow> Micro { get; } = [];

    public List<AuditCostRow> Audit { get; } = [];

    public List<NodesRow> Nodes { get; } = [];

    public List<string> Notes { get; } = [];

    public string? MicroReportDirectory { get; set; }

    public string MarkdownPath => Path.Combine(_options.OutputDirectory, _options.Name + ".md");

    public string CsvPath => Path.Combine(_options.OutputDirectory, _options.Name + ".csv");

    public static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        long memKb = 0;
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            memKb = line is null ? 0 : long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], Inv);
        }
        catch (IOException)
        {
        }

        return $"{cpu}; {Environment.ProcessorCount} cores; {memKb / 1024.0 / 1024.0:0.0} GiB memory; {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}";
    }

    /// <summary>The measured source tree: `git describe --always --dirty`, or "unknown".</summary>
    public static string Revision(string repoRoot)
    {
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo("git", ["-C", repoRoot, "describe", "--always", "--dirty"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var git = System.Diagnostics.Process.Start(info);
            if (git is null)
            {
                return "unknown";
            }

            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && text.Length > 0 ? "commit " + text : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    /// <summary>Fills in the ratio columns from rows of the same run.</summary>
    public void ComputeRatios()
    {
        foreach (var row in Load.Where(r => r.Target == "strongroom"))
        {
            var ceiling = Load.FirstOrDefault(r => r.Target == "ceiling" && r.Connections == row.Connections);
            if (ceiling is not null && ceiling.Result.Throughput > 0)
            {
                row.VsCeiling = row.Result.Throughput / ceiling.Result.Throughput;
            }

            var moto = Load.FirstOrDefault(r => r.Target == "moto" && r.Operation == row.Operation && r.Connections == row.Connections);
            if (moto is not null && moto.Result.Throughput > 0)
            {
                row.VsMoto = row.Result.Throughput / moto.Result.Throughput;
            }
        }
    }

    public void Save()
    {
        Directory.CreateDirectory(_options.OutputDirectory);
        ComputeRatios();
        File.WriteAllText(MarkdownPath, Markdown());
        File.WriteAllText(CsvPath, Csv());
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        md.Append(Inv, $"# Strongroom benchmark: {_started:yyyy-MM-dd HH:mm} on {Environment.MachineName}\n\n");
        md.Append(Inv, $"- Machine: {Machine()}\n");
        md.Append(Inv, $"- Strongroom: {_revision}\n");
        md.Append(Inv, $"- Command: `Strongroom.Bench {_options.CommandLine}`\n");
        md.Append(Inv, $"- Load cases: {_options.Duration.TotalSeconds:0.#} s measured after {_options.Warmup.TotalSeconds:0.#} s warm-up, closed loop, one keep-alive connection per worker, every request SigV4-signed by the client; latencies in milliseconds\n");
        md.Append(Inv, $"- Client and servers share the machine's {Environment.ProcessorCount} cores\n\n");
        if (Load.Count > 0)
        {
            md.Append("## Load\n\n");
            md.Append("CPU columns are cores busy during the measured window (the machine has ").Append(Environment.ProcessorCount.ToString(Inv)).Append("): the server process, this load generator, and everything else on the machine (\"other\" above ~0.1 means something else was running and the row is disturbed).\n\n");
            md.Append("| target | operation | conns | req/s | p50 ms | p99 ms | p99.9 ms | errors | ÷ ceiling | ÷ moto | server CPU | client CPU | other CPU |\n");
            md.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var row in Load)
            {
                var r = row.Result;
                md.Append(Inv, $"| {row.Target} | {row.Operation} | {row.Connections} | {r.Throughput:N0} | {r.P50Ms:0.###} | {r.P99Ms:0.###} | {r.P999Ms:0.###} | {r.Errors} | {Ratio(row.VsCeiling)} | {Ratio(row.VsMoto)} | {r.Cpu.Server:0.00} | {r.Cpu.Client:0.00} | {r.Cpu.Other:0.00} |\n");
            }

            md.Append('\n');
        }

        if (Scale.Count > 0)
        {
            md.Append("## Scale\n\n");
            md.Append("Secrets loaded through the API (CreateSecret; every 100th secret also gets 9 PutSecretValue, so it has 10 versions), in one data directory grown step by step; load time and rate are for the secrets added at that step. Start-up: the server restarted over the loaded data directory, process start to the first 200 from /health/ready. GetSecretValue *hot*: 1,000 secrets spread evenly over the whole range, each read once before the measurement. *Cold*: a uniformly random secret of all those stored, which is mostly its first read of the day, so it pays Strongroom's once-a-day LastAccessedDate write. *ListSecrets*: the first page (MaxResults 100) of ListSecrets with a `name` filter (a prefix matching 100 secrets somewhere in the range), 30 calls one after another on one connection, p50 and slowest, client-side milliseconds.\n\n");
            md.Append("| secrets | with 10 versions | added | load s | load secrets/s | data dir bytes/secret | RSS after load MiB | start-up ms | RSS after start MiB | conns | hot req/s | hot p50 ms | hot p99 ms | hot p99.9 ms | cold req/s | cold p50 ms | cold p99 ms | cold p99.9 ms | errors | RSS after reads MiB | other CPU | ListSecrets p50 ms | ListSecrets max ms |\n");
            md.Append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var s in Scale)
            {
                var h = s.Hot;
                var c = s.Cold;
                md.Append(Inv, $"| {s.Secrets:N0} | {s.VersionedSecrets:N0} | {s.Added:N0} | {s.LoadSeconds:0.0} | {s.Added / s.LoadSeconds:N0} | {(double)s.DataDirBytes / s.Secrets:N0} | {Mib(s.RssAfterLoad)} | {s.StartupMs:N0} | {Mib(s.RssAfterStart)} | {s.Connections} | {h.Throughput:N0} | {h.P50Ms:0.###} | {h.P99Ms:0.###} | {h.P999Ms:0.###} | {c.Throughput:N0} | {c.P50Ms:0.###} | {c.P99Ms:0.###} | {c.P999Ms:0.###} | {h.Errors + c.Errors} | {Mib(s.RssAfterRead)} | {Math.Max(h.Cpu.Other, c.Cpu.Other):0.00} | {s.ListFirstPageP50Ms:0.##} | {s.ListFirstPageMaxMs:0.##} |\n");
            }

            md.Append('\n');
        }

        if (Audit.Count > 0)
        {
            md.Append("## Cost of the audit trail on GetSecretValue\n\n");
            md.Append("Three servers that differ only in how a call waits for its audit record, each on its own data directory with 1,000 secrets (every timed read a repeat read): *durable* is production (the answer leaves once the record is committed, group commit); *not-awaited* writes the same records but answers without waiting; *off* builds and writes no record. Only this benchmark can select the last two. \"÷ off\" is throughput relative to *off* at the same operation and connection count.\n\n");
            md.Append("| audit | operation | conns | req/s | ÷ off | p50 ms | p99 ms | p99.9 ms | errors | server CPU | client CPU | other CPU |\n");
            md.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var row in Audit)
            {
                var r = row.Result;
                var off = Audit.FirstOrDefault(o => o.Mode == "off" && o.Operation == row.Operation && o.Connections == row.Connections);
                var ratio = off is not null && off.Result.Throughput > 0 ? r.Throughput / off.Result.Throughput : (double?)null;
                md.Append(Inv, $"| {row.Mode} | {row.Operation} | {row.Connections} | {r.Throughput:N0} | {Ratio(ratio)} | {r.P50Ms:0.###} | {r.P99Ms:0.###} | {r.P999Ms:0.###} | {r.Errors} | {r.Cpu.Server:0.00} | {r.Cpu.Client:0.00} | {r.Cpu.Other:0.00} |\n");
            }

            md.Append('\n');
        }

        if (Nodes.Count > 0)
        {
            md.Append("## Nodes: GetSecretValue on 1, 2 and 3 nodes sharing one PostgreSQL\n\n");
            md.Append("Every node, the PostgreSQL cluster and the load generator run on this machine's ").Append(Environment.ProcessorCount.ToString(Inv)).Append(" cores. The load generator is the load balancer: it opens its connections round-robin over the live nodes' endpoints (client-side; connections, not requests, are spread; the per-node column counts measured answers). 1,000 secrets seeded once through node 1, every timed read a repeat read; each read writes its durable audit record into the one database. *sqlite* is one node on its own SQLite data directory, for reference. \"÷ 1 node\" is throughput over the same store's single node at the same connection count. CPU columns are cores busy during the measured window: all Strongroom nodes together, the PostgreSQL cluster's processes, this load generator, and everything else. *WAL flushes/s* is PostgreSQL's pg_stat_wal.wal_sync over the whole case (warm-up included), *ms each* their mean duration, and *answers/flush* req/s ÷ flushes/s: how many calls' audit records one durable commit carried.\n\n");
            md.Append("| store | nodes | operation | conns | req/s | ÷ 1 node | p50 ms | p99 ms | p99.9 ms | errors | answers per node | nodes CPU | PostgreSQL CPU | client CPU | other CPU | WAL flushes/s | ms each | answers/flush |\n");
            md.Append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var row in Nodes)
            {
                var r = row.Result;
                var database = row.Store == "postgres" ? r.Cpu.Database.ToString("0.00", Inv) : "–";
                var perNode = r.PerEndpoint is { } counts ? string.Join(" / ", counts.Select(c => c.ToString("N0", Inv))) : "–";
                md.Append(Inv, $"| {row.Store} | {row.Nodes} | {row.Operation} | {row.Connections} | {r.Throughput:N0} | {Ratio(VsOneNode(row))} | {r.P50Ms:0.###} | {r.P99Ms:0.###} | {r.P999Ms:0.###} | {r.Errors} | {perNode} | {r.Cpu.Server:0.00} | {database} | {r.Cpu.Client:0.00} | {r.Cpu.Other:0.00} | {(row.Wal is { } w ? $"{w.PerSecond:N0} | {w.MsEach:0.00} | {(w.PerSecond > 0 ? r.Throughput / w.PerSecond : double.NaN):0.0}" : "– | – | –")} |\n");
            }

            md.Append('\n');
        }

        if (Micro.Count > 0)
        {
            md.Append("## Micro (BenchmarkDotNet, in-process)\n\n");
            md.Append("| benchmark | mean | stddev | allocated/op |\n|---|---:|---:|---:|\n");
            foreach (var m in Micro)
            {
                md.Append(Inv, $"| {m.Benchmark} | {Time(m.MeanNs)} | {Time(m.StdDevNs)} | {(m.AllocatedBytes is { } a ? $"{a:N0} B" : "–")} |\n");
            }

            md.Append('\n');
            if (MicroReportDirectory is not null)
            {
                md.Append(Inv, $"BenchmarkDotNet's own reports: `{Path.GetRelativePath(_options.OutputDirectory, MicroReportDirectory)}/`.\n\n");
            }
        }

        if (Notes.Count > 0)
        {
            md.Append("## Notes\n\n");
            foreach (var note in Notes)
            {
                md.Append("- ").Append(note.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            }
        }

        return md.ToString();
    }

    public string Csv()
    {
        var csv = new StringBuilder();
        csv.Append("section,target,operation,connections,secrets,requests,errors,throughput_rps,p50_ms,p99_ms,p999_ms,ratio_vs_ceiling,ratio_vs_moto,server_cpu_cores,client_cpu_cores,other_cpu_cores,load_seconds,data_dir_bytes_per_secret,rss_after_load_bytes,startup_ms,rss_after_start_bytes,rss_after_reads_bytes,mean_ns,stddev_ns,allocated_bytes,nodes,ratio_vs_one_node,database_cpu_cores,wal_flushes_per_s,wal_flush_ms\n");
        foreach (var row in Load)
        {
            var r = row.Result;
            csv.Append(Inv, $"load,{row.Target},{Quote(row.Operation)},{row.Connections},,{r.Requests},{r.Errors},{r.Throughput:0.##},{r.P50Ms:0.####},{r.P99Ms:0.####},{r.P999Ms:0.####},{row.VsCeiling:0.####},{row.VsMoto:0.####},{r.Cpu.Server:0.###},{r.Cpu.Client:0.###},{r.Cpu.Other:0.###},,,,,,,,,,,,,,\n");
        }

        foreach (var s in Scale)
        {
            foreach (var (kind, r) in new[] { ("GetSecretValue hot", s.Hot), ("GetSecretValue cold", s.Cold) })
            {
                csv.Append(Inv, $"scale,strongroom,{kind},{s.Connections},{s.Secrets},{r.Requests},{r.Errors},{r.Throughput:0.##},{r.P50Ms:0.####},{r.P99Ms:0.####},{r.P999Ms:0.####},,,{r.Cpu.Server:0.###},{r.Cpu.Client:0.###},{r.Cpu.Other:0.###},{s.LoadSeconds:0.###},{(double)s.DataDirBytes / s.Secrets:0.#},{s.RssAfterLoad},{s.StartupMs:0.#},{s.RssAfterStart},{s.RssAfterRead},,,,,,,,\n");
            }

            // The name-filtered first page: p50 in the p50 column, the slowest call in the p99 column.
            csv.Append(Inv, $"scale,strongroom,ListSecrets name filter first page,1,{s.Secrets},30,0,,{s.ListFirstPageP50Ms:0.####},{s.ListFirstPageMaxMs:0.####},,,,,,,,,,,,,,,,,,,,\n");
        }

        foreach (var row in Audit)
        {
            var r = row.Result;
            csv.Append(Inv, $"audit,audit={row.Mode},{Quote(row.Operation)},{row.Connections},,{r.Requests},{r.Errors},{r.Throughput:0.##},{r.P50Ms:0.####},{r.P99Ms:0.####},{r.P999Ms:0.####},,,{r.Cpu.Server:0.###},{r.Cpu.Client:0.###},{r.Cpu.Other:0.###},,,,,,,,,,,,,,\n");
        }

        foreach (var row in Nodes)
        {
            var r = row.Result;
            csv.Append(Inv, $"nodes,{row.Store},{Quote(row.Operation)},{row.Connections},,{r.Requests},{r.Errors},{r.Throughput:0.##},{r.P50Ms:0.####},{r.P99Ms:0.####},{r.P999Ms:0.####},,,{r.Cpu.Server:0.###},{r.Cpu.Client:0.###},{r.Cpu.Other:0.###},,,,,,,,,,{row.Nodes},{VsOneNode(row):0.####},{(row.Store == "postgres" ? r.Cpu.Database.ToString("0.###", Inv) : string.Empty)},{row.Wal?.PerSecond:0.##},{row.Wal?.MsEach:0.###}\n");
        }

        foreach (var m in Micro)
        {
            csv.Append(Inv, $"micro,in-process,{Quote(m.Benchmark)},,,,,,,,,,,,,,,,,,,,{m.MeanNs:0.##},{m.StdDevNs:0.##},{m.AllocatedBytes},,,,,\n");
        }

        return csv.ToString();
    }

    /// <summary>Throughput over the same store's one-node row at the same operation and connection count.</summary>
    private double? VsOneNode(NodesRow row)
    {
        var one = Nodes.FirstOrDefault(o => o.Store == row.Store && o.Nodes == 1 && o.Operation == row.Operation && o.Connections == row.Connections);
        return one is not null && one.Result.Throughput > 0 ? row.Result.Throughput / one.Result.Throughput : null;
    }

    private static string Ratio(double? ratio) => ratio is { } r ? r.ToString("0.00", Inv) + "×" : "–";

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", Inv);

    private static string Time(double ns) => ns switch
    {
        < 1_000 => ns.ToString("0.0", Inv) + " ns",
        < 1_000_000 => (ns / 1_000).ToString("0.00", Inv) + " µs",
        _ => (ns / 1_000_000).ToString("0.00", Inv) + " ms",
    };

    private static string Quote(string text) => text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal) ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
