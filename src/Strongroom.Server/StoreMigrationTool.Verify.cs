using System.Buffers.Binary;
using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.Core.Audit;
using Strongroom.Storage.PostgreSql;

namespace Strongroom.Server;

/// <summary>
/// The proof of a migration: every table's row count and SHA-256 digest of its rows in key order, compared between the
/// SQLite data directory and PostgreSQL, then the audit chain verified as PostgreSQL holds it.
/// </summary>
public static partial class StoreMigrationTool
{
    /// <summary>What one side holds of one table.</summary>
    private sealed record TableDigest(long Rows, string Sha256);

    /// <summary>Compares every table's row count and digest; prints the summary table. True when all match.</summary>
    private static async Task<bool> VerifyAsync(SqliteConnection source, NpgsqlConnection destination, IReadOnlyList<Table> tables, TextWriter output, CancellationToken ct)
    {
        var left = new Dictionary<string, TableDigest>(StringComparer.Ordinal);
        using (var snapshot = source.BeginTransaction(deferred: true))
        {
            foreach (var table in tables)
            {
                left[table.Name] = DigestSqlite(source, snapshot, table);
            }
        }

        var ok = true;
        await output.WriteLineAsync($"  {"table",-20} {"rows",10} {"postgres",10}  ok");
        await using var tx = await destination.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        foreach (var table in tables)
        {
            var right = await DigestPostgresAsync(destination, tx, table, ct);
            var same = left[table.Name] == right;
            ok &= same;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {table.Name,-20} {left[table.Name].Rows,10} {right.Rows,10}  {(same ? "ok" : "MISMATCH")}"));
        }

        await tx.CommitAsync(ct);
        return ok;
    }

    /// <summary>
    /// SHA-256 over the rows in primary-key order. Each value is canonical whatever the database: a tag, then
    /// null: nothing; integer (and boolean, as SQLite stores it): 8 bytes big-endian; text: length + UTF-8; blob: length + bytes.
    /// Text keys order the same on both sides: SQLite compares bytes, PostgreSQL is told COLLATE "C".
    /// </summary>
    private static TableDigest DigestSqlite(SqliteConnection source, SqliteTransaction snapshot, Table table)
    {
        using var cmd = source.CreateCommand();
        cmd.Transaction = snapshot;
        cmd.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(Quote))} FROM {Quote(table.Name)} ORDER BY {string.Join(", ", table.Key.Select(Quote))}";
        using var reader = cmd.ExecuteReader();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long rows = 0;
        while (reader.Read())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                Canonical(hash, reader.GetValue(i));
            }

            rows++;
        }

        return new TableDigest(rows, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static async Task<TableDigest> DigestPostgresAsync(NpgsqlConnection destination, NpgsqlTransaction tx, Table table, CancellationToken ct)
    {
        var order = string.Join(", ", table.Key.Select(k => table.PgTypes[k] == "text" ? Quote(k) + " COLLATE \"C\"" : Quote(k)));
        await using var cmd = new NpgsqlCommand($"SELECT {string.Join(", ", table.Columns.Select(Quote))} FROM {Quote(table.Name)} ORDER BY {order}", destination, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long rows = 0;
        while (await reader.ReadAsync(ct))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                Canonical(hash, reader.GetValue(i));
            }

            rows++;
        }

        return new TableDigest(rows, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void Canonical(IncrementalHash hash, object value)
    {
        Span<byte> number = stackalloc byte[8];
        switch (value)
        {
            case DBNull:
                hash.AppendData("N"u8);
                break;
            case long n:
                hash.AppendData("I"u8);
                BinaryPrimitives.WriteInt64BigEndian(number, n);
                hash.AppendData(number);
                break;
            case bool b:
                hash.AppendData("I"u8);
                BinaryPrimitives.WriteInt64BigEndian(number, b ? 1 : 0);
                hash.AppendData(number);
                break;
            case string s:
                Bytes("T"u8, Encoding.UTF8.GetBytes(s));
                break;
            case byte[] bytes:
                Bytes("B"u8, bytes);
                break;
            default:
                // A double or anything else the schemas do not hold: never equal to the other side.
                Bytes("?"u8, Encoding.UTF8.GetBytes(value.GetType().FullName + ":" + Convert.ToString(value, CultureInfo.InvariantCulture)));
                break;
        }

        void Bytes(ReadOnlySpan<byte> tag, byte[] data)
        {
            Span<byte> length = stackalloc byte[8];
            hash.AppendData(tag);
            BinaryPrimitives.WriteInt64BigEndian(length, data.LongLength);
            hash.AppendData(length);
            hash.AppendData(data);
        }
    }

    /// <summary>Verifies the audit trail as PostgreSQL now holds it, with the public key stored with it.</summary>
    private static async Task<bool> VerifyAuditAsync(string connectionString, string dataDir, TextWriter output, CancellationToken ct)
    {
        await using var store = new PostgresStore(connectionString);
        var pem = await store.GetSettingAsync(AuditSigner.PublicKeySetting, ct);
        if (pem is null)
        {
            var empty = await store.LastAuditAsync(ct) is null;
            await output.WriteLineAsync(empty ? "  audit trail: empty, no signing key yet" : "  audit trail: FAILED: records but no audit public key");
            return empty;
        }

        var result = await AuditVerifier.VerifyAsync(store, pem, Path.Combine(dataDir, "audit-archive"), ct);
        await output.WriteLineAsync(result.Ok ? "  audit trail: OK: " + result.Message : $"  audit trail: FAILED at record {result.FirstBadSeq}: {result.Message}");
        return result.Ok;
    }
}
