using System.Data.Common;
using Microsoft.Data.Sqlite;
using Strongroom.Storage.Relational;

namespace Strongroom.Storage.Sqlite;

/// <summary>
/// Prepared statements kept with one connection, keyed by SQL text: Microsoft.Data.Sqlite prepares a command's
/// statements on first execution and keeps them while the command lives, so reusing the command skips SQLite's
/// parser and planner on every later call. A command in use (its caller has not disposed it) is not handed out
/// again; a nested use of the same SQL gets a fresh, uncached command. Not thread-safe (one per connection).
/// </summary>
internal sealed class StatementCache : CommandCache, IDisposable
{
    private const int MaxStatements = 256;
    private readonly Dictionary<string, CachedCommand> _commands = new(StringComparer.Ordinal);

    public override DbCommand Rent(DbConnection connection, string sql) => Rent((SqliteConnection)connection, sql);

    /// <summary>A command for <paramref name="sql"/> with no parameters; the caller disposes it when done.</summary>
    public SqliteCommand Rent(SqliteConnection connection, string sql)
    {
        if (_commands.TryGetValue(sql, out var cached))
        {
            if (cached.InUse)
            {
                return Uncached(connection, sql);
            }

            cached.InUse = true;
            cached.Parameters.Clear();
            return cached;
        }

        if (_commands.Count >= MaxStatements)
        {
            return Uncached(connection, sql);
        }

        var command = new CachedCommand { Connection = connection, CommandText = sql, InUse = true };
        _commands.Add(sql, command);
        return command;
    }

    private static SqliteCommand Uncached(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Release();
        }

        _commands.Clear();
    }

    /// <summary>A command whose Dispose returns it to the cache instead of finalising its statements.</summary>
    private sealed class CachedCommand : SqliteCommand
    {
        public bool InUse { get; set; }

        protected override void Dispose(bool disposing)
        {
            InUse = false;
            Transaction = null;
        }

        public void Release() => base.Dispose(true);
    }
}
