using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MySqlConnector;
using Npgsql;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>
/// A throw-away PostgreSQL (15 preferred) in a temp directory on a free loopback port: local socket connections
/// trusted, TCP ones need a SCRAM password. The superuser postgres is the "master". As root, the server runs as
/// the postgres OS user (PostgreSQL refuses root) through runuser.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string bin;
    private readonly string dir;

    public PostgresServer()
    {
        bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/<version>/bin/postgres, or STRONGROOM_PG_BIN): install Debian's postgresql-15 package");
        if (Proc.IsRoot && !File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("running as root, but there is no postgres OS user to run PostgreSQL as (PostgreSQL refuses root): install Debian's postgresql-15 package, which creates it");
        }

        dir = Directory.CreateTempSubdirectory("strongroom-pg-").FullName;
        if (Proc.IsRoot)
        {
            Proc.Run("chown", ["postgres:postgres", dir]);
        }

        Port = Proc.FreePort();
        MasterPassword = Proc.RandomPassword();
        try
        {
            Pg("initdb", "-D", DataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync");
            Start();
            using var conn = new NpgsqlConnection(SocketConnectionString("postgres"));
            conn.Open();
            using var cmd = new NpgsqlCommand($"ALTER ROLE postgres PASSWORD '{MasterPassword}'", conn);
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

    public string MasterPassword { get; }

    private string DataDir => Path.Combine(dir, "data");

    public void Start() =>
        Pg("pg_ctl", "-D", DataDir, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", "start");

    public void Stop() => Pg("pg_ctl", "-D", DataDir, "-m", "fast", "-w", "stop");

    /// <summary>A trusted superuser connection over the unix socket (test setup and checks).</summary>
    public string SocketConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = dir, Port = Port, Username = "postgres", Database = database, Pooling = false }.ConnectionString;

    /// <summary>A password login over TCP, as the rotators do.</summary>
    public string TcpConnectionString(string user, string password, string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = user, Password = password, Database = database, Pooling = false, Timeout = 5 }.ConnectionString;

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                Stop();
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(dir, recursive: true);
    }

    private static string? FindBin()
    {
        string? env = Environment.GetEnvironmentVariable("STRONGROOM_PG_BIN");
        if (env is not null)
        {
            return File.Exists(Path.Combine(env, "postgres")) ? env : null;
        }

        string preferred = "/usr/lib/postgresql/15/bin";
        if (File.Exists(Path.Combine(preferred, "postgres")))
        {
            return preferred;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
    }

    private void Pg(string tool, params string[] args)
    {
        string exe = Path.Combine(bin, tool);
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

/// <summary>
/// A throw-away MariaDB (or MySQL-compatible mariadbd) in a temp directory on a free loopback port, with a
/// "master" account master@'%' holding ALL WITH GRANT OPTION. Setup goes over the unix socket as root.
/// </summary>
public sealed class MariaDbServer : IDisposable
{
    private readonly string dir;
    private Process? server;

    public MariaDbServer()
    {
        if (!File.Exists("/usr/sbin/mariadbd") || !File.Exists("/usr/bin/mariadb-install-db"))
        {
            throw new InvalidOperationException("MariaDB not found (/usr/sbin/mariadbd, /usr/bin/mariadb-install-db): install Debian's mariadb-server package");
        }

        dir = Directory.CreateTempSubdirectory("strongroom-maria-").FullName;
        Port = Proc.FreePort();
        MasterPassword = Proc.RandomPassword();
        try
        {
            Proc.Run("/usr/bin/mariadb-install-db",
                ["--no-defaults", $"--datadir={DataDir}", $"--user={Environment.UserName}", "--auth-root-authentication-method=normal", "--skip-test-db"]);
            Start();
            using var conn = new MySqlConnection(RootConnectionString);
            conn.Open();
            foreach (string sql in new[]
            {
                "DELETE FROM mysql.global_priv WHERE User = ''",
                "FLUSH PRIVILEGES",
                $"CREATE USER master@'%' IDENTIFIED BY '{MasterPassword}'",
                "GRANT ALL ON *.* TO master@'%' WITH GRANT OPTION",
            })
            {
                using var cmd = new MySqlCommand(sql, conn);
                cmd.ExecuteNonQuery();
            }
        }
        catch
        {
            // xunit does not dispose a fixture whose constructor throws: leave no server or directory behind.
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    public string MasterPassword { get; }

    public string RootConnectionString =>
        new MySqlConnectionStringBuilder { Server = Path.Combine(dir, "sock"), ConnectionProtocol = MySqlConnectionProtocol.Unix, UserID = "root", Pooling = false, AllowUserVariables = true }.ConnectionString;

    private string DataDir => Path.Combine(dir, "data");

    public string TcpConnectionString(string user, string password, string? database = null)
    {
        var csb = new MySqlConnectionStringBuilder { Server = "127.0.0.1", Port = (uint)Port, UserID = user, Password = password, Pooling = false, ConnectionTimeout = 5 };
        if (database is not null)
        {
            csb.Database = database;
        }

        return csb.ConnectionString;
    }

    public void Start()
    {
        var psi = new ProcessStartInfo("/usr/sbin/mariadbd") { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (string a in new[]
        {
            "--no-defaults", $"--datadir={DataDir}", $"--port={Port}", "--bind-address=127.0.0.1", $"--socket={Path.Combine(dir, "sock")}",
            $"--user={Environment.UserName}", "--skip-name-resolve", $"--pid-file={Path.Combine(dir, "mariadbd.pid")}",
            $"--log-error={Path.Combine(dir, "error.log")}", "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0",
        })
        {
            psi.ArgumentList.Add(a);
        }

        server = Process.Start(psi) ?? throw new InvalidOperationException("could not start mariadbd");
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var conn = new MySqlConnection(RootConnectionString);
                conn.Open();
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                Thread.Sleep(200);
            }
            catch (MySqlException e)
            {
                string log = File.Exists(Path.Combine(dir, "error.log")) ? File.ReadAllText(Path.Combine(dir, "error.log")) : "(no error log)";
                throw new InvalidOperationException($"mariadbd did not start: {e.Message}\n{log}", e);
            }
        }
    }

    /// <summary>Stops the server this fixture started (SIGTERM to its own PID, then wait).</summary>
    public void Stop()
    {
        if (server is null || server.HasExited)
        {
            return;
        }

        Proc.Run("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!server.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            server.Kill();
            server.WaitForExit();
        }

        server.Dispose();
        server = null;
    }

    public void Dispose()
    {
        Stop();
        Directory.Delete(dir, recursive: true);
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;

[CollectionDefinition("mariadb")]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServer>;
