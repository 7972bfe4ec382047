using Npgsql;
using NpgsqlTypes;

namespace Strongroom.Storage.PostgreSql;

/// <summary>
/// Typed positional parameters ($1, $2, …). Every parameter carries its database type, so a null is never of
/// unknown type (PostgreSQL could not infer one in "$1 IS NULL OR col = $1").
/// </summary>
internal static class Sql
{
    public static NpgsqlParameter P(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter P(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value is null ? DBNull.Value : value.Value };

    public static NpgsqlParameter P(bool value) => new() { NpgsqlDbType = NpgsqlDbType.Boolean, Value = value };

    public static NpgsqlParameter P(byte[]? value) => new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter P(long[] values) => new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = values };

    /// <summary>A moment as Unix milliseconds, or null.</summary>
    public static NpgsqlParameter Ms(DateTimeOffset? value) => P(value?.ToUnixTimeMilliseconds());

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? FromMs(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static string? String(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
