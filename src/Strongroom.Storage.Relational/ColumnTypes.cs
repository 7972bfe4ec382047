namespace Strongroom.Storage.Relational;

/// <summary>
/// A database's names for the column types the schema uses, so that a migration is written once with tokens
/// (<see cref="SqlDialect.Expand"/>) and gives both stores the same columns.
/// </summary>
/// <param name="Integer"><c>{int}</c>: a 64-bit integer (SQLite's INTEGER is 64-bit; PostgreSQL's BIGINT). Every *_ms column holds Unix milliseconds.</param>
/// <param name="OrderedText">
/// <c>{key}</c>: text that is compared, ordered or ranged (keys, names, ARNs), in byte order in both — as keyset paging
/// and prefix ranges need (SQLite compares text byte by byte; PostgreSQL does with the "C" collation).
/// </param>
/// <param name="Text"><c>{text}</c>: text only stored and read back (JSON documents, messages).</param>
/// <param name="Blob"><c>{blob}</c>: bytes.</param>
/// <param name="Boolean"><c>{bool}</c>: SQLite stores 0/1; both drivers read it with GetBoolean and bind bool parameters to it.</param>
/// <param name="IdentityKey"><c>{id}</c>: an integer primary key the database numbers on insert (read back with RETURNING).</param>
/// <param name="ClusteredTable">
/// <c>{clustered}</c>, after a table's closing parenthesis: the table stored in its primary key's order where the
/// database offers it (SQLite's WITHOUT ROWID); nothing where it does not (PostgreSQL keeps every table in a heap).
/// </param>
public sealed record ColumnTypes(string Integer, string OrderedText, string Text, string Blob, string Boolean, string IdentityKey, string ClusteredTable);
