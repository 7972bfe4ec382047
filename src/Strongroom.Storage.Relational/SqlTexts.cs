namespace Strongroom.Storage.Relational;

/// <summary>
/// The few statements whose text depends on the dialect, composed once per dialect (they sit on hot paths, so they
/// are not concatenated per call). Every other statement is a constant in its aggregate's class.
/// </summary>
internal sealed class SqlTexts
{
    public SqlTexts(SqlDialect dialect)
    {
        SelectSetting = $"SELECT value FROM {dialect.SettingsTable(auditSetting: false)} WHERE key = $1";
        SelectAuditSetting = $"SELECT value FROM {dialect.SettingsTable(auditSetting: true)} WHERE key = $1";
        UpsertSetting = $"INSERT INTO {dialect.SettingsTable(auditSetting: false)} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        UpsertAuditSetting = $"INSERT INTO {dialect.SettingsTable(auditSetting: true)} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

        // A version with its stages in one statement where the database has arrays (one round trip on GetSecretValue's
        // read path); otherwise the stages are a second, prepared statement.
        var stages = dialect.ArrayOf("SELECT s.stage FROM stages s WHERE s.secret_id = v.secret_id AND s.version_id = v.version_id ORDER BY s.stage");
        VersionHasStages = stages is not null;
        var columns = "v.version_id, v.created_ms, v.accessed_ms, v.envelope, v.kms_key_arn" + (stages is null ? string.Empty : ", " + stages);
        VersionById = $"SELECT {columns} FROM versions v WHERE v.secret_id = $1 AND v.version_id = $2";
        VersionByStage = $"SELECT {columns} FROM versions v WHERE v.secret_id = $1 AND v.version_id = (SELECT version_id FROM stages WHERE secret_id = $1 AND stage = $2)";

        StageMaps = $"SELECT secret_id, version_id, stage FROM stages WHERE {dialect.IsOneOf("secret_id", "$1")} ORDER BY secret_id, version_id, stage";
    }

    public string SelectSetting { get; }

    public string SelectAuditSetting { get; }

    public string UpsertSetting { get; }

    public string UpsertAuditSetting { get; }

    /// <summary>True when <see cref="VersionById"/> and <see cref="VersionByStage"/> carry the stages as a sixth column.</summary>
    public bool VersionHasStages { get; }

    public string VersionById { get; }

    public string VersionByStage { get; }

    public string StageMaps { get; }
}
