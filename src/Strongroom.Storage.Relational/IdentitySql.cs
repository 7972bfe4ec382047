using System.Data.Common;
using Strongroom.Core.Identity;

namespace Strongroom.Storage.Relational;

/// <summary>Access keys (the secret wrapped by the root key) and IAM entities (kind, name, and Core's JSON document, stored as given).</summary>
internal static class IdentitySql
{
    private const string AccessKeyColumns = "access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms";

    private static AccessKeyRecord ReadAccessKey(DbDataReader r) => new()
    {
        AccessKeyId = r.GetString(0),
        WrappedSecret = r.GetBlob(1),
        PrincipalArn = r.GetString(2),
        UserName = r.GetString(3),
        Status = r.GetString(4),
        CreatedDate = r.GetMs(5),
    };

    public static ValueTask<AccessKeyRecord?> FindAccessKeyAsync(RelationalAccess a, string accessKeyId, CancellationToken ct) =>
        a.Sql($"SELECT {AccessKeyColumns} FROM access_keys WHERE access_key_id = $1").Text(accessKeyId).FirstAsync(ReadAccessKey, ct);

    public static async ValueTask<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(RelationalAccess a, string userName, CancellationToken ct) =>
        await a.Sql($"SELECT {AccessKeyColumns} FROM access_keys WHERE user_name = $1 ORDER BY created_ms, access_key_id").Text(userName).ListAsync(ReadAccessKey, ct);

    /// <summary>Inserts the key, or updates all but its creation date.</summary>
    public static async ValueTask UpsertAccessKeyAsync(RelationalAccess a, AccessKeyRecord accessKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(accessKey);
        await a.Sql(
                $"INSERT INTO access_keys ({AccessKeyColumns}) VALUES ($1, $2, $3, $4, $5, $6) " +
                "ON CONFLICT (access_key_id) DO UPDATE SET wrapped_secret = excluded.wrapped_secret, principal_arn = excluded.principal_arn, user_name = excluded.user_name, status = excluded.status")
            .Text(accessKey.AccessKeyId).Blob(accessKey.WrappedSecret).Text(accessKey.PrincipalArn).Text(accessKey.UserName).Text(accessKey.Status).Ms(accessKey.CreatedDate)
            .ExecuteAsync(ct);
    }

    public static async ValueTask DeleteAccessKeyAsync(RelationalAccess a, string accessKeyId, CancellationToken ct) =>
        await a.Sql("DELETE FROM access_keys WHERE access_key_id = $1").Text(accessKeyId).ExecuteAsync(ct);

    public static async ValueTask<string?> FindEntityAsync(RelationalAccess a, string kind, string name, CancellationToken ct) =>
        await a.Sql("SELECT json FROM iam_entities WHERE kind = $1 AND name = $2").Text(kind).Text(name).ScalarAsync(ct) as string;

    public static async ValueTask<IReadOnlyList<string>> ListEntitiesAsync(RelationalAccess a, string kind, CancellationToken ct) =>
        await a.Sql("SELECT json FROM iam_entities WHERE kind = $1 ORDER BY name").Text(kind).ListAsync(static r => r.GetString(0), ct);

    public static async ValueTask PutEntityAsync(RelationalAccess a, string kind, string name, string json, CancellationToken ct) =>
        await a.Sql("INSERT INTO iam_entities (kind, name, json) VALUES ($1, $2, $3) ON CONFLICT (kind, name) DO UPDATE SET json = excluded.json")
            .Text(kind).Text(name).Text(json).ExecuteAsync(ct);

    public static async ValueTask DeleteEntityAsync(RelationalAccess a, string kind, string name, CancellationToken ct) =>
        await a.Sql("DELETE FROM iam_entities WHERE kind = $1 AND name = $2").Text(kind).Text(name).ExecuteAsync(ct);
}
