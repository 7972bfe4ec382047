using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Strongroom.Core.Audit;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Relational;

/// <summary>
/// The audit trail (numbered and chained by Core, ADR 0005), its resource-name index filled behind it (ADR 0007), and
/// its signed digests. Appends and index passes run inside the store's write transaction, under its writer
/// serialisation, so the head read before an append is the newest of every writer's commits.
/// </summary>
internal static class AuditSql
{
    private const string Columns = "seq, event_id, event_time_ms, event_name, event_source, username, access_key_id, read_only, resource_name, resource_type, record, hash";
    private const string Insert = $"INSERT INTO audit_events ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

    /// <summary><see cref="Columns"/> of the trail aliased <c>e</c>.</summary>
    private static readonly string ColumnsOfE = "e." + Columns.Replace(", ", ", e.", StringComparison.Ordinal);

    private static readonly DbType[] InsertTypes =
    [
        DbType.Int64, DbType.String, DbType.Int64, DbType.String, DbType.String, DbType.String,
        DbType.String, DbType.Boolean, DbType.String, DbType.String, DbType.String, DbType.Binary,
    ];

    private static AuditRow Read(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetMs(2), r.GetString(3), r.GetString(4), r.GetStringOrNull(5), r.GetStringOrNull(6), r.GetBoolean(7),
        r.GetStringOrNull(8), r.GetStringOrNull(9), r.GetString(10), r.GetBlob(11));

    private static void SetValues(DbParameterCollection p, AuditRow row)
    {
        p[0].Value = row.Seq;
        p[1].Value = row.EventId;
        p[2].Value = row.EventTime.ToUnixTimeMilliseconds();
        p[3].Value = row.EventName;
        p[4].Value = row.EventSource;
        p[5].Value = (object?)row.Username ?? DBNull.Value;
        p[6].Value = (object?)row.AccessKeyId ?? DBNull.Value;
        p[7].Value = row.ReadOnly;
        p[8].Value = (object?)row.ResourceName ?? DBNull.Value;
        p[9].Value = (object?)row.ResourceType ?? DBNull.Value;
        p[10].Value = row.Record;
        p[11].Value = row.Hash;
    }

    private static void AddInsertParameters(SqlDialect dialect, DbParameterCollection parameters, Func<DbParameter> create)
    {
        for (var i = 0; i < InsertTypes.Length; i++)
        {
            var parameter = create();
            parameter.ParameterName = dialect.ParameterName(i + 1);
            parameter.DbType = InsertTypes[i];
            parameters.Add(parameter);
        }
    }

    /// <summary>
    /// Inserts numbered, chained rows: in process, one prepared statement run per row; across the network, one batch
    /// (one round trip) for them all.
    /// </summary>
    public static async ValueTask AppendAsync(RelationalAccess a, IReadOnlyList<AuditRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        if (a.Dialect.InProcess)
        {
            await using var command = a.Command(Insert);
            AddInsertParameters(a.Dialect, command.Parameters, command.CreateParameter);
            foreach (var row in rows)
            {
                SetValues(command.Parameters, row);
                command.ExecuteNonQuery();
            }

            return;
        }

        await using var batch = a.Batch();
        foreach (var row in rows)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = Insert;
            AddInsertParameters(a.Dialect, command.Parameters, command.CreateParameter);
            SetValues(command.Parameters, row);
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(ct);
    }

