using Microsoft.Data.Sqlite;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The audit trail's own SQLite file beside the store's (<c>strongroom-audit.db</c> next to <c>strongroom.db</c>),
/// attached to every connection of the store as schema <c>audit</c>, so SQL names its tables unqualified as before.
/// Every API call appends to the trail; in the main file each such commit would make every reader connection drop
/// its page cache (SQLite's cache is valid only while the file is unchanged), so secrets would be read from the
/// operating system page by page on every call. In their own file the audit commits leave the secrets' pages
/// cached. The trail's settings (keys starting <c>audit_</c>) live in the audit file too, so that no transaction
/// needs to change both files together (SQLite commits attached WAL files one after the other, not atomically).
/// </summary>
internal static class AuditFile
{
    public const string Schema = "audit";

    private const string EventColumns = "seq, event_id, event_time_ms, event_name, event_source, username, access_key_id, read_only, resource_name, resource_type, record, hash";
    private const string DigestColumns = "to_seq, from_seq, last_hash, created_ms, previous_digest_hash, signature";
    private const string ResourceColumns = "bucket, resource_name, seq";

    /// <summary>The audit file of the store at <paramref name="databasePath"/>.</summary>
    public static string PathFor(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + "-audit.db");
    }

    /// <summary>Settings of the trail (where the archive ends, how far the resource index reaches) are kept with it.</summary>
    public static bool IsAuditSetting(string key) => key.StartsWith("audit_", StringComparison.Ordinal);

    /// <summary>The trail's tables in <paramref name="schema"/> (the same shape the main file had up to schema version 8).</summary>
    public static string Ddl(string schema) => $"""
        CREATE TABLE IF NOT EXISTS {schema}.audit_events (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            event_time_ms INTEGER NOT NULL,
            event_name TEXT NOT NULL,
            event_source TEXT NOT NULL,
            username TEXT,
            access_key_id TEXT,
            read_only INTEGER NOT NULL,
            resource_name TEXT,
            resource_type TEXT,
            record TEXT NOT NULL,
            hash BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS {schema}.audit_time ON audit_events (event_time_ms);
        CREATE INDEX IF NOT EXISTS {schema}.audit_name ON audit_events (event_name, seq);
        CREATE INDEX IF NOT EXISTS {schema}.audit_user ON audit_events (username, seq);
        CREATE INDEX IF NOT EXISTS {schema}.audit_event_id ON audit_events (event_id);
        CREATE TABLE IF NOT EXISTS {schema}.audit_digests (
            to_seq INTEGER PRIMARY KEY,
            from_seq INTEGER NOT NULL,
            last_hash BLOB NOT NULL,
            created_ms INTEGER NOT NULL,
            previous_digest_hash BLOB NOT NULL,
            signature BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS {schema}.audit_resources (
            bucket INTEGER NOT NULL,
            resource_name TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (bucket, resource_name, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {schema}.settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """;

    /// <summary>Attaches the audit file of <paramref name="databasePath"/> to <paramref name="connection"/> as <see cref="Schema"/>.</summary>
    public static void Attach(SqliteConnection connection, string databasePath, string schema = Schema)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"ATTACH DATABASE $path AS {schema}";
        cmd.Parameters.AddWithValue("$path", PathFor(databasePath));
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Moves the trail out of the main file when it is there (a store written before the split, a fresh store whose
    /// migrations created it there, a restored backup): first copied into the audit file, replacing whatever that
    /// holds, and committed; then dropped from the main file. A crash in between leaves it in both, and the next
    /// start copies it again — the main file's copy is the truth until it is dropped.
    /// </summary>
    public static void MoveOutOfMain(SqliteConnection writer)
    {
        using (var check = writer.CreateCommand())
        {
            check.CommandText = "SELECT COUNT(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'audit_events'";
            if ((long)(check.ExecuteScalar() ?? 0L) == 0)
            {
                return;
            }
        }

        Run(writer, $"""
            DELETE FROM audit.audit_events;
            DELETE FROM audit.audit_digests;
            DELETE FROM audit.audit_resources;
            DELETE FROM audit.settings;
            INSERT INTO audit.audit_events ({EventColumns}) SELECT {EventColumns} FROM main.audit_events;
            INSERT INTO audit.audit_digests ({DigestColumns}) SELECT {DigestColumns} FROM main.audit_digests;
            INSERT INTO audit.audit_resources ({ResourceColumns}) SELECT {ResourceColumns} FROM main.audit_resources;
            INSERT INTO audit.settings (key, value) SELECT key, value FROM main.settings WHERE substr(key, 1, 6) = 'audit_';
            """);
        Run(writer, """
            DROP TABLE main.audit_events;
            DROP TABLE main.audit_digests;
            DROP TABLE main.audit_resources;
            DELETE FROM main.settings WHERE substr(key, 1, 6) = 'audit_';
            """);
    }

    /// <summary>
    /// Adds the trail, read in one snapshot from the live audit file, to the main schema of the backup copy at
    /// <paramref name="backupPath"/>, so a backup stays one self-contained file; the restored store moves it out again.
    /// </summary>
    public static void CopyIntoBackup(string databasePath, string backupPath)
    {
        using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = backupPath, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString());
        copy.Open();
        Attach(copy, databasePath, "live");
        Run(copy, Ddl("main") + $"""

            INSERT INTO main.audit_events ({EventColumns}) SELECT {EventColumns} FROM live.audit_events;
            INSERT INTO main.audit_digests ({DigestColumns}) SELECT {DigestColumns} FROM live.audit_digests;
            INSERT INTO main.audit_resources ({ResourceColumns}) SELECT {ResourceColumns} FROM live.audit_resources;
            INSERT INTO main.settings (key, value) SELECT key, value FROM live.settings WHERE true
                ON CONFLICT (key) DO UPDATE SET value = excluded.value;
            """, deferred: true);
        using var detach = copy.CreateCommand();
        detach.CommandText = "DETACH DATABASE live";
        detach.ExecuteNonQuery();
    }

    /// <param name="deferred">Take locks as the statements need them (a copy must not lock the live trail for writing).</param>
    private static void Run(SqliteConnection connection, string sql, bool deferred = false)
    {
        using var tx = connection.BeginTransaction(deferred);
        using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }
}
