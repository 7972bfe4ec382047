using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.Storage.PostgreSql;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// `strongroom doctor`: checks a data directory (and its PostgreSQL database) without changing anything: file
/// permissions, disk space, clock, store integrity and schema version, the audit chain's head. Each finding says what
/// to fix. The store is opened read-only and never migrated; the root key is never read, only its file's mode.
/// </summary>
public static class DoctorTool
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Below this, writes may fail soon: a problem.</summary>
    private const long DiskFailBytes = 64L * 1024 * 1024;

    /// <summary>Below this, a warning.</summary>
    private const long DiskWarnBytes = 1024L * 1024 * 1024;

    /// <summary>SigV4 refuses requests more than 5 minutes off; leases and digests assume clocks agree closely.</summary>
    private static readonly TimeSpan SkewFail = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan SkewWarn = TimeSpan.FromSeconds(30);

    /// <summary>Runs every check and prints one line each; returns 0 when there is no problem (warnings allowed), else 1.</summary>
    public static async Task<int> RunAsync(string dataDir, string? postgres, TimeProvider time, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(output);
        var report = new DoctorReport(output);
        var full = Path.GetFullPath(dataDir);
        await output.WriteLineAsync($"strongroom doctor: {full} ({(postgres is null ? "SQLite store" : "PostgreSQL store")})");
        if (!Directory.Exists(full))
        {
            await report.FailAsync("data directory", $"{full} does not exist", $"start 'strongroom server --data-dir {dataDir}' once to initialise it, or give the right --data-dir");
            return await report.FinishAsync();
        }

        await CheckPermissionsAsync(full, postgres is null, report);
        await CheckDiskAsync(full, report);
        if (postgres is null)
        {
            await CheckSqliteAsync(full, time, report, ct);
        }
        else
        {
            await CheckPostgresAsync(postgres, time, report, ct);
        }

        return await report.FinishAsync();
    }

    private static async Task CheckPermissionsAsync(string dir, bool sqlite, DoctorReport report)
    {
        if (OperatingSystem.IsWindows())
        {
            await report.WarnAsync("permissions", "not checked on Windows", "keep the data directory readable by the service account only");
            return;
        }

        var mode = File.GetUnixFileMode(dir);
        var dirClosed = (mode & GroupOrOther) == 0;
        if (!dirClosed)
        {
            await report.FailAsync("data directory", $"{dir} has mode {Octal(mode)}: other users can list or enter it", $"chmod 700 {dir}");
        }
        else
        {
            await report.OkAsync("data directory", $"{dir}, mode {Octal(mode)}");
        }

        var rootKey = Path.Combine(dir, "root.key");
        var kdf = Path.Combine(dir, "root.key.kdf");
        if (!File.Exists(rootKey) && !File.Exists(kdf))
        {
            await report.WarnAsync("root key", "no root.key or root.key.kdf here", "fine with --root-key-provider env; with the file provider the server cannot start: restore root.key from your key backup");
        }

        foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var fileMode = File.GetUnixFileMode(file);
            var sensitive = name is "root.key" or "root.key.kdf" or "root.key.next" or "root.key.kdf.next" or "admin.credentials";
            // The key files must be private themselves (the server writes them 0600); the store's files are made
            // under the umask and are private as long as the directory is.
            if ((fileMode & GroupOrOther) != 0 && (sensitive || !dirClosed))
            {
                var what = sensitive ? "other users can read a key" : "other users can read the store";
                await report.FailAsync("file permissions", $"{name} has mode {Octal(fileMode)}: {what}", $"chmod 600 {file}" + (sensitive ? " (and treat the key as exposed: rotate it)" : string.Empty));
            }
            else if (sensitive)
            {
                await report.OkAsync("key file", $"{name}, mode {Octal(fileMode)}");
            }
        }

        if (sqlite && !File.Exists(Path.Combine(dir, "strongroom.db")))
        {
            await report.FailAsync("store", $"no strongroom.db in {dir}", "start the server once to initialise the directory, restore a backup ('strongroom backup restore'), or use --storage postgres for a PostgreSQL node");
        }
    }

    private static async Task CheckDiskAsync(string dir, DoctorReport report)
    {
        long free;
        try
        {
            free = new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            await report.WarnAsync("disk space", $"cannot read the free space: {e.Message}", "check with df");
            return;
        }

        var text = $"{free / (1024 * 1024)} MiB free on the data directory's file system";
        if (free < DiskFailBytes)
        {
            await report.FailAsync("disk space", text, "free space or move the data directory: a write that cannot be made durable is refused (the audit trail fails closed)");
        }
        else if (free < DiskWarnBytes)
        {
            await report.WarnAsync("disk space", text, "free space soon; audit records grow with every call (--audit-retention archives old ones)");
        }
        else
        {
            await report.OkAsync("disk space", text);
        }
    }

    private static async Task CheckSqliteAsync(string dir, TimeProvider time, DoctorReport report, CancellationToken ct)
    {
        var database = Path.Combine(dir, "strongroom.db");
        if (!File.Exists(database))
        {
            return;
        }

        try
        {
            // Only reads, never migrates, and may run beside a running server. Opened read-write (never created) and
            // unpooled so that closing it removes the -wal/-shm files SQLite makes for any reader of a WAL database:
            // a read-only connection would leave them behind.
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString());
            await connection.OpenAsync(ct);
            await CheckIntegrityAsync(connection, "main", "strongroom.db", report, ct);
            var version = await ScalarAsync(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_version", ct);
            await SchemaAsync(version, SqliteStore.SchemaVersion, "data directory", report);
            var audit = Path.Combine(dir, "strongroom-audit.db");
            if (!File.Exists(audit))
            {
                await report.WarnAsync("audit trail", "no strongroom-audit.db yet", "the next start creates it (moving any audit records out of strongroom.db)");
                return;
            }

            await using (var attach = connection.CreateCommand())
            {
                attach.CommandText = "ATTACH DATABASE $path AS audit";
                attach.Parameters.AddWithValue("$path", audit);
                await attach.ExecuteNonQueryAsync(ct);
            }

            await CheckIntegrityAsync(connection, "audit", "strongroom-audit.db", report, ct);
            await AuditHeadAsync(connection, "audit.", time, report, ct);
        }
        catch (SqliteException e)
        {
            await report.FailAsync("store", $"strongroom.db cannot be read: {e.Message}", "stop the server and restore the latest backup ('strongroom backup restore'); keep the damaged files for analysis");
        }
    }

    private static async Task CheckIntegrityAsync(SqliteConnection connection, string schema, string file, DoctorReport report, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {schema}.integrity_check";
        var problems = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                problems.Add(reader.GetString(0));
            }
        }

        if (problems is ["ok"])
        {
            await report.OkAsync("store integrity", $"{file}: PRAGMA integrity_check ok");
        }
        else
        {
            await report.FailAsync("store integrity", $"{file}: {string.Join("; ", problems.Take(5))}", "stop the server and restore the latest backup ('strongroom backup restore'); keep the damaged file for analysis");
        }
    }

    private static async Task CheckPostgresAsync(string connectionString, TimeProvider time, DoctorReport report, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 10 }.ConnectionString);
            await connection.OpenAsync(ct);
            await report.OkAsync("store", $"PostgreSQL {PostgresStore.Describe(connectionString)} reachable (server {connection.PostgreSqlVersion})");
            await using (var now = new NpgsqlCommand("SELECT now()", connection))
            {
                var serverTime = (DateTime)(await now.ExecuteScalarAsync(ct))!;
                await SkewAsync("clock", time.GetUtcNow() - new DateTimeOffset(serverTime.ToUniversalTime(), TimeSpan.Zero), "the PostgreSQL server's clock", report);
            }

            await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL AND to_regclass('audit_events') IS NOT NULL", connection))
            {
                if (!(bool)(await exists.ExecuteScalarAsync(ct))!)
                {
                    await report.FailAsync("schema", "the database holds no Strongroom schema", "start 'strongroom server --storage postgres' once to initialise it, or check the Database in the connection string");
                    return;
                }
            }

            await using (var version = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection))
            {
                await SchemaAsync((long)(await version.ExecuteScalarAsync(ct))!, PostgresStore.SchemaVersion, "database", report);
            }

            await AuditHeadAsync(connection, string.Empty, time, report, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or ArgumentException or InvalidCastException)
        {
            await report.FailAsync("store", $"PostgreSQL is not reachable: {e.Message}", "check that PostgreSQL runs, the host, port, database and credentials in --postgres / STRONGROOM_POSTGRES, and pg_hba.conf");
        }
    }

    private static async Task SchemaAsync(long version, int build, string what, DoctorReport report)
    {
        if (version > build)
        {
            await report.FailAsync("schema", $"the {what}'s schema is version {version}, newer than this build's ({build}): a later Strongroom wrote it", "run that Strongroom release (or a later one); this one refuses to open it and changes nothing");
        }
        else if (version < build)
        {
            await report.WarnAsync("schema", $"the {what}'s schema is version {version}; this build migrates it to {build} at its next start", "take a backup first: strongroom backup create (SQLite) or pg_dump (PostgreSQL)");
        }
        else
        {
            await report.OkAsync("schema", $"version {version} (this build's)");
        }
    }

    /// <summary>The last audit record and signed digest; a head in the future means the clock went back.</summary>
    private static async Task AuditHeadAsync(System.Data.Common.DbConnection connection, string prefix, TimeProvider time, DoctorReport report, CancellationToken ct)
    {
        await using var head = connection.CreateCommand();
        head.CommandText = $"SELECT seq, event_time_ms, hash FROM {prefix}audit_events ORDER BY seq DESC LIMIT 1";
        long seq;
        long timeMs;
        string hash;
        await using (var reader = await head.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                await report.WarnAsync("audit trail", "no audit record yet", "start the server once; it records its start");
                return;
            }

            seq = reader.GetInt64(0);
            timeMs = reader.GetInt64(1);
            hash = Convert.ToHexStringLower((byte[])reader.GetValue(2));
        }

        var digested = await ScalarAsync(connection, $"SELECT COALESCE(MAX(to_seq), 0) FROM {prefix}audit_digests", ct);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(timeMs);
        await report.OkAsync("audit trail", $"head record {seq} at {at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}, hash {hash[..16]}…; signed digests cover records up to {digested} ({seq - digested} unsigned). Full check: strongroom audit verify");
        var ahead = at - time.GetUtcNow();
        if (ahead > SkewWarn)
        {
            await SkewAsync("clock", -ahead, "the audit trail's last record", report);
        }
        else
        {
            await report.OkAsync("clock", "the system clock is not behind the audit trail's last record");
        }
    }

    private static async Task SkewAsync(string check, TimeSpan skew, string against, DoctorReport report)
    {
        var text = $"the system clock is {Math.Abs(skew.TotalSeconds):F0} s {(skew < TimeSpan.Zero ? "behind" : "ahead of")} {against}";
        var size = skew.Duration();
        if (size > SkewFail)
        {
            await report.FailAsync(check, text, "synchronise the clock (systemd-timesyncd, chrony): SigV4 refuses requests more than 5 minutes off, and the audit trail's times go wrong");
        }
        else if (size > SkewWarn)
        {
            await report.WarnAsync(check, text, "synchronise the clock (systemd-timesyncd, chrony)");
        }
        else
        {
            await report.OkAsync(check, text);
        }
    }

    private static async Task<long> ScalarAsync(System.Data.Common.DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