    public static ValueTask<AuditRow?> LastAsync(RelationalAccess a, CancellationToken ct) =>
        a.Sql($"SELECT {Columns} FROM audit_events ORDER BY seq DESC LIMIT 1").FirstAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<AuditRow>> ReadAsync(RelationalAccess a, long afterSeq, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2").Int64(afterSeq).Int64(limit).ListAsync(Read, ct);

    /// <summary>LookupEvents: newest first, by one attribute (ResourceName through the index), time bounds and a position.</summary>
    public static async ValueTask<IReadOnlyList<AuditRow>> QueryAsync(RelationalAccess a, AuditQuery q, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (q.AttributeKey == "ResourceName")
        {
            return await QueryByResourceAsync(a, q, ct);
        }

        // $1 limit, then the attribute, the time bounds and the position as they apply.
        var where = new StringBuilder("WHERE 1 = 1");
        var next = 2;
        if (q.AttributeKey is not null)
        {
            var column = q.AttributeKey switch
            {
                "EventId" => "event_id",
                "EventName" => "event_name",
                "ReadOnly" => "read_only",
                "Username" => "username",
                "ResourceType" => "resource_type",
                "EventSource" => "event_source",
                _ => "access_key_id",
            };
            where.Append(CultureInfo.InvariantCulture, $" AND {column} = ${next++}");
        }

        AppendTimeBounds(where, q, "event_time_ms", ref next);
        if (q.BeforeSeq is not null)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND seq < ${next}");
        }

        var statement = a.Sql($"SELECT {Columns} FROM audit_events {where} ORDER BY seq DESC LIMIT $1").Int64(q.Limit);
        if (q.AttributeKey == "ReadOnly")
        {
            statement = statement.Bool(string.Equals(q.AttributeValue, "true", StringComparison.OrdinalIgnoreCase));
        }
        else if (q.AttributeKey is not null)
        {
            statement = statement.Text(q.AttributeValue);
        }

        statement = BindTimeBounds(statement, q);
        if (q.BeforeSeq is not null)
        {
            statement = statement.Int64(q.BeforeSeq);
        }

        return await statement.ListAsync(Read, ct);
    }

    /// <summary>LookupEvents' StartTime/EndTime as conditions on <paramref name="column"/>, numbered from <paramref name="next"/>.</summary>
    private static void AppendTimeBounds(StringBuilder where, AuditQuery q, string column, ref int next)
    {
        if (q.StartTime is not null)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND {column} >= ${next++}");
        }

