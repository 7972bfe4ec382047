namespace Strongroom.Core.Storage;

/// <summary>
/// A stored row failed its integrity check (its tag does not match its content, or it has none where one is required):
/// it was changed by someone who could write the database without the root key, and it is refused. The message names
/// the table and the row's key, never key material or values.
/// </summary>
public sealed class RecordIntegrityException : Exception
{
    public RecordIntegrityException()
    {
    }

    public RecordIntegrityException(string message)
        : base(message)
    {
    }

    public RecordIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RecordIntegrityException(string table, string key)
        : base($"The stored row {table} {key} failed its integrity check and was refused.")
    {
        Table = table;
        Key = key;
    }

    public string? Table { get; }

    public string? Key { get; }
}
