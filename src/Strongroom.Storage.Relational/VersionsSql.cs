using System.Data.Common;
using Strongroom.Core.Secrets;

namespace Strongroom.Storage.Relational;

/// <summary>
/// Secret versions and their staging labels. A label is a row keyed by (secret, label), so the database itself refuses
/// a second holder of one label.
/// </summary>
internal static class VersionsSql
{
    private const string StagesOfVersion = "SELECT stage FROM stages WHERE secret_id = $1 AND version_id = $2 ORDER BY stage";

    private static SecretVersionRecord Read(DbDataReader r) => new()
    {
        VersionId = r.GetString(0),
        CreatedDate = r.GetMs(1),
        LastAccessedDate = r.GetMsOrNull(2),
        Envelope = r.GetBlobOrNull(3),
        KmsKeyArn = r.GetStringOrNull(4),
    };

    private static SecretVersionRecord ReadWithStages(DbDataReader r)
    {
        var version = Read(r);
        version.Stages = [.. r.GetFieldValue<string[]>(5)];
        return version;
    }

    public static ValueTask<SecretVersionRecord?> FindByIdAsync(RelationalAccess a, long secretId, string versionId, CancellationToken ct) =>
        FindAsync(a, a.Dialect.Texts.VersionById, secretId, versionId, ct);

    /// <summary>The version holding <paramref name="stage"/>: GetSecretValue's read path.</summary>
    public static ValueTask<SecretVersionRecord?> FindByStageAsync(RelationalAccess a, long secretId, string stage, CancellationToken ct) =>
        FindAsync(a, a.Dialect.Texts.VersionByStage, secretId, stage, ct);

    private static ValueTask<SecretVersionRecord?> FindAsync(RelationalAccess a, string sql, long secretId, string key, CancellationToken ct)
    {
        var statement = a.Sql(sql).Int64(secretId).Text(key);
        if (a.Dialect.Texts.VersionHasStages)
        {
            return statement.FirstAsync(ReadWithStages, ct);
        }

        // The stages are read while the version's statement is still open: one snapshot for both, one read transaction.
        return statement.FirstAsync(
            Read,
            static async (version, s, ct) => version.Stages = await s.a.Sql(StagesOfVersion).Int64(s.secretId).Text(version.VersionId).ListAsync(static r => r.GetString(0), ct),
            (a, secretId),
            ct);
    }

    public static async ValueTask<IReadOnlyList<SecretVersionRecord>> ListAsync(RelationalAccess a, long secretId, CancellationToken ct)
    {
        var versions = await a.Sql("SELECT version_id, created_ms, accessed_ms, envelope, kms_key_arn FROM versions WHERE secret_id = $1 ORDER BY created_ms, version_id")
            .Int64(secretId).ListAsync(Read, ct);
        var byId = versions.ToDictionary(v => v.VersionId, StringComparer.Ordinal);
        var stages = await a.Sql("SELECT stage, version_id FROM stages WHERE secret_id = $1 ORDER BY stage")
            .Int64(secretId).ListAsync(static r => (Stage: r.GetString(0), VersionId: r.GetString(1)), ct);
        foreach (var (stage, versionId) in stages)
        {
            if (byId.TryGetValue(versionId, out var version))
            {
                version.Stages.Add(stage);
            }
        }

        return versions;
    }

    /// <summary>Stage maps (version id → stages) of many secrets at once, for listings.</summary>
    public static async ValueTask<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> StageMapsAsync(RelationalAccess a, IReadOnlyCollection<long> secretIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(secretIds);
        var maps = new Dictionary<long, Dictionary<string, List<string>>>();
        if (secretIds.Count == 0)
        {
            return maps;
        }

        var rows = await a.Sql(a.Dialect.Texts.StageMaps).Ids(secretIds).ListAsync(static r => (Id: r.GetInt64(0), VersionId: r.GetString(1), Stage: r.GetString(2)), ct);
        foreach (var (id, versionId, stage) in rows)
        {
            if (!maps.TryGetValue(id, out var map))
            {
                map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                maps[id] = map;
            }

            if (!map.TryGetValue(versionId, out var stages))
            {
                stages = [];
                map[versionId] = stages;
            }

            stages.Add(stage);
        }

        return maps;
    }

    public static async ValueTask InsertAsync(RelationalAccess a, long secretId, SecretVersionRecord version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(version);
        await a.Sql("INSERT INTO versions (secret_id, version_id, created_ms, accessed_ms, envelope, kms_key_arn) VALUES ($1, $2, $3, $4, $5, $6)")
            .Int64(secretId).Text(version.VersionId).Ms(version.CreatedDate).Ms(version.LastAccessedDate).Blob(version.Envelope).Text(version.KmsKeyArn)
            .ExecuteAsync(ct);
    }

    public static async ValueTask UpdateValueAsync(RelationalAccess a, long secretId, string versionId, byte[] envelope, string kmsKeyArn, CancellationToken ct) =>
        await a.Sql("UPDATE versions SET envelope = $1, kms_key_arn = $2 WHERE secret_id = $3 AND version_id = $4")
            .Blob(envelope).Text(kmsKeyArn).Int64(secretId).Text(versionId).ExecuteAsync(ct);

    public static async ValueTask DeleteAsync(RelationalAccess a, long secretId, string versionId, CancellationToken ct)
    {
        await a.Sql("DELETE FROM stages WHERE secret_id = $1 AND version_id = $2").Int64(secretId).Text(versionId).ExecuteAsync(ct);
        await a.Sql("DELETE FROM versions WHERE secret_id = $1 AND version_id = $2").Int64(secretId).Text(versionId).ExecuteAsync(ct);
    }

    public static async ValueTask ReplaceStagesAsync(RelationalAccess a, long secretId, IEnumerable<KeyValuePair<string, string>> stageToVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stageToVersion);
        await a.Sql("DELETE FROM stages WHERE secret_id = $1").Int64(secretId).ExecuteAsync(ct);
        foreach (var pair in stageToVersion)
        {
            // The primary key (secret_id, stage) makes a second holder of one label a constraint violation.
            await a.Sql("INSERT INTO stages (secret_id, stage, version_id) VALUES ($1, $2, $3)").Int64(secretId).Text(pair.Key).Text(pair.Value).ExecuteAsync(ct);
        }
    }
}
