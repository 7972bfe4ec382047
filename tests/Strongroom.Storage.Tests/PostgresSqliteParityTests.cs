using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Storage.PostgreSql;
using Strongroom.Storage.Relational;
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

    private List<string> SqliteRows(string sql) => RawRows.Sqlite(SqlitePath, sql);

    private Task<List<string>> PostgresRows(string sql) => RawRows.PostgresAsync(_pgConnectionString, sql);

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
                        KeyId = keyId, Region = "us-east-1", Arn = "arn:aws:kms:us-east-1:123456789012:key/" + keyId, State = KmsKeyState.Enabled, Manager = KmsKeyManager.Customer,
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

    [Fact]
    public void SharedMigrations_InSqlite_AreTheVersions7To9OfTheSeparateStoresVerbatim()
    {
        // A fresh data directory gets the same schema text as one created before the migrations were shared (7 and 8
        // released at c618223; 9, the integrity tags, as main wrote it on the separate stores).
        var sqlite = SchemaMigrations.For(Storage.Sqlite.SqliteDialect.Instance, Storage.Sqlite.Schema.History);
        Assert.Equal(11, sqlite.Count);
        Assert.StartsWith("CREATE TABLE event_outbox (", sqlite[10], StringComparison.Ordinal);
        Assert.Contains("PRIMARY KEY (event_id, endpoint)) WITHOUT ROWID;", sqlite[10], StringComparison.Ordinal);
        Assert.Equal("ALTER TABLE rotation_runs ADD COLUMN output TEXT;", sqlite[9]);
        Assert.Equal("ALTER TABLE rotation_runs ADD COLUMN node TEXT;", sqlite[6]);
        Assert.Equal(
            """
            CREATE TABLE audit_resources (
                bucket INTEGER NOT NULL,
                resource_name TEXT NOT NULL,
                seq INTEGER NOT NULL,
                PRIMARY KEY (bucket, resource_name, seq)) WITHOUT ROWID;
            INSERT INTO audit_resources (bucket, resource_name, seq)
                SELECT seq >> 16, resource_name, seq FROM audit_events WHERE resource_name IS NOT NULL;
            INSERT INTO settings (key, value) SELECT 'audit_resources_to_seq', CAST(MAX(seq) AS TEXT) FROM audit_events WHERE true HAVING COUNT(*) > 0
                ON CONFLICT (key) DO UPDATE SET value = excluded.value;
            DROP INDEX audit_resource;
            """,
            sqlite[7]);
        Assert.Equal(
            """
            ALTER TABLE iam_entities ADD COLUMN mac BLOB;
            ALTER TABLE access_keys ADD COLUMN principal_id TEXT;
            ALTER TABLE access_keys ADD COLUMN mac BLOB;
            """,
            sqlite[8]);

        // PostgreSQL's version 4 is likewise the text of the separate store's version 4 (its 2 and 3 differ only in spelling).
        var postgres = SchemaMigrations.For(Storage.PostgreSql.PostgresDialect.Instance, Storage.PostgreSql.Schema.History);
        Assert.Equal(6, postgres.Count);
        Assert.StartsWith("CREATE TABLE event_outbox (", postgres[5], StringComparison.Ordinal);
        Assert.Equal("ALTER TABLE rotation_runs ADD COLUMN output TEXT;", postgres[4]);
        Assert.Equal(
            """
            ALTER TABLE iam_entities ADD COLUMN mac BYTEA;
            ALTER TABLE access_keys ADD COLUMN principal_id TEXT COLLATE "C";
            ALTER TABLE access_keys ADD COLUMN mac BYTEA;
            """,
            postgres[3]);
    }

    [Fact]
    public async Task SharedMigration_AppendedOnce_GivesBothStoresTheSameColumn_AndOlderBuildsRefuseTheNewerSchema()
    {
        // What adding a migration for both stores is: one more entry in SchemaMigrations.Shared.
        string[] shared = [.. SchemaMigrations.Shared, "ALTER TABLE iam_entities ADD COLUMN extra {blob};\nCREATE INDEX iam_entities_extra ON iam_entities (kind, extra);"];
        await _sqlite!.DisposeAsync();
        _sqlite = null;
        await using (var connection = new SqliteConnection($"Data Source={SqlitePath};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var tx = connection.BeginTransaction();
            var dialect = Storage.Sqlite.SqliteDialect.Instance;
            await SchemaMigrations.ApplyAsync(new RelationalAccess(dialect, connection, tx), SchemaMigrations.For(dialect, Storage.Sqlite.Schema.History, shared), "data directory", Ct);
            tx.Commit();
        }

        await using (var connection = new NpgsqlConnection(_pgConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var tx = await connection.BeginTransactionAsync(Ct);
            var dialect = Storage.PostgreSql.PostgresDialect.Instance;
            await SchemaMigrations.ApplyAsync(new RelationalAccess(dialect, connection, tx), SchemaMigrations.For(dialect, Storage.PostgreSql.Schema.History, shared), "database", Ct);
            await tx.CommitAsync(Ct);
        }

        Assert.Equal(["12"], SqliteRows("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(["7"], await PostgresRows("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(["extra|BLOB"], SqliteRows("SELECT name, type FROM pragma_table_info('iam_entities') WHERE name = 'extra'"));
        Assert.Equal(["extra|bytea"], await PostgresRows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'iam_entities' AND column_name = 'extra'"));
        await Schema_TablesColumnsAndIndexes_MatchTheSqliteStore();

        // This build's stores know 11 and 6 versions: they refuse a schema a newer build wrote, naming the versions.
        await using var older = new SqliteStore(SqlitePath);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => older.InitializeAsync(Ct));
        Assert.Equal("The data directory's schema is version 12, newer than this build (11). Upgrade Strongroom.", refused.Message);
        await using var olderNode = new PostgresStore(_pgConnectionString);
        refused = await Assert.ThrowsAsync<InvalidOperationException>(() => olderNode.InitializeAsync(Ct));
        Assert.Equal("The database's schema is version 7, newer than this build (6). Upgrade Strongroom.", refused.Message);
    }
}
