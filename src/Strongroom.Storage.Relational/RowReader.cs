using System.Data.Common;

namespace Strongroom.Storage.Relational;

/// <summary>Column reads both drivers answer alike: NULL as null, blobs as byte arrays, *_ms columns as moments.</summary>
internal static class RowReader
{
    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    // GetValue rather than GetFieldValue<byte[]>: Microsoft.Data.Sqlite's generic getter tests T against a long list of
    // types, which for a reference type is not folded away by the JIT; both drivers answer a blob as a byte array.
    public static byte[] GetBlob(this DbDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);

    public static byte[]? GetBlobOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal);

    /// <summary>A *_ms column (Unix milliseconds) as a moment.</summary>
    public static DateTimeOffset GetMs(this DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static DateTimeOffset? GetMsOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));
}
