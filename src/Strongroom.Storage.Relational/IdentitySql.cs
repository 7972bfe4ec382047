using System.Data.Common;
using Strongroom.Core.Identity;

namespace Strongroom.Storage.Relational;

/// <summary>
/// Access keys (the secret wrapped by the root key, the principal it is bound to, the row's integrity tag) and IAM entities
/// (kind, name, Core's JSON document stored as given, and its integrity tag). Tags are computed and checked by Core
/// (<c>IamRecords</c>); the store keeps them, unverified, and a row written before they existed reads with null.
/// </summary>
internal static class IdentitySql
{
    private const string AccessKeyColumns = "access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms, principal_id, mac";

    private const string EntityColumns = "kind, name, json, mac";

    private static AccessKeyRecord ReadAccessKey(DbDataReader r) => new()
    {
        AccessKeyId = r.GetString(0),
        WrappedSecret = r.GetBlob(1),
        PrincipalArn = r.GetString(2),
        UserName = r.GetString(3),
        Status = r.GetString(4),
        CreatedDate = r.GetMs(5),
        PrincipalId = r.GetStringOrNull(6),
        Mac = r.GetBlobOrNull(7),
    };

    private static IamEntityRow ReadEntity(DbDataReader r) => new(IamEntityKinds.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetBlobOrNull(3));

    public static ValueTask<AccessKeyRecord?> FindAccessKeyAsync(RelationalAccess a, string accessKeyId, CancellationToken ct) =>
        a.Sql($"SELECT {AccessKeyColumns} FROM access_keys WHERE access_key_id = $1").Text(accessKeyId).FirstAsync(ReadAccessKey, ct);

    public static async ValueTask<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(RelationalAccess a, string userName, CancellationToken ct) =>
        await a.Sql($"SELECT {AccessKeyColumns} FROM access_keys WHERE user_name = $1 ORDER BY created_ms, access_key_id").Text(userName).ListAsync(ReadAccessKey, ct);

    /// <summary>Every access key (users' and sessions'), by id.</summary>
    public static async ValueTask<IReadOnlyList<AccessKeyRecord>> ListAllAccessKeysAsync(RelationalAccess a, CancellationToken ct) =>
        await a.Sql($"SELECT {AccessKeyColumns} FROM access_keys ORDER BY access_key_id").ListAsync(ReadAccessKey, ct);

    /// <summary>Inserts the key, or updates all but its creation date.</summary>
    public static async ValueTask UpsertAccessKeyAsync(RelationalAccess a, AccessKeyRecord accessKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(accessKey);
        await a.Sql(
                $"INSERT INTO access_keys ({AccessKeyColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) " +
                "ON CONFLICT (access_key_id) DO UPDATE SET wrapped_secret = excluded.wrapped_secret, principal_arn = excluded.principal_arn, user_name = excluded.user_name, status = excluded.status, " +
                "principal_id = excluded.principal_id, mac = excluded.mac")
            .Text(accessKey.AccessKeyId).Blob(accessKey.WrappedSecret).Text(accessKey.PrincipalArn).Text(accessKey.UserName).Text(accessKey.Status).Ms(accessKey.CreatedDate)
            .Text(accessKey.PrincipalId).Blob(accessKey.Mac)
            .ExecuteAsync(ct);
    }

    public static async ValueTask DeleteAccessKeyAsync(RelationalAccess a, string accessKeyId, CancellationToken ct) =>
        await a.Sql("DELETE FROM access_keys WHERE access_key_id = $1").Text(accessKeyId).ExecuteAsync(ct);

    public static ValueTask<IamEntityRow?> FindEntityAsync(RelationalAccess a, IamEntityKind kind, string name, CancellationToken ct) =>
        a.Sql($"SELECT {EntityColumns} FROM iam_entities WHERE kind = $1 AND name = $2").Text(IamEntityKinds.ToStored(kind)).Text(name).FirstAsync(ReadEntity, ct);

    /// <summary>The rows of one kind by name, or of every kind (<paramref name="kind"/> null) by kind and name.</summary>
    public static async ValueTask<IReadOnlyList<IamEntityRow>> ListEntitiesAsync(RelationalAccess a, IamEntityKind? kind, CancellationToken ct) => kind is null
        ? await a.Sql($"SELECT {EntityColumns} FROM iam_entities ORDER BY kind, name").ListAsync(ReadEntity, ct)
        : await a.Sql($"SELECT {EntityColumns} FROM iam_entities WHERE kind = $1 ORDER BY name").Text(IamEntityKinds.ToStored(kind.Value)).ListAsync(ReadEntity, ct);

    /// <summary>Inserts the row or replaces its JSON and tag.</summary>
    public static async ValueTask PutEntityAsync(RelationalAccess a, IamEntityRow row, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(row);
        await a.Sql($"INSERT INTO iam_entities ({EntityColumns}) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, name) DO UPDATE SET json = excluded.json, mac = excluded.mac")
            .Text(IamEntityKinds.ToStored(row.Kind)).Text(row.Name).Text(row.Json).Blob(row.Mac).ExecuteAsync(ct);
    }

    public static async ValueTask DeleteEntityAsync(RelationalAccess a, IamEntityKind kind, string name, CancellationToken ct) =>
        await a.Sql("DELETE FROM iam_entities WHERE kind = $1 AND name = $2").Text(IamEntityKinds.ToStored(kind)).Text(name).ExecuteAsync(ct);
}
