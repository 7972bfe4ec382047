using Microsoft.Data.Sqlite;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>The SQLite store's per-connection prepared statements: reused when free, never shared while in use.</summary>
public sealed class SqliteStatementCacheTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly StatementCache _cache = new();

    public SqliteStatementCacheTests()
    {
        _connection.Open();
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');";
        cmd.ExecuteNonQuery();
    }

    private const string Select = "SELECT v FROM t WHERE k = $k";

    private string? Read(SqliteCommand cmd, long key)
    {
        cmd.Parameters.AddWithValue("$k", key);
        return (string?)cmd.ExecuteScalar();
    }

    [Fact]
    public void Rent_AfterDispose_ReturnsTheSameCommandWithFreshParameters()
    {
        var first = _cache.Rent(_connection, Select);
        Assert.Equal("one", Read(first, 1));
        first.Dispose();

        var second = _cache.Rent(_connection, Select);
        Assert.Same(first, second);
        Assert.Empty(second.Parameters);
        Assert.Equal("two", Read(second, 2));
        second.Dispose();
    }

    [Fact]
    public void Rent_WhileInUse_GivesAnotherCommand_AndBothReadersWork()
    {
        using var outer = _cache.Rent(_connection, "SELECT k FROM t ORDER BY k");
        using var reader = outer.ExecuteReader();
        var seen = new List<string?>();
        while (reader.Read())
        {
            // The same SQL as the open reader's command, nested: must not reuse (and reset) the busy statement.
            using var inner = _cache.Rent(_connection, "SELECT k FROM t ORDER BY k");
            Assert.NotSame(outer, inner);
            using var lookup = _cache.Rent(_connection, Select);
            seen.Add(Read(lookup, reader.GetInt64(0)));
        }

        Assert.Equal(["one", "two", "three"], seen);
    }

    [Fact]
    public void Rent_ManyDistinctStatements_StaysCorrectPastTheCacheBound()
    {
        for (var i = 0; i < 600; i++)
        {
            using var cmd = _cache.Rent(_connection, $"SELECT v FROM t WHERE k = $k AND {i} = {i}");
            Assert.Equal("three", Read(cmd, 3));
        }
    }

    [Fact]
    public void Dispose_ReleasesTheStatements_SoTheConnectionCanClose()
    {
        using (var cmd = _cache.Rent(_connection, Select))
        {
            Assert.Equal("one", Read(cmd, 1));
        }

        _cache.Dispose();
        _connection.Close();
        Assert.Equal(System.Data.ConnectionState.Closed, _connection.State);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _connection.Dispose();
    }
}
