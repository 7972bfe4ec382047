using System.Globalization;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Relational;

/// <summary>
/// Values wrapped by the root key under a binding the store can name — KMS key material, named values (the audit
/// signing key) — for root-key rotation. Access-key secrets are not among them: their binding names their principal,
/// so rotation re-wraps them from the access-key rows themselves (<c>IdentitySql.ListAllAccessKeysAsync</c>).
/// </summary>
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
        return list;
    }

    public static async ValueTask ReplaceAsync(RelationalAccess a, RootWrappedValue value, byte[] wrapped, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(value);
        var statement = value.Kind switch
        {
            "kms" => a.Sql("UPDATE kms_key_versions SET wrapped = $1 WHERE key_id = $2 AND version = $3").Blob(wrapped).Text(value.Id).Int64(value.Version),
            "named" => a.Sql("UPDATE root_wrapped SET wrapped = $1 WHERE name = $2").Blob(wrapped).Text(value.Id),
            _ => throw new ArgumentException($"No root-wrapped values of kind {value.Kind}.", nameof(value)),
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
