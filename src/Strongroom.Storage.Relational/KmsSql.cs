using System.Data.Common;
using Strongroom.Core.Kms;

namespace Strongroom.Storage.Relational;

/// <summary>KMS keys (columns plus the meta JSON, <see cref="KmsMeta"/>), their wrapped material generations, and aliases.</summary>
internal static class KmsSql
{
    private const string Columns = "key_id, region, arn, state, manager, description, created_ms, current_version, meta, deletion_ms, next_rotation_ms";

    private static KmsKeyRecord Read(DbDataReader r)
    {
        var key = new KmsKeyRecord
        {
            KeyId = Guid.Parse(r.GetString(0)),
            Region = r.GetString(1),
            Arn = r.GetString(2),
            State = KmsKeyWire.ParseState(r.GetString(3)),
            Manager = KmsKeyWire.ParseManager(r.GetString(4)),
            Description = r.GetStringOrNull(5),
            CreatedDate = r.GetMs(6),
            CurrentVersion = (uint)r.GetInt64(7),
            DeletionDate = r.GetMsOrNull(9),
            NextRotationDate = r.GetMsOrNull(10),
        };
        KmsMeta.Read(r.GetString(8), key);
        return key;
    }

    /// <summary>Key ids are stored as their "D" text form.</summary>
    private static string Id(Guid keyId) => keyId.ToString("D");

    public static ValueTask<KmsKeyRecord?> FindKeyAsync(RelationalAccess a, Guid keyId, CancellationToken ct) =>
        a.Sql($"SELECT {Columns} FROM kms_keys WHERE key_id = $1").Text(Id(keyId)).FirstAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(RelationalAccess a, string region, Guid? afterKeyId, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM kms_keys WHERE region = $1 AND key_id > $2 ORDER BY key_id LIMIT $3")
            .Text(region).Text(afterKeyId is { } after ? Id(after) : string.Empty).Int64(limit).ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<KmsKeyRecord>> DueAsync(RelationalAccess a, DateTimeOffset now, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM kms_keys WHERE deletion_ms <= $1 OR next_rotation_ms <= $1 LIMIT $2").Ms(now).Int64(limit).ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<KmsAlias>> ListAliasesAsync(RelationalAccess a, string region, Guid? keyId, string? afterAlias, int limit, CancellationToken ct) =>
        await a.Sql("SELECT region, alias, key_id, created_ms, updated_ms FROM kms_aliases WHERE region = $1 AND ($2 IS NULL OR key_id = $2) AND alias > $3 ORDER BY alias LIMIT $4")
            .Text(region).Text(keyId is { } id ? Id(id) : null).Text(afterAlias ?? string.Empty).Int64(limit)
            .ListAsync(static r => new KmsAlias(r.GetString(0), r.GetString(1), Guid.Parse(r.GetString(2)), r.GetMs(3), r.GetMs(4)), ct);

    public static async ValueTask<IReadOnlyList<KmsKeyVersion>> ListVersionsAsync(RelationalAccess a, Guid keyId, CancellationToken ct) =>
        await a.Sql("SELECT version, created_ms, rotation_type FROM kms_key_versions WHERE key_id = $1 ORDER BY version")
            .Text(Id(keyId)).ListAsync(static r => new KmsKeyVersion((uint)r.GetInt64(0), r.GetMs(1), r.GetStringOrNull(2)), ct);

    public static async ValueTask<Guid?> FindAliasAsync(RelationalAccess a, string region, string aliasName, CancellationToken ct) =>
        await a.Sql("SELECT key_id FROM kms_aliases WHERE region = $1 AND alias = $2").Text(region).Text(aliasName).ScalarAsync(ct) is string id ? Guid.Parse(id) : null;

    public static async ValueTask<byte[]?> GetMaterialAsync(RelationalAccess a, Guid keyId, uint version, CancellationToken ct) =>
        await a.Sql("SELECT wrapped FROM kms_key_versions WHERE key_id = $1 AND version = $2").Text(Id(keyId)).Int64(version).ScalarAsync(ct) as byte[];

    public static async ValueTask InsertKeyAsync(RelationalAccess a, KmsKeyRecord key, byte[] wrappedMaterial, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        await a.Sql($"INSERT INTO kms_keys ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .Text(Id(key.KeyId)).Text(key.Region).Text(key.Arn).Text(KmsKeyWire.ToWire(key.State)).Text(KmsKeyWire.ToWire(key.Manager)).Text(key.Description).Ms(key.CreatedDate).Int64(key.CurrentVersion)
            .Text(KmsMeta.Write(key)).Ms(key.DeletionDate).Ms(key.NextRotationDate)
            .ExecuteAsync(ct);
        await InsertVersionAsync(a, key.KeyId, new KmsKeyVersion(key.CurrentVersion, key.CreatedDate, null), wrappedMaterial, ct);
    }

    public static async ValueTask UpdateKeyAsync(RelationalAccess a, KmsKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        await a.Sql("UPDATE kms_keys SET state = $2, description = $3, current_version = $4, meta = $5, deletion_ms = $6, next_rotation_ms = $7 WHERE key_id = $1")
            .Text(Id(key.KeyId)).Text(KmsKeyWire.ToWire(key.State)).Text(key.Description).Int64(key.CurrentVersion).Text(KmsMeta.Write(key)).Ms(key.DeletionDate).Ms(key.NextRotationDate)
            .ExecuteAsync(ct);
    }

    public static async ValueTask InsertVersionAsync(RelationalAccess a, Guid keyId, KmsKeyVersion version, byte[] wrappedMaterial, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(version);
        await a.Sql("INSERT INTO kms_key_versions (key_id, version, wrapped, created_ms, rotation_type) VALUES ($1, $2, $3, $4, $5)")
            .Text(Id(keyId)).Int64(version.Version).Blob(wrappedMaterial).Ms(version.CreatedDate).Text(version.RotationType)
            .ExecuteAsync(ct);
    }

    public static async ValueTask InsertAliasAsync(RelationalAccess a, string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken ct) =>
        await a.Sql("INSERT INTO kms_aliases (region, alias, key_id, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $4)")
            .Text(region).Text(aliasName).Text(Id(keyId)).Ms(now).ExecuteAsync(ct);

    public static async ValueTask UpdateAliasAsync(RelationalAccess a, string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken ct) =>
        await a.Sql("UPDATE kms_aliases SET key_id = $3, updated_ms = $4 WHERE region = $1 AND alias = $2")
            .Text(region).Text(aliasName).Text(Id(keyId)).Ms(now).ExecuteAsync(ct);

    public static async ValueTask DeleteAliasAsync(RelationalAccess a, string region, string aliasName, CancellationToken ct) =>
        await a.Sql("DELETE FROM kms_aliases WHERE region = $1 AND alias = $2").Text(region).Text(aliasName).ExecuteAsync(ct);

    /// <summary>Deletes a key with all its material and aliases.</summary>
    public static async ValueTask DeleteKeyAsync(RelationalAccess a, Guid keyId, CancellationToken ct)
    {
        await a.Sql("DELETE FROM kms_aliases WHERE key_id = $1").Text(Id(keyId)).ExecuteAsync(ct);
        await a.Sql("DELETE FROM kms_key_versions WHERE key_id = $1").Text(Id(keyId)).ExecuteAsync(ct);
        await a.Sql("DELETE FROM kms_keys WHERE key_id = $1").Text(Id(keyId)).ExecuteAsync(ct);
    }
}