        if (q.EndTime is not null)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND {column} <= ${next++}");
        }
    }

    private static Statement BindTimeBounds(Statement statement, AuditQuery q)
    {
        if (q.StartTime is not null)
        {
            statement = statement.Ms(q.StartTime);
        }

        return q.EndTime is not null ? statement.Ms(q.EndTime) : statement;
    }

    /// <summary>LookupEvents by ResourceName: the trail's unindexed tail first, then the index, bucket by bucket, newest first.</summary>
    private static async ValueTask<IReadOnlyList<AuditRow>> QueryByResourceAsync(RelationalAccess a, AuditQuery q, CancellationToken ct)
    {
        var indexedTo = AuditResourceIndex.ParseSetting(await SettingsSql.GetAsync(a, AuditResourceIndex.Setting, ct));
        var before = q.BeforeSeq ?? long.MaxValue;

        // $1 value, $2 before, then the time bounds, then each query's own.
        var time = new StringBuilder();
        var next = 3;
        AppendTimeBounds(time, q, "e.event_time_ms", ref next);
        var rows = await BindTimeBounds(a.Sql(
                    $"SELECT {ColumnsOfE} FROM audit_events e WHERE e.seq > ${next} AND e.seq < $2 AND e.resource_name = $1{time} ORDER BY e.seq DESC LIMIT ${next + 1}")
                .Text(q.AttributeValue).Int64(before), q)
            .Int64(indexedTo).Int64(q.Limit).ListAsync(Read, ct);
        var top = Math.Min(indexedTo, before - 1);
        if (rows.Count >= q.Limit || top <= 0)
        {
            return rows;
        }

        var lowest = await a.Sql("SELECT COALESCE(MIN(seq), 0) FROM audit_events").Int64ScalarAsync(ct);
        for (var bucket = AuditResourceIndex.Bucket(top); bucket >= AuditResourceIndex.Bucket(lowest) && rows.Count < q.Limit; bucket--)
        {
            rows.AddRange(await BindTimeBounds(a.Sql(
                        $"SELECT {ColumnsOfE} FROM audit_resources r JOIN audit_events e ON e.seq = r.seq " +
                        $"WHERE r.bucket = ${next} AND r.resource_name = $1 AND r.seq <= ${next + 1} AND r.seq < $2{time} ORDER BY r.seq DESC LIMIT ${next + 2}")
                    .Text(q.AttributeValue).Int64(before), q)
                .Int64(bucket).Int64(top).Int64(q.Limit - rows.Count).ListAsync(Read, ct));
        }

        return rows;
    }

    /// <summary>Deletes the archived records FromSeq..ToSeq and their index entries.</summary>
    public static async ValueTask DeleteRangeAsync(RelationalAccess a, long fromSeq, long toSeq, CancellationToken ct)
    {
        await a.Sql("DELETE FROM audit_resources WHERE bucket >= $1 AND bucket <= $2 AND seq >= $3 AND seq <= $4")
            .Int64(AuditResourceIndex.Bucket(fromSeq)).Int64(AuditResourceIndex.Bucket(toSeq)).Int64(fromSeq).Int64(toSeq).ExecuteAsync(ct);
        await a.Sql("DELETE FROM audit_events WHERE seq >= $1 AND seq <= $2").Int64(fromSeq).Int64(toSeq).ExecuteAsync(ct);
    }

    /// <summary>
    /// The resource-name indexing pass (<see cref="AuditResourceIndex"/>): when the trail has grown by
    /// <see cref="AuditResourceIndex.IndexEvery"/> records past the index, copies the names of records up to
    /// <paramref name="toSeq"/> into it. Returns the sequence number the index now reaches. Call inside a write transaction.
    /// </summary>
    public static async ValueTask<long> IndexResourcesAsync(RelationalAccess a, long toSeq, CancellationToken ct)
    {
        var from = AuditResourceIndex.ParseSetting(await SettingsSql.GetAsync(a, AuditResourceIndex.Setting, ct));
        if (toSeq - from < AuditResourceIndex.IndexEvery)
        {
            return from;
        }

        await a.Sql(
                $"INSERT INTO audit_resources (bucket, resource_name, seq) SELECT seq >> {AuditResourceIndex.BucketBits}, resource_name, seq FROM audit_events " +
                "WHERE seq > $1 AND seq <= $2 AND resource_name IS NOT NULL")
            .Int64(from).Int64(toSeq).ExecuteAsync(ct);
        await SettingsSql.SetAsync(a, AuditResourceIndex.Setting, AuditResourceIndex.FormatSetting(toSeq), ct);
        return toSeq;
    }

    public static ValueTask<long> LastDigestToSeqAsync(RelationalAccess a, CancellationToken ct) =>
        a.Sql("SELECT COALESCE(MAX(to_seq), 0) FROM audit_digests").Int64ScalarAsync(ct);

    public static async ValueTask InsertDigestAsync(RelationalAccess a, AuditDigest d, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(d);
        await a.Sql("INSERT INTO audit_digests (to_seq, from_seq, last_hash, created_ms, previous_digest_hash, signature) VALUES ($1, $2, $3, $4, $5, $6)")
            .Int64(d.ToSeq).Int64(d.FromSeq).Blob(d.LastHash).Ms(d.CreatedDate).Blob(d.PreviousDigestHash).Blob(d.Signature)
            .ExecuteAsync(ct);
    }

    public static async ValueTask<IReadOnlyList<AuditDigest>> ListDigestsAsync(RelationalAccess a, CancellationToken ct) =>
        await a.Sql("SELECT from_seq, to_seq, last_hash, created_ms, previous_digest_hash, signature FROM audit_digests ORDER BY to_seq")
            .ListAsync(static r => new AuditDigest(r.GetInt64(0), r.GetInt64(1), r.GetBlob(2), r.GetMs(3), r.GetBlob(4), r.GetBlob(5)), ct);

    /// <summary>Counts for operators' gauges (scans; scrape time only).</summary>
    public static async ValueTask<StoreStatistics> StatisticsAsync(RelationalAccess a, CancellationToken ct) => new(
        await a.Sql("SELECT COUNT(*) FROM secrets").Int64ScalarAsync(ct),
        await a.Sql("SELECT COUNT(*) FROM versions").Int64ScalarAsync(ct),
        await a.Sql("SELECT COUNT(*) FROM kms_keys").Int64ScalarAsync(ct),
        await a.Sql("SELECT COUNT(*) FROM kms_key_versions").Int64ScalarAsync(ct),
        await a.Sql("SELECT COALESCE(MAX(seq), 0) FROM audit_events").Int64ScalarAsync(ct),
        await a.Sql("SELECT COALESCE(MAX(to_seq), 0) FROM audit_digests").Int64ScalarAsync(ct));
}
