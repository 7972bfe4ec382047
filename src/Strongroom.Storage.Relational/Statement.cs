using System.Data;
using System.Data.Common;

namespace Strongroom.Storage.Relational;

/// <summary>
/// One command being bound and run: parameters are added in placeholder order ($1, $2, …), then one of the terminal
/// methods runs it and gives the command back (to the connection's statement cache, where there is one). Every
/// parameter carries its type, so a null is never of unknown type (PostgreSQL could not infer one in
/// "$1 IS NULL OR col = $1"). Not thread-safe.
/// </summary>
internal readonly struct Statement
{
    private readonly DbCommand _command;
    private readonly SqlDialect _dialect;

    public Statement(DbCommand command, SqlDialect dialect)
    {
        _command = command;
        _dialect = dialect;
    }

    public Statement Text(string? value) => Bind(DbType.String, value);

    public Statement Int64(long? value) => Bind(DbType.Int64, value);

    public Statement Bool(bool value) => Bind(DbType.Boolean, value);

    public Statement Blob(byte[]? value) => Bind(DbType.Binary, value);

    /// <summary>A moment as Unix milliseconds (every *_ms column), or null.</summary>
    public Statement Ms(DateTimeOffset? value) => Bind(DbType.Int64, value?.ToUnixTimeMilliseconds());

    /// <summary>Ids for a <see cref="SqlDialect.IsOneOf"/> condition.</summary>
    public Statement Ids(IReadOnlyCollection<long> ids)
    {
        var parameter = _command.CreateParameter();
        parameter.ParameterName = _dialect.ParameterName(_command.Parameters.Count + 1);
        _dialect.BindIds(parameter, ids);
        _command.Parameters.Add(parameter);
        return this;
    }

    private Statement Bind(DbType type, object? value)
    {
        var parameter = _command.CreateParameter();
        parameter.ParameterName = _dialect.ParameterName(_command.Parameters.Count + 1);
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        _command.Parameters.Add(parameter);
        return this;
    }

    /// <returns>The number of rows changed.</returns>
    public async ValueTask<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        try
        {
            return _dialect.InProcess ? _command.ExecuteNonQuery() : await _command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await _command.DisposeAsync();
        }
    }

    /// <returns>The first column of the first row, or null (no row, or NULL).</returns>
    public async ValueTask<object?> ScalarAsync(CancellationToken cancellationToken)
    {
        try
        {
            var value = _dialect.InProcess ? _command.ExecuteScalar() : await _command.ExecuteScalarAsync(cancellationToken);
            return value is DBNull ? null : value;
        }
        finally
        {
            await _command.DisposeAsync();
        }
    }

    /// <summary>A COUNT, MAX or similar: the first column as a 64-bit integer, 0 when NULL.</summary>
    public async ValueTask<long> Int64ScalarAsync(CancellationToken cancellationToken) =>
        Convert.ToInt64(await ScalarAsync(cancellationToken) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>The first row mapped by <paramref name="map"/>, or default when there is none.</returns>
    public async ValueTask<T?> FirstAsync<T>(Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = _dialect.InProcess ? _command.ExecuteReader() : await _command.ExecuteReaderAsync(cancellationToken);
            return await ReadAsync(reader, cancellationToken) ? map(reader) : default;
        }
        finally
        {
            await _command.DisposeAsync();
        }
    }

    /// <summary>
    /// The first row mapped by <paramref name="map"/>, then <paramref name="whileOpen"/> run on it while this statement's
    /// reader is still open. Only for an <see cref="SqlDialect.InProcess"/> database, whose connection runs a second
    /// statement meanwhile inside the same read transaction: both read one snapshot, and the second costs no new round
    /// of file locks (measured: SQLite's WAL read locks are system calls, ~40% of a version read when taken twice).
    /// </summary>
    /// <returns>The row mapped by <paramref name="map"/>, or default when there is none (then <paramref name="whileOpen"/> is not run).</returns>
    public async ValueTask<T?> FirstAsync<T, TState>(Func<DbDataReader, T> map, Func<T, TState, CancellationToken, ValueTask> whileOpen, TState state, CancellationToken cancellationToken)
    {
        if (!_dialect.InProcess)
        {
            await _command.DisposeAsync();
            throw new InvalidOperationException("A connection to a database across the network runs one statement at a time.");
        }

        try
        {
            await using var reader = _command.ExecuteReader();
            if (!reader.Read())
            {
                return default;
            }

            var row = map(reader);
            await whileOpen(row, state, cancellationToken);
            return row;
        }
        finally
        {
            await _command.DisposeAsync();
        }
    }

    /// <returns>Every row mapped by <paramref name="map"/>, in the order the query gives them.</returns>
    public async ValueTask<List<T>> ListAsync<T>(Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = _dialect.InProcess ? _command.ExecuteReader() : await _command.ExecuteReaderAsync(cancellationToken);
            var list = new List<T>();
            while (await ReadAsync(reader, cancellationToken))
            {
                list.Add(map(reader));
            }

            return list;
        }
        finally
        {
            await _command.DisposeAsync();
        }
    }

    private ValueTask<bool> ReadAsync(DbDataReader reader, CancellationToken cancellationToken) =>
        _dialect.InProcess ? new(reader.Read()) : new(reader.ReadAsync(cancellationToken));
}
