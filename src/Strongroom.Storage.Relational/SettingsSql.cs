namespace Strongroom.Storage.Relational;

/// <summary>The settings table: keys and values, both text.</summary>
internal static class SettingsSql
{
    /// <summary>Settings of the audit trail (where the archive ends, how far the resource index reaches), kept with it where the trail has its own file.</summary>
    public static bool IsAuditSetting(string key) => key.StartsWith("audit_", StringComparison.Ordinal);

    public static async ValueTask<string?> GetAsync(RelationalAccess a, string key, CancellationToken ct)
    {
        var texts = a.Dialect.Texts;
        return await a.Sql(IsAuditSetting(key) ? texts.SelectAuditSetting : texts.SelectSetting).Text(key).ScalarAsync(ct) as string;
    }

    public static async ValueTask SetAsync(RelationalAccess a, string key, string value, CancellationToken ct)
    {
        var texts = a.Dialect.Texts;
        await a.Sql(IsAuditSetting(key) ? texts.UpsertAuditSetting : texts.UpsertSetting).Text(key).Text(value).ExecuteAsync(ct);
    }
}
