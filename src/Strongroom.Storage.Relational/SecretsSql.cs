using System.Data.Common;
using System.Globalization;
using System.Text;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Relational;

/// <summary>The secrets table: listable, sortable facts as columns, everything else in the meta JSON (<see cref="SecretMeta"/>, ADR 0002).</summary>
internal static class SecretsSql
{
    private const string Columns = "id, region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta";
    private const string ByName = $"SELECT {Columns} FROM secrets WHERE region = $1 AND name = $2";
    private const string ByArn = $"SELECT {Columns} FROM secrets WHERE arn = $1";

    // The ARN is the partial ARN, '-', and a 6-character suffix. Range on the unique ARN index, then exact shape.
    private const string ByPartialArn = $"SELECT {Columns} FROM secrets WHERE arn > $1 AND arn < $2 AND length(arn) = $3";
    private const string DueForDeletion = $"SELECT {Columns} FROM secrets WHERE deleted_ms IS NOT NULL AND deleted_ms <= $1 ORDER BY deleted_ms LIMIT $2";
    private const string DueForRotation = $"SELECT {Columns} FROM secrets WHERE rotation_due_ms IS NOT NULL AND rotation_due_ms <= $1 ORDER BY rotation_due_ms LIMIT $2";

    private const string Insert =
        "INSERT INTO secrets (region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta, rotation_due_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

    private const string Update = "UPDATE secrets SET changed_ms = $1, accessed_ms = $2, deleted_ms = $3, meta = $4, rotation_due_ms = $5 WHERE id = $6";
    private const string SecretAccessed = "UPDATE secrets SET accessed_ms = $1 WHERE id = $2 AND (accessed_ms IS NULL OR accessed_ms < $1)";
    private const string VersionAccessed = "UPDATE versions SET accessed_ms = $1 WHERE secret_id = $2 AND version_id = $3 AND (accessed_ms IS NULL OR accessed_ms < $1)";

    private static SecretRecord Read(DbDataReader r)
    {
        var secret = new SecretRecord
        {
            Id = r.GetInt64(0),
            Region = r.GetString(1),
            Name = r.GetString(2),
            Arn = r.GetString(3),
            CreatedDate = r.GetMs(4),
            LastChangedDate = r.GetMs(5),
            LastAccessedDate = r.GetMsOrNull(6),
            DeletedDate = r.GetMsOrNull(7),
        };
        SecretMeta.Read(r.GetString(8), secret);
        return secret;
    }

    public static ValueTask<SecretRecord?> FindByNameAsync(RelationalAccess a, string region, string name, CancellationToken ct) =>
        a.Sql(ByName).Text(region).Text(name).FirstAsync(Read, ct);

    public static ValueTask<SecretRecord?> FindByArnAsync(RelationalAccess a, string arn, CancellationToken ct) =>
        a.Sql(ByArn).Text(arn).FirstAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<SecretRecord>> FindByPartialArnAsync(RelationalAccess a, string partialArn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(partialArn);
        return await a.Sql(ByPartialArn).Text(partialArn + "-").Text(partialArn + "-\u007f").Int64(partialArn.Length + 7).ListAsync(Read, ct);
    }

    public static async ValueTask<IReadOnlyList<SecretRecord>> DueForDeletionAsync(RelationalAccess a, DateTimeOffset now, int limit, CancellationToken ct) =>
        await a.Sql(DueForDeletion).Ms(now).Int64(limit).ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<SecretRecord>> DueForRotationAsync(RelationalAccess a, DateTimeOffset windowEndsBy, int limit, CancellationToken ct) =>
        await a.Sql(DueForRotation).Ms(windowEndsBy).Int64(limit).ListAsync(Read, ct);

