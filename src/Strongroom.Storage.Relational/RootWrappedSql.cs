using System.Globalization;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Relational;

/// <summary>Every value wrapped by the root key — KMS key material, named values (the audit signing key), access-key secrets — for root-key rotation.</summary>
internal static class RootWrappedSql
{
    public static async ValueTask<IReadOnlyList<RootWrappedValue>> ListAsync(RelationalAccess a, CancellationToken ct)
    {
        var list = await a.Sql("SELECT v.key_id, v.version, k.arn, v.wrapped FROM kms_key_versions v JOIN kms_keys k ON k.key_id = v.key_id ORDER BY v.key_id, v.version").ListAsync(
            static r =>
            {
                var version = r.GetInt64(1);
                return new RootWrappedValue("kms", r.GetString(0), version, r.GetString(2) + "#" + version.ToString(CultureInfo.InvariantCulture), r.GetBlob(3));
            },
            ct);
        list.AddRange(await a.Sql("SELECT name, wrapped FROM root_wrapped ORDER BY name")
            .ListAsync(static r => new RootWrappedValue("named", r.GetString(0), 0, "named:" + r.GetString(0), r.GetBlob(1)), ct));
        list.AddRange(await a.Sql("SELECT access_key_id, wrapped_secret FROM access_keys ORDER BY access_key_id")
            .ListAsync(static r => new RootWrappedValue("access-key", r.GetString(0), 0, "access-key:" + r.GetString(0), r.GetBlob(1)), ct));
        return list;
    }

    public static async ValueTask ReplaceAsync(RelationalAccess a, RootWrappedValue value, byte[] wrapped, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(value);
        var statement = value.Kind switch
        {
            "kms" => a.Sql("UPDATE kms_key_versions SET wrapped = $1 WHERE key_id = $2 AND version = $3").Blob(wrapped).Text(value.Id).Int64(value.Version),
            "named" => a.Sql("UPDATE root_wrapped SET wrapped = $1 WHERE name = $2").Blob(wrapped).Text(value.Id),
            _ => a.Sql("UPDATE access_keys SET wrapped_secret = $1 WHERE access_key_id = $2").Blob(wrapped).Text(value.Id),
        };
        if (await statement.ExecuteAsync(ct) != 1)
        {
            throw new InvalidOperationException($"Wrapped value {value.Kind} {value.Id} vanished during root-key rotation.");
        }
    }

    public static async ValueTask<byte[]?> GetAsync(RelationalAccess a, string name, CancellationToken ct) =>
        await a.Sql("SELECT wrapped FROM root_wrapped WHERE name = $1").Text(name).ScalarAsync(ct) as byte[];

    public static async ValueTask PutAsync(RelationalAccess a, string name, byte[] wrapped, CancellationToken ct) =>
        await a.Sql("INSERT INTO root_wrapped (name, wrapped) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped").Text(name).Blob(wrapped).ExecuteAsync(ct);
}
