using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Storage.PostgreSql;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The PostgreSQL schema and stored formats stay those of the SQLite store: a migration added to one store and not
/// the other, or a metadata column written differently, fails here.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSqliteParityTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly PostgresServer _server;
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-storage-parity-").FullName;
    private string _pgConnectionString = string.Empty;
    private SqliteStore? _sqlite;
    private PostgresStore? _postgres;

    public PostgresSqliteParityTests(PostgresServer server) => _server = server;

    private string SqlitePath => Path.Combine(_dir, "parity.db");

    private IEnumerable<IStore> Stores => [_sqlite!, _postgres!];

    public async Task InitializeAsync()
    {
        _sqlite = new SqliteStore(SqlitePath);
        await _sqlite.InitializeAsync(Ct);
        _pgConnectionString = _server.CreateDatabase();
        _postgres = new PostgresStore(_pgConnectionString);
        await _postgres.InitializeAsync(Ct);
    }

    public async Task DisposeAsync()
    {
        if (_sqlite is not null)
        {
            await _sqlite.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private List<string> SqliteRows(string sql)
    {
        // The store as tools read it: the audit file attached, settings over both files.
        using var conn = SqliteStore.OpenReadOnly(SqlitePath);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "<null>" : r.GetValue(i).ToString())));
        }

        return rows;
    }

    private async Task<List<string>> PostgresRows(string sql)
    {
        await using var conn = new NpgsqlConnection(_pgConnectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await r.ReadAsync(Ct))
        {
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "<null>" : r.GetValue(i).ToString())));
        }

        return rows;
    }

    [Fact]
    public async Task Schema_TablesColumnsAndIndexes_MatchTheSqliteStore()
    {
        var sqliteColumns = SqliteRows(
            "SELECT m.name || '.' || c.name FROM (SELECT name FROM main.sqlite_master WHERE type = 'table' UNION SELECT name FROM audit.sqlite_master WHERE type = 'table') m " +
            "JOIN pragma_table_info(m.name) c WHERE m.name NOT LIKE 'sqlite_%'");
        var postgresColumns = await PostgresRows(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'");
        Assert.Equal(sqliteColumns.Order(StringComparer.Ordinal), postgresColumns.Order(StringComparer.Ordinal));

        // Explicit indexes by name; the indexes behind PRIMARY KEY and UNIQUE constraints stand for SQLite's automatic ones.
        var sqliteIndexes = SqliteRows(
            "SELECT name FROM main.sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' " +
            "UNION ALL SELECT name FROM audit.sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'");
        var postgresIndexes = await PostgresRows(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace " +
            "WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)");
        Assert.Equal(sqliteIndexes.Order(StringComparer.Ordinal), postgresIndexes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task MetaColumns_SameRecords_AreStoredAsTheSameJson()
    {
        var keyId = Guid.Parse("0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11");
        foreach (var store in Stores)
        {
            await store.WriteAsync(
                async tx =>
                {
                    var secret = new SecretRecord
                    {
                        Region = "us-east-1",
                        Name = "fmt",
                        Arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:fmt-AbCdEf",
                        CreatedDate = DateTimeOffset.UnixEpoch,
                        LastChangedDate = DateTimeOffset.UnixEpoch,
                        Description = "d \"quoted\" é",
                        RotationEnabled = true,
                        NextRotationDate = DateTimeOffset.UnixEpoch.AddDays(1),
                        RotationRules = new RotationRules(1, null, "rate(1 day)"),
                        Tags = [new SecretTag("k", "v")],
                    };
                    await tx.InsertSecretAsync(secret, Ct);
                    var key = new KmsKeyRecord
                    {
                        KeyId = keyId, Region = "us-east-1", Arn = "arn:aws:kms:us-east-1:123456789012:key/" + keyId, State = "Enabled", Manager = "CUSTOMER",
                        CurrentVersion = 1, RotationEnabled = true, Policy = "{}", Tags = [new("a", "b")],
                    };
                    await tx.InsertKmsKeyAsync(key, [1], Ct);
                    var version = new ParameterVersionRecord { Version = 1, Type = "String", Value = [1], Description = "p", LastModifiedDate = DateTimeOffset.UnixEpoch };
                    var parameter = new ParameterRecord { Region = "us-east-1", Key = "p", Name = "p", Current = version, Tags = [new("t", "u")] };
                    parameter.Labels["l"] = 1;
                    await tx.InsertParameterVersionAsync("us-east-1", "p", version, Ct);
                    await tx.UpsertParameterAsync(parameter, Ct);
                    return true;
                },
                Ct);
        }

        foreach (var sql in new[]
        {
            "SELECT meta, rotation_due_ms FROM secrets",
            "SELECT meta FROM kms_keys",
            "SELECT meta FROM parameters",
            "SELECT meta FROM parameter_versions",
        })
        {
            var expected = SqliteRows(sql);
            Assert.Single(expected);
            Assert.Equal(expected, await PostgresRows(sql));
        }
    }
}
