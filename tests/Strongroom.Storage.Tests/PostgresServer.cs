using Npgsql;

namespace Strongroom.Storage.Tests;

/// <summary>
/// A throw-away PostgreSQL 15 cluster in a temp directory on a free loopback port, started once per collection.
/// Local socket connections are trusted (setup); TCP connections need the superuser's SCRAM password, as a real
/// deployment's would. As root, the server runs as the postgres OS user (PostgreSQL refuses root) through runuser.
/// Missing binaries fail the tests with a clear message; they are never skipped.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string PreferredBin = "/usr/lib/postgresql/15/bin";
    private readonly string _bin;
    private readonly string _dir;

    public PostgresServer()
    {
        _bin = FindBin() ?? throw new InvalidOperationException(
            $"PostgreSQL server binaries not found (looked for {PreferredBin}/postgres, any /usr/lib/postgresql/<version>/bin, or STRONGROOM_PG_BIN): install Debian's postgresql-15 package. The PostgreSQL store tests need a real server and are never skipped.");
        if (Proc.IsRoot && !File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("running as root, but there is no postgres OS user to run PostgreSQL as (PostgreSQL refuses root): install Debian's postgresql-15 package, which creates it");
        }

        _dir = Directory.CreateTempSubdirectory("strongroom-storage-pg-").FullName;
        if (Proc.IsRoot)
        {
            Proc.Run("chown", ["postgres:postgres", _dir]);
        }

        Port = Proc.FreePort();
        Password = Proc.RandomPassword();
        try
        {
            Pg("initdb", "-D", DataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
            Start();
            using var conn = new NpgsqlConnection(SocketConnectionString("postgres"));
            conn.Open();
            using var cmd = new NpgsqlCommand($"ALTER ROLE postgres PASSWORD '{Password}'", conn);
            cmd.ExecuteNonQuery();
        }
        catch
        {
            // xunit does not dispose a fixture whose constructor throws: leave no server or directory behind.
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    /// <summary>Starts the (stopped) server again on the same port, for outage tests.</summary>
    public void Start() =>
        Pg("pg_ctl", "-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=120", "start");

    /// <summary>Stops the server (fast: sessions are ended at once), for outage tests; <see cref="Start"/> brings it back.</summary>
    public void Stop() => Pg("pg_ctl", "-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop");

    private string Password { get; }

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>Creates an empty database and returns a password (SCRAM) connection string over TCP to it.</summary>
    public string CreateDatabase()
    {
        var name = "sr_" + Guid.NewGuid().ToString("N");
        using (var conn = new NpgsqlConnection(SocketConnectionString("postgres")))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            cmd.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = "postgres", Password = Password, Database = name, MaxPoolSize = 10,
        }.ConnectionString;
    }

    /// <summary>A trusted superuser connection over the unix socket, for test setup and checks.</summary>
    public string SocketConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = _dir, Port = Port, Username = "postgres", Database = database, Pooling = false }.ConnectionString;

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                Pg("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
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

    private void Pg(string tool, params string[] args)
    {
        var exe = Path.Combine(_bin, tool);
        if (Proc.IsRoot)
        {
            Proc.Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        }
        else
        {
            Proc.Run(exe, args);
        }
    }
}
