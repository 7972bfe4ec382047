using System.Data.Common;

namespace Strongroom.Storage.Relational;

/// <summary>
/// Commands kept with one connection and handed out again for the same SQL, where the driver keeps a command's
/// prepared statements for its lifetime (SQLite). A store passes one per connection to <see cref="RelationalAccess"/>;
/// drivers that prepare per connection by themselves (Npgsql) need none. Not thread-safe.
/// </summary>
public abstract class CommandCache
{
    /// <summary>
    /// A command for <paramref name="sql"/> on <paramref name="connection"/> with no parameters; disposing it returns
    /// it. A command still in use is never handed out twice.
    /// </summary>
    public abstract DbCommand Rent(DbConnection connection, string sql);
}
