using System.Data;
using System.Data.Common;
using System.Globalization;
using Strongroom.Storage.Relational;

namespace Strongroom.Storage.Sqlite;

/// <summary>SQLite's side of the shared SQL (ADR 0020): embedded, named parameters, no arrays, the trail's settings in the audit file.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    private SqliteDialect()
        : base(namesParameters: true, new ColumnTypes(Integer: "INTEGER", OrderedText: "TEXT", Text: "TEXT", Blob: "BLOB", Boolean: "INTEGER", IdentityKey: "INTEGER PRIMARY KEY", ClusteredTable: " WITHOUT ROWID"))
    {
    }

    public override bool InProcess => true;

    public override string? ArrayOf(string subquery) => null;

    /// <summary>The ids as one JSON text, so the statement's text stays the same (and prepared) whatever the ids.</summary>
    public override string IsOneOf(string column, string placeholder) => $"{column} IN (SELECT value FROM json_each({placeholder}))";

    public override void BindIds(DbParameter parameter, IReadOnlyCollection<long> ids)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.DbType = DbType.String;
        parameter.Value = "[" + string.Join(",", ids.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]";
    }

    public override string SettingsTable(bool auditSetting) => auditSetting ? AuditFile.Schema + ".settings" : "main.settings";
}
