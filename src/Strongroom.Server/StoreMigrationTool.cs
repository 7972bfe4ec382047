using System.Buffers.Binary;
using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Strongroom.Core.Audit;
using Strongroom.Storage.PostgreSql;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// `strongroom admin migrate-store`: copies a SQLite data directory's store into an empty PostgreSQL database and
/// proves the copy. Rows are copied as stored (ciphertext, wrapped keys and hashes byte for byte, ids and audit
/// sequence numbers kept), so no root key is needed and none is read; the root key is never in either database.
/// </summary>
/// <remarks>
/// The copy is table-generic: tables and columns are read from both schemas, which must match column for column
/// (the parity test keeps the two stores' migrations equal), and values are copied by column name. SQLite is read
/// in one read transaction (one consistent snapshot, WAL lets a running server go on writing); PostgreSQL is written
/// in one transaction under the store's write lock (all or nothing, no node writes meanwhile). The connection string
/// may hold a password: it is never printed. The proof (digests per table, then the audit chain) is in
/// StoreMigrationTool.Verify.cs.
/// </remarks>
public static partial class StoreMigrationTool
{
    /// <summary>Each store's own migration bookkeeping; both are brought to this build's version before copying.</summary>
    private const string SchemaVersionTable = "schema_version";

    /// <summary>One table as both schemas have it: columns by name (ordinal order), primary key, PostgreSQL types.</summary>
    private sealed record Table(string Name, IReadOnlyList<string> Columns, IReadOnlyList<string> Key, IReadOnlyDictionary<string, string> PgTypes);

    /// <summary>Migrates (or, with <paramref name="verifyOnly"/>, only compares) and returns the exit code: 0 only when verified.</summary>
    /// <param name="dataDir">The SQLite data directory (its strongroom.db).</param>
    /// <param name="connectionString">The target database's Npgsql connection string. Never printed.</param>
    /// <param name="verifyOnly">Copy nothing; compare the data directory with the database as they are now.</param>
    /// <param name="output">Progress, the summary table and the next steps.</param>
    /// <param name="error">Problems, as "strongroom: …".</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<int> MigrateAsync(string dataDir, string connectionString, bool verifyOnly, TextWriter output, TextWriter error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var full = Path.GetFullPath(dataDir);
        var database = Path.Combine(full, "strongroom.db");
        if (!File.Exists(database))
        {
            await error.WriteLineAsync($"strongroom: '{full}' is not an initialised Strongroom data directory (no strongroom.db)");
            return 1;
        }

        NpgsqlConnectionStringBuilder target;
        try
        {
            target = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
            if (!new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey("Application Name"))
            {
                target.ApplicationName = "strongroom-migrate";
            }
        }
        catch (ArgumentException)
        {
            // Npgsql's message may quote the string; it may hold a password.
            await error.WriteLineAsync("strongroom: --postgres: not a valid PostgreSQL connection string (not shown: it may hold a password)");
            return 2;
        }

