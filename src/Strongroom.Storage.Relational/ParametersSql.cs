using System.Data.Common;
using Strongroom.Core.Parameters;

namespace Strongroom.Storage.Relational;

/// <summary>SSM parameters: the parameter row (latest version, labels, tags) and every retained version, each with its meta JSON (<see cref="ParameterMeta"/>).</summary>
internal static class ParametersSql
{
    private const string Columns = "region, key, name, meta, value";

    private static ParameterRecord Read(DbDataReader r)
    {
        var (version, meta) = ParameterMeta.Read(r.GetString(3), r.GetBlob(4));
        return new ParameterRecord
        {
            Region = r.GetString(0),
            Key = r.GetString(1),
            Name = r.GetString(2),
            Current = version,
            Labels = meta.Labels is null ? new Dictionary<string, long>(StringComparer.Ordinal) : new Dictionary<string, long>(meta.Labels, StringComparer.Ordinal),
            Tags = meta.Tags?.Select(t => new KeyValuePair<string, string>(t.Key, t.Value)).ToList() ?? [],
        };
    }

    public static ValueTask<ParameterRecord?> FindAsync(RelationalAccess a, string region, string key, CancellationToken ct) =>
        a.Sql($"SELECT {Columns} FROM parameters WHERE region = $1 AND key = $2").Text(region).Text(key).FirstAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<ParameterRecord>> ScanAsync(RelationalAccess a, string region, string keyPrefix, string? afterKey, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM parameters WHERE region = $1 AND key >= $2 AND key < $3 AND key > $4 ORDER BY key LIMIT $5")
            .Text(region).Text(keyPrefix).Text(keyPrefix + "\uffff").Text(afterKey ?? string.Empty).Int64(limit)
            .ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<ParameterVersionRecord>> ListVersionsAsync(RelationalAccess a, string region, string key, CancellationToken ct) =>
        await a.Sql("SELECT meta, value FROM parameter_versions WHERE region = $1 AND key = $2 ORDER BY version")
            .Text(region).Text(key).ListAsync(static r => ParameterMeta.Read(r.GetString(0), r.GetBlob(1)).Version, ct);

    public static async ValueTask<IReadOnlyList<string>> ListRegionsAsync(RelationalAccess a, CancellationToken ct) =>
        await a.Sql("SELECT DISTINCT region FROM parameters ORDER BY region").ListAsync(static r => r.GetString(0), ct);

    public static async ValueTask UpsertAsync(RelationalAccess a, ParameterRecord parameter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        await a.Sql($"INSERT INTO parameters ({Columns}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region, key) DO UPDATE SET meta = excluded.meta, value = excluded.value")
            .Text(parameter.Region).Text(parameter.Key).Text(parameter.Name).Text(ParameterMeta.Write(parameter.Current, parameter)).Blob(parameter.Current.Value)
            .ExecuteAsync(ct);
    }

    public static async ValueTask InsertVersionAsync(RelationalAccess a, string region, string key, ParameterVersionRecord version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(version);
        await a.Sql("INSERT INTO parameter_versions (region, key, version, meta, value) VALUES ($1, $2, $3, $4, $5)")
            .Text(region).Text(key).Int64(version.Version).Text(ParameterMeta.Write(version)).Blob(version.Value)
            .ExecuteAsync(ct);
    }

    public static async ValueTask DeleteVersionAsync(RelationalAccess a, string region, string key, long version, CancellationToken ct) =>
        await a.Sql("DELETE FROM parameter_versions WHERE region = $1 AND key = $2 AND version = $3").Text(region).Text(key).Int64(version).ExecuteAsync(ct);

    /// <summary>Deletes a parameter with every version, label and tag.</summary>
    public static async ValueTask DeleteAsync(RelationalAccess a, string region, string key, CancellationToken ct)
    {
        await a.Sql("DELETE FROM parameter_versions WHERE region = $1 AND key = $2").Text(region).Text(key).ExecuteAsync(ct);
        await a.Sql("DELETE FROM parameters WHERE region = $1 AND key = $2").Text(region).Text(key).ExecuteAsync(ct);
    }
}
