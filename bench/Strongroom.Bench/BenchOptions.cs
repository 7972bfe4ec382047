using System.Globalization;

namespace Strongroom.Bench;

/// <summary>Command-line options shared by the subcommands.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        usage: Strongroom.Bench <load|scale|audit|nodes|micro|all> [options]

          load: ceiling, Strongroom's operations, moto; scale: 1k/100k/1M secrets;
          audit: GetSecretValue with the audit trail durable, not awaited, and off;
          nodes: GetSecretValue on 1, 2 and 3 nodes sharing a throw-away PostgreSQL (and one SQLite node);
          micro: BenchmarkDotNet

          --duration S            measured seconds per load case (default 10)
          --warmup S              unmeasured seconds before each case (default 2)
          --connections LIST      concurrent connections, comma-separated (default 1,32,128)
          --out DIR               output directory (default bench/results)
          --name NAME             report file name without extension (default <yyyy-MM-dd>-<host>)
          --strongroom DLL        the server (default src/Strongroom/bin/Release/net10.0/strongroom.dll)
          --max-secrets N         largest scale step: 1000, 100000 or 1000000 (default 1000000)
          --scale-connections N   connections for the scale read test (default 32)
          --loader-connections N  connections used to load secrets (default 16)
          --no-moto               skip the moto peer
          --only TEXT             load: run only the Strongroom and moto operations whose name contains TEXT (the ceiling always runs);
                                  audit: run only that mode (durable, not-awaited or off)
          --micro-job short|default  BenchmarkDotNet job: short (3 warm-ups, 10 iterations; default) or BDN's default
          --micro-filter TEXT     run only micro-benchmarks whose name contains TEXT
          --keep                  keep the temporary data directories and server logs

        other: selftest (checks the SigV4 signer against shared/api/sigv4.md),
               ceiling-server --port N (the bare Kestrel endpoint, started by load),
               strongroom-host --data-dir DIR --port N --audit durable|not-awaited|off [--postgres CONN] (started by audit
                 and bench/presigned.py),
               audit-append [--duration S --warmup S --connections N] (the audit writer alone, in process)
        """;

    public string Command { get; private set; } = string.Empty;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<int> Connections { get; private set; } = [1, 32, 128];

    public string OutputDirectory { get; private set; } = string.Empty;

    public string Name { get; private set; } = string.Empty;

    public string StrongroomDll { get; private set; } = string.Empty;

    public long MaxSecrets { get; private set; } = 1_000_000;

    public int ScaleConnections { get; private set; } = 32;

    public int LoaderConnections { get; private set; } = 16;

    public bool Moto { get; private set; } = true;

    public string MicroJob { get; private set; } = "short";

    public string? MicroFilter { get; private set; }

    public bool Keep { get; private set; }

    public string? Only { get; private set; }

    public int Port { get; private set; }

    public string? DataDir { get; private set; }

    public string Audit { get; private set; } = "durable";

    /// <summary>strongroom-host: a PostgreSQL connection string (the node stores on PostgreSQL instead of SQLite).</summary>
    public string? Postgres { get; private set; }

    public string RepoRoot { get; private set; } = string.Empty;

    public string CommandLine { get; private set; } = string.Empty;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions { CommandLine = string.Join(' ', args) };
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("missing subcommand");
        }

        options.Command = args[0];
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--duration": options.Duration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--warmup": options.Warmup = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--connections": options.Connections = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture))]; break;
                case "--out": options.OutputDirectory = Path.GetFullPath(Value()); break;
                case "--name": options.Name = Value(); break;
                case "--strongroom": options.StrongroomDll = Path.GetFullPath(Value()); break;
                case "--max-secrets": options.MaxSecrets = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--scale-connections": options.ScaleConnections = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--loader-connections": options.LoaderConnections = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--no-moto": options.Moto = false; break;
                case "--micro-job": options.MicroJob = Value(); break;
                case "--micro-filter": options.MicroFilter = Value(); break;
                case "--keep": options.Keep = true; break;
                case "--only": options.Only = Value(); break;
                case "--port": options.Port = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--data-dir": options.DataDir = Path.GetFullPath(Value()); break;
                case "--audit": options.Audit = Value(); break;
                case "--postgres": options.Postgres = Value(); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }

        if (options.Connections.Count == 0 || options.Connections.Any(c => c < 1))
        {
            throw new ArgumentException("--connections must list positive numbers");
        }

        if (options.MicroJob is not ("short" or "default"))
        {
            throw new ArgumentException("--micro-job must be short or default");
        }

        options.RepoRoot = FindRepoRoot();
        if (options.OutputDirectory.Length == 0)
        {
            options.OutputDirectory = Path.Combine(options.RepoRoot, "bench", "results");
        }

        if (options.Name.Length == 0)
        {
            options.Name = $"{DateTime.Now:yyyy-MM-dd}-{Environment.MachineName}";
        }

        if (options.StrongroomDll.Length == 0)
        {
            options.StrongroomDll = Path.Combine(options.RepoRoot, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll");
        }

        return options;
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Strongroom.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