        var where = PostgresStore.Describe(connectionString);
        try
        {
            // Both schemas to this build's version: the source as the server would on start, the target created if new.
            await using (var sqlite = new SqliteStore(database))
            {
                await sqlite.InitializeAsync(ct);
            }

            await using (var pg = new PostgresStore(target.ConnectionString))
            {
                await pg.InitializeAsync(ct);
            }

            await using var source = OpenSource(database);
            await using var destination = new NpgsqlConnection(target.ConnectionString);
            await destination.OpenAsync(ct);
            var tables = await ReadTablesAsync(source, destination, ct);

            if (!verifyOnly)
            {
                await output.WriteLineAsync($"Copying {database} into PostgreSQL {where} ...");
                if (await CopyAsync(source, destination, tables, output, error, ct) is { } refused)
                {
                    return refused;
                }
            }

            await output.WriteLineAsync($"Verifying {database} against PostgreSQL {where}:");
            var ok = await VerifyAsync(source, destination, tables, output, ct);
            ok &= await VerifyAuditAsync(target.ConnectionString, full, output, ct);
            if (!ok)
            {
                await output.WriteLineAsync("NOT verified: the database differs from the data directory" + (verifyOnly ? "." : " (was the server still writing to the data directory? stop it, drop and re-create the target database, and migrate again)."));
                return 1;
            }

            await output.WriteLineAsync("verified");
            if (!verifyOnly)
            {
                await NextStepsAsync(full, output);
            }

            return 0;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or Core.Storage.StoreUnavailableException)
        {
            // Npgsql's messages name host, port, user and database, never the password.
            await error.WriteLineAsync($"strongroom: --postgres: cannot use the PostgreSQL database {where}: {e.Message}");
            return 1;
        }
    }

    /// <summary>The data directory's store read-only, its audit file attached, every table by its plain name.</summary>
    private static SqliteConnection OpenSource(string database) => SqliteStore.OpenReadOnly(database);

    /// <summary>Both schemas' tables, in an order that inserts referenced rows first; refuses schemas that differ.</summary>
    private static async Task<IReadOnlyList<Table>> ReadTablesAsync(SqliteConnection source, NpgsqlConnection destination, CancellationToken ct)
    {
        var sqliteColumns = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        using (var cmd = source.CreateCommand())
        {
            cmd.CommandText = "SELECT m.name, c.name FROM (SELECT name FROM main.sqlite_master WHERE type = 'table' UNION SELECT name FROM audit.sqlite_master WHERE type = 'table') m " +
                "JOIN pragma_table_info(m.name) c WHERE m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                Add(sqliteColumns, reader.GetString(0), reader.GetString(1));
            }
        }

        var pgColumns = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var pgTypes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position", destination))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var table = reader.GetString(0);
                Add(pgColumns, table, reader.GetString(1));
                (pgTypes.TryGetValue(table, out var types) ? types : pgTypes[table] = new Dictionary<string, string>(StringComparer.Ordinal))[reader.GetString(1)] = reader.GetString(2);
            }
        }

        foreach (var name in sqliteColumns.Keys.Union(pgColumns.Keys).Where(n => n != SchemaVersionTable))
        {
            var left = sqliteColumns.GetValueOrDefault(name) ?? [];
            var right = pgColumns.GetValueOrDefault(name) ?? [];
            if (!left.Order(StringComparer.Ordinal).SequenceEqual(right.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                throw new InvalidOperationException($"table '{name}' differs between the data directory ({string.Join(", ", left)}) and the database ({string.Join(", ", right)}); both are at this build's schema, so the database is not (only) a Strongroom store");
            }
        }

        var keys = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(
            "SELECT c.relname, a.attname FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, position) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum " +
            "WHERE n.nspname = 'public' AND x.indisprimary ORDER BY c.relname, k.position", destination))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                Add(keys, reader.GetString(0), reader.GetString(1));
            }
        }

        var references = new List<(string From, string To)>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT f.relname, t.relname FROM pg_constraint x JOIN pg_class f ON f.oid = x.conrelid JOIN pg_class t ON t.oid = x.confrelid " +
            "JOIN pg_namespace n ON n.oid = f.relnamespace WHERE n.nspname = 'public' AND x.contype = 'f'", destination))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                references.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // Referenced tables first (Kahn's algorithm; names in ordinal order for a stable listing).
        var pending = new SortedSet<string>(pgColumns.Keys.Where(n => n != SchemaVersionTable), StringComparer.Ordinal);
        var ordered = new List<Table>();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(t => !references.Any(r => r.From == t && r.To != t && pending.Contains(r.To)))
                ?? throw new InvalidOperationException("the database's foreign keys form a cycle; cannot order the copy");
            pending.Remove(next);
            var key = keys.GetValueOrDefault(next) ?? throw new InvalidOperationException($"table '{next}' has no primary key in the database");
            ordered.Add(new Table(next, pgColumns[next], key, pgTypes[next]));
        }

        return ordered;

        static void Add(Dictionary<string, List<string>> map, string table, string column) =>
            (map.TryGetValue(table, out var list) ? list : map[table] = []).Add(column);
    }

    /// <summary>Copies every table inside one PostgreSQL transaction; returns an exit code when it refuses, else null.</summary>
    private static async Task<int?> CopyAsync(SqliteConnection source, NpgsqlConnection destination, IReadOnlyList<Table> tables, TextWriter output, TextWriter error, CancellationToken ct)
    {
        await using var tx = await destination.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", destination, tx) { Parameters = { new() { Value = PostgresStore.WriteLockKey } } })
        {
            // A node already started on this database waits for the copy, as it would for another node's write.
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        var occupied = new List<string>();
        foreach (var table in tables)
        {
            var count = await CountAsync(destination, tx, table, ct);
            if (count > 0)
            {
                occupied.Add($"{table.Name} ({count} rows)");
            }
        }

        if (occupied.Count > 0)
        {
            await error.WriteLineAsync($"strongroom: the PostgreSQL database already holds a Strongroom store ({string.Join(", ", occupied)}); migrate only into a new, empty database. Nothing was changed.");
            return 1;
        }

        // One read transaction: every table comes from the same snapshot of the data directory.
        using var snapshot = source.BeginTransaction(deferred: true);
        foreach (var table in tables)
        {
            var rows = await CopyTableAsync(source, snapshot, destination, table, ct);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  copied {table.Name}: {rows} rows"));
        }

        // Identity columns (secrets.id, rotation_runs.run_id) go on after the highest copied id.
        foreach (var table in tables)
        {
            foreach (var column in await IdentityColumnsAsync(destination, tx, table, ct))
            {
                var sql = $"SELECT setval(pg_get_serial_sequence('{table.Name}', '{column}'), COALESCE(MAX({Quote(column)}), 0) + 1, false) FROM {Quote(table.Name)}";
                await using var cmd = new NpgsqlCommand(sql, destination, tx);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }

        snapshot.Commit();
        await tx.CommitAsync(ct);
        await output.WriteLineAsync("Committed: the copy is in the database as one transaction.");
        return null;
    }

    private static async Task<long> CopyTableAsync(SqliteConnection source, SqliteTransaction snapshot, NpgsqlConnection destination, Table table, CancellationToken ct)
    {
        var columns = string.Join(", ", table.Columns.Select(Quote));
        var types = table.Columns.Select(c => PgType(table, c)).ToArray();
        using var read = source.CreateCommand();
        read.Transaction = snapshot;
        read.CommandText = $"SELECT {columns} FROM {Quote(table.Name)} ORDER BY {string.Join(", ", table.Key.Select(Quote))}";
        using var reader = read.ExecuteReader();

        // Binary COPY: values travel as bytes (bytea as is), no text escaping.
        await using var writer = await destination.BeginBinaryImportAsync($"COPY {Quote(table.Name)} ({columns}) FROM STDIN (FORMAT BINARY)", ct);
        long rows = 0;
        while (reader.Read())
        {
            await writer.StartRowAsync(ct);
            for (var i = 0; i < types.Length; i++)
            {
                var value = reader.GetValue(i);
                if (value is DBNull)
                {
                    await writer.WriteNullAsync(ct);
                    continue;
                }

                switch (types[i], value)
                {
                    case (NpgsqlDbType.Bigint, long n):
                        await writer.WriteAsync(n, NpgsqlDbType.Bigint, ct);
                        break;
                    case (NpgsqlDbType.Boolean, long n) when n is 0 or 1:
                        await writer.WriteAsync(n == 1, NpgsqlDbType.Boolean, ct);
                        break;
                    case (NpgsqlDbType.Text, string s):
                        await writer.WriteAsync(s, NpgsqlDbType.Text, ct);
                        break;
                    case (NpgsqlDbType.Bytea, byte[] b):
                        await writer.WriteAsync(b, NpgsqlDbType.Bytea, ct);
                        break;
                    default:
                        throw new InvalidOperationException($"{table.Name}.{table.Columns[i]}: a stored {value.GetType().Name} does not fit the database's {types[i]} column; nothing was copied");
                }
            }

            rows++;
        }

        await writer.CompleteAsync(ct);
        return rows;
    }

    private static NpgsqlDbType PgType(Table table, string column) => table.PgTypes[column] switch
    {
        "bigint" => NpgsqlDbType.Bigint,
        "boolean" => NpgsqlDbType.Boolean,
        "text" => NpgsqlDbType.Text,
        "bytea" => NpgsqlDbType.Bytea,
        var other => throw new InvalidOperationException($"{table.Name}.{column}: the database's type '{other}' has no mapping from SQLite; this build cannot migrate it"),
    };

    private static async Task<long> CountAsync(NpgsqlConnection destination, NpgsqlTransaction? tx, Table table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT COUNT(*) FROM {Quote(table.Name)}", destination, tx);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<string>> IdentityColumnsAsync(NpgsqlConnection destination, NpgsqlTransaction tx, Table table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_identity = 'YES'", destination, tx)
        {
            Parameters = { new() { Value = table.Name } },
        };
        var columns = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static async Task NextStepsAsync(string dataDir, TextWriter output)
    {
        string key;
        if (File.Exists(Path.Combine(dataDir, "root.key")))
        {
            key = $"the root key file {Path.Combine(dataDir, "root.key")} (provider file): copy it into each node's data directory";
        }
        else if (File.Exists(Path.Combine(dataDir, "root.key.kdf")))
        {
            key = $"the passphrase and {Path.Combine(dataDir, "root.key.kdf")} (provider passphrase): copy the file into each node's data directory and give each node the passphrase";
        }
        else
        {
            key = "the root key from the environment (provider env): give each node the same variable";
        }

        await output.WriteLineAsync("The root key was not copied (it is never in the database). Next:");
        await output.WriteLineAsync("  1. Keep the SQLite server stopped: writes to the data directory no longer reach the cluster.");
        await output.WriteLineAsync($"  2. Run each node with --storage postgres and STRONGROOM_POSTGRES (or --postgres) set to this database, and {key}.");
        await output.WriteLineAsync($"  3. The admin's access key is in the database; its secret stays in {Path.Combine(dataDir, "admin.credentials")}.");
        if (Directory.Exists(Path.Combine(dataDir, "audit-archive")))
        {
            await output.WriteLineAsync($"  4. Archived audit records stay in {Path.Combine(dataDir, "audit-archive")}: pass it as --audit-archive-dir to the nodes and to `strongroom audit verify`.");
        }
    }

    /// <summary>Quotes an identifier read from a schema catalog. Only the store's own lower-case names are accepted.</summary>
    private static string Quote(string identifier) =>
        identifier.Length > 0 && identifier.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')
            ? "\"" + identifier + "\""
            : throw new InvalidOperationException($"unexpected table or column name '{identifier}'");
}