    /// <summary>One page of a region's secrets in keyset order (the sort column, then id), after the scan's position.</summary>
    public static async ValueTask<IReadOnlyList<SecretRecord>> ScanAsync(RelationalAccess a, SecretScan scan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var column = scan.SortBy switch
        {
            SecretSortKey.Name => "name",
            SecretSortKey.LastChangedDate => "changed_ms",
            SecretSortKey.LastAccessedDate => "COALESCE(accessed_ms, 0)",
            _ => "created_ms",
        };
        var dir = scan.Ascending ? "ASC" : "DESC";
        var cmp = scan.Ascending ? ">" : "<";

        // $1 region, $2 limit, then the prefix range ($3, $4) and the position (value, id) as they apply.
        var sql = new StringBuilder($"SELECT {Columns} FROM secrets WHERE region = $1");
        var next = 3;
        if (!scan.IncludeDeleted)
        {
            sql.Append(" AND deleted_ms IS NULL");
        }

        var prefix = scan.NamePrefix is { Length: > 0 };
        if (prefix)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND name >= ${next} AND name < ${next + 1}");
            next += 2;
        }

        if (scan.AfterId is not null)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND ({column} {cmp} ${next} OR ({column} = ${next} AND id {cmp} ${next + 1}))");
        }

        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY {column} {dir}, id {dir} LIMIT $2");
        var statement = a.Sql(sql.ToString()).Text(scan.Region).Int64(scan.Limit);
        if (prefix)
        {
            statement = statement.Text(scan.NamePrefix).Text(scan.NamePrefix + "\u007f");
        }

        if (scan.AfterId is not null)
        {
            statement = (scan.SortBy == SecretSortKey.Name ? statement.Text(scan.AfterName) : statement.Int64(scan.AfterValue)).Int64(scan.AfterId);
        }

        return await statement.ListAsync(Read, ct);
    }

    public static async ValueTask InsertAsync(RelationalAccess a, SecretRecord secret, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(secret);
        secret.Id = (long)(await a.Sql(Insert)
            .Text(secret.Region).Text(secret.Name).Text(secret.Arn).Ms(secret.CreatedDate).Ms(secret.LastChangedDate).Ms(secret.LastAccessedDate).Ms(secret.DeletedDate)
            .Text(SecretMeta.Write(secret)).Int64(RotationDueMs(secret))
            .ScalarAsync(ct))!;
    }

    public static async ValueTask UpdateAsync(RelationalAccess a, SecretRecord secret, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(secret);
        await a.Sql(Update)
            .Ms(secret.LastChangedDate).Ms(secret.LastAccessedDate).Ms(secret.DeletedDate).Text(SecretMeta.Write(secret)).Int64(RotationDueMs(secret)).Int64(secret.Id)
            .ExecuteAsync(ct);
    }

    /// <summary>The scheduler's index: when the secret's next rotation window ends, for primaries with rotation on.</summary>
    private static long? RotationDueMs(SecretRecord secret) =>
        secret.RotationEnabled == true && secret.DeletedDate is null && !secret.IsReplica ? secret.NextRotationDate?.ToUnixTimeMilliseconds() : null;

    public static async ValueTask DeleteAsync(RelationalAccess a, long secretId, CancellationToken ct)
    {
        await a.Sql("DELETE FROM stages WHERE secret_id = $1").Int64(secretId).ExecuteAsync(ct);
        await a.Sql("DELETE FROM versions WHERE secret_id = $1").Int64(secretId).ExecuteAsync(ct);
        await a.Sql("DELETE FROM secrets WHERE id = $1").Int64(secretId).ExecuteAsync(ct);
    }

    /// <summary>
    /// Moves the secret's and the version's LastAccessedDate forward to <paramref name="day"/> (never back), so it is
    /// idempotent and needs no lock: a store may run it outside its write serialisation, statement by statement.
    /// </summary>
    public static async ValueTask RecordAccessAsync(RelationalAccess a, long secretId, string versionId, DateTimeOffset day, CancellationToken ct)
    {
        await a.Sql(SecretAccessed).Ms(day).Int64(secretId).ExecuteAsync(ct);
        await a.Sql(VersionAccessed).Ms(day).Int64(secretId).Text(versionId).ExecuteAsync(ct);
    }
}
