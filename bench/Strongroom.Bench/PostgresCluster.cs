using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Strongroom.Bench;

/// <summary>
/// A throw-away PostgreSQL cluster in a temp directory on a free loopback port, for the nodes section. A small
/// copy of tests/Strongroom.Storage.Tests/PostgresServer.cs (the bench does not reference test projects), using
/// the server's own tools instead of Npgsql for setup: initdb sets the superuser's SCRAM password (TCP
/// connections need it, as a real deployment's would; the unix socket is trusted) and createdb makes the
/// database. Unlike the tests' cluster it keeps fsync on, so commits are as durable as a deployment's. As root
/// the server runs as the postgres OS user (PostgreSQL refuses root) through runuser.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private const string PreferredBin = "/usr/lib/postgresql/15/bin";
    private static readonly bool IsRoot = Environment.UserName == "root";
    private readonly string _bin;
    private readonly string _dir;
    private readonly string _password = "B" + RandomNumberGenerator.GetHexString(32);

    private readonly bool _keep;

    private PostgresCluster(string bin, string dir, int port, bool keep)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
        _keep = keep;
    }

    public int Port { get; }

    /// <summary>The PostgreSQL major version directory the binaries came from (e.g. "15").</summary>
    public string Version => Path.GetFileName(Path.GetDirectoryName(_bin)) ?? "?";

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>
    /// Initialises and starts a cluster in a new temp directory of its own (the postgres OS user cannot enter the
    /// suite's root-owned work directory) and creates the database <c>strongroom</c>. With <paramref name="keep"/>
    /// the directory (and server.log) stays after <see cref="DisposeAsync"/>.
    /// </summary>
    public static async Task<PostgresCluster> StartAsync(bool keep)
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            $"PostgreSQL server binaries not found (looked for {PreferredBin}/postgres, any /usr/lib/postgresql/<version>/bin, or STRONGROOM_PG_BIN): install Debian's postgresql-15 package");
        var dir = Directory.CreateTempSubdirectory("strongroom-bench-pg-").FullName;
        var cluster = new PostgresCluster(bin, dir, ServerProcess.FreePort(), keep);
        try
        {
            var pwfile = Path.Combine(dir, "pwfile");
            await File.WriteAllTextAsync(pwfile, cluster._password + "\n");
            if (IsRoot)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", dir]);
            }

            await cluster.PgAsync("initdb", "-D", cluster.DataDir, "-U", "postgres", "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8");
            File.Delete(pwfile);
            // max_connections: three nodes with Strongroom's default pool of 20 each, plus room for setup.
            await cluster.PgAsync("pg_ctl", "-D", cluster.DataDir, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60",
                "-o", $"-p {cluster.Port.ToString(CultureInfo.InvariantCulture)} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=120 -c track_wal_io_timing=on", "start");
            await cluster.PgAsync("createdb", "-h", dir, "-p", cluster.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "strongroom");
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>A password (SCRAM) connection string over TCP to the <c>strongroom</c> database, with Strongroom's default pool.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Password={_password};Database=strongroom";

    /// <summary>
    /// pg_stat_wal's wal_sync (WAL flushes to disk: each commit that finds its WAL not yet flushed, plus the WAL
    /// writer's) and wal_sync_time in ms (track_wal_io_timing is on), read over the trusted unix socket.
    /// </summary>
    public async Task<(long Syncs, double SyncMs)> WalSyncsAsync()
    {
        var text = await PgAsync("psql", "-h", _dir, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "strongroom", "-AtX", "-c", "SELECT wal_sync, wal_sync_time FROM pg_stat_wal");
        var fields = text.Trim().Split('|');
        return (long.Parse(fields[0], CultureInfo.InvariantCulture), double.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The postmaster and every process it started (backends, checkpointer, WAL writer…), from /proc.</summary>
    public IReadOnlyList<int> Pids()
    {
        int postmaster;
        try
        {
            postmaster = int.Parse(File.ReadLines(Path.Combine(DataDir, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException)
        {
            return [];
        }

        var pids = new List<int> { postmaster };
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                // Fields after "(comm)": state [0], ppid [1].
                var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                if (ppid == postmaster.ToString(CultureInfo.InvariantCulture))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile.
            }
        }

        return pids;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                await PgAsync("pg_ctl", "-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop");
            }
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"stopping PostgreSQL: {e.Message}");
        }

        if (_keep)
        {
            Console.Error.WriteLine($"PostgreSQL's directory is kept: {_dir}");
        }
        else
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static string? FindBin()
    {
        var env = Environment.GetEnvironmentVariable("STRONGROOM_PG_BIN");
        if (env is not null)
        {
            return File.Exists(Path.Combine(env, "postgres")) ? env : null;
        }

        if (File.Exists(Path.Combine(PreferredBin, "postgres")))
        {
            return PreferredBin;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
    }

    private Task<string> PgAsync(string tool, params string[] args)
    {
        var exe = Path.Combine(_bin, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : RunAsync(exe, args);
    }

    /// <summary>Runs a command to completion and returns its standard output; throws with its output when it fails.</summary>
    private static async Task<string> RunAsync(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} timed out");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} exited {process.ExitCode}: {await stdout}{await stderr}");
        }

        return await stdout;
    }
}
