using Strongroom.Core.Storage;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>The persisted-shape goldens against the embedded store, plus SQLite's storage class of every column.</summary>
public sealed class SqlitePersistedShapeTests : PersistedShapeTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-storage-shape-").FullName;

    private string DatabasePath => Path.Combine(_dir, "strongroom.db");

    protected override async Task<IStore> CreateStoreAsync()
    {
        var store = new SqliteStore(DatabasePath);
        await store.InitializeAsync(Ct);
        return store;
    }

    protected override Task<IReadOnlyList<string>> RawRowsAsync(string sql) => Task.FromResult<IReadOnlyList<string>>(RawRows.Sqlite(DatabasePath, sql));

    /// <summary>
    /// SQLite keeps a value's storage class with it (a number bound as text stays text and no longer compares or sorts as
    /// a number): every column of every table is written with the class it always had.
    /// </summary>
    [Fact]
    public async Task EveryColumn_IsWrittenWithItsStorageClass()
    {
        await Secret_EveryMember_IsStoredAsTheFrozenColumnsAndMetaJson();
        await KmsKey_EveryMember_IsStoredAsTheFrozenColumnsAndMetaJson();
        await Parameter_EveryMember_IsStoredAsTheFrozenColumnsAndMetaJson();
        await IdentityRows_AreStoredAsGiven();
        await RotationRun_IsStoredAsTheFrozenColumns();
        await AuditTrail_SettingsAndRootWrapped_AreStoredAsTheFrozenColumns();

        Assert.Equal(
            [
                "integer|text|text|text|integer|integer|integer|null|text|integer",
                "integer|text|text|text|integer|integer|null|null|text|null",
                "integer|text|text|text|integer|integer|null|integer|text|null",
                "integer|text|text|text|integer|integer|null|null|text|null",
            ],
            await RawRowsAsync("SELECT typeof(id), typeof(region), typeof(name), typeof(arn), typeof(created_ms), typeof(changed_ms), typeof(accessed_ms), typeof(deleted_ms), typeof(meta), typeof(rotation_due_ms) FROM secrets ORDER BY id"));
        Assert.Equal(
            ["integer|text|integer|null|blob|text", "integer|text|integer|integer|null|null"],
            await RawRowsAsync("SELECT typeof(secret_id), typeof(version_id), typeof(created_ms), typeof(accessed_ms), typeof(envelope), typeof(kms_key_arn) FROM versions ORDER BY version_id"));
        Assert.Equal(["integer|text|text"], (await RawRowsAsync("SELECT typeof(secret_id), typeof(stage), typeof(version_id) FROM stages")).Distinct());
        Assert.Equal(
            ["text|text|text|text|text|text|integer|integer|text|integer|integer", "text|text|text|text|text|null|integer|integer|text|null|null"],
            await RawRowsAsync("SELECT typeof(key_id), typeof(region), typeof(arn), typeof(state), typeof(manager), typeof(description), typeof(created_ms), typeof(current_version), typeof(meta), typeof(deletion_ms), typeof(next_rotation_ms) FROM kms_keys ORDER BY key_id"));
        Assert.Equal(
            ["text|integer|blob|integer|null", "text|integer|blob|integer|text", "text|integer|blob|integer|null"],
            await RawRowsAsync("SELECT typeof(key_id), typeof(version), typeof(wrapped), typeof(created_ms), typeof(rotation_type) FROM kms_key_versions ORDER BY key_id, version"));
        Assert.Equal(["text|text|text|integer|integer"], await RawRowsAsync("SELECT typeof(region), typeof(alias), typeof(key_id), typeof(created_ms), typeof(updated_ms) FROM kms_aliases"));
        Assert.Equal(["text|text|text|text|blob"], await RawRowsAsync("SELECT typeof(region), typeof(key), typeof(name), typeof(meta), typeof(value) FROM parameters"));
        Assert.Equal(["text|text|integer|text|blob"], (await RawRowsAsync("SELECT typeof(region), typeof(key), typeof(version), typeof(meta), typeof(value) FROM parameter_versions")).Distinct());
        Assert.Equal(["text|text|text|null", "text|text|text|blob"], await RawRowsAsync("SELECT typeof(kind), typeof(name), typeof(json), typeof(mac) FROM iam_entities ORDER BY kind, name"));
        Assert.Equal(
            ["text|blob|text|text|text|integer|text|blob", "text|blob|text|text|text|integer|null|null"],
            await RawRowsAsync("SELECT typeof(access_key_id), typeof(wrapped_secret), typeof(principal_arn), typeof(user_name), typeof(status), typeof(created_ms), typeof(principal_id), typeof(mac) FROM access_keys ORDER BY access_key_id"));
        Assert.Equal(
            ["integer|text|text|text|text|text|integer|text|text|text|integer|integer|integer|null"],
            await RawRowsAsync("SELECT typeof(run_id), typeof(secret_arn), typeof(region), typeof(version_id), typeof(function_arn), typeof(trigger), typeof(attempt), typeof(step), typeof(outcome), typeof(error), typeof(started_ms), typeof(finished_ms), typeof(retry_ms), typeof(node) FROM rotation_runs"));
        Assert.Equal(
            ["integer|text|integer|text|text|text|text|integer|text|text|text|blob"],
            await RawRowsAsync("SELECT typeof(seq), typeof(event_id), typeof(event_time_ms), typeof(event_name), typeof(event_source), typeof(username), typeof(access_key_id), typeof(read_only), typeof(resource_name), typeof(resource_type), typeof(record), typeof(hash) FROM audit_events"));
        Assert.Equal(["integer|integer|blob|integer|blob|blob"], await RawRowsAsync("SELECT typeof(to_seq), typeof(from_seq), typeof(last_hash), typeof(created_ms), typeof(previous_digest_hash), typeof(signature) FROM audit_digests"));
        Assert.Equal(["text|text"], (await RawRowsAsync("SELECT typeof(key), typeof(value) FROM settings")).Distinct());
        Assert.Equal(["text|blob"], await RawRowsAsync("SELECT typeof(name), typeof(wrapped) FROM root_wrapped"));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
