using System.Data.Common;
using System.Globalization;
using Npgsql;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Storage.Tests;

/// <summary>
/// Rows read from a store's database directly, bypassing the store: each row its values joined by '|', text as is,
/// integers in decimal, bytes as 0x-hex, NULL as &lt;null&gt;.
/// </summary>
internal static class RawRows
{
    public static string Render(object? value) => value switch
    {
        null or DBNull => "<null>",
        byte[] bytes => "0x" + Convert.ToHexStringLower(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "<null>",
    };

    /// <summary>The SQLite store at <paramref name="databasePath"/> as tools read it: the audit file attached, settings over both files.</summary>
    public static List<string> Sqlite(string databasePath, string sql)
    {
        using var connection = SqliteStore.OpenReadOnly(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        return ReadAll(reader);
    }

    public static async Task<List<string>> PostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        return ReadAll(reader);
    }

    private static List<string> ReadAll(DbDataReader reader)
    {
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Render(reader.GetValue(i)))));
        }

        return rows;
    }
}
