using System.Data.Common;

namespace Strongroom.Storage.Relational;

/// <summary>
/// What differs between the two databases under the shared SQL — and only that (ADR 0020). Every statement is written
/// once with positional placeholders <c>$1</c>, <c>$2</c>… that both databases accept; the members here are the real
/// differences. One instance per database kind; immutable and thread-safe.
/// </summary>
public abstract class SqlDialect
{
    private const int NamedParameters = 32;
    private readonly string[] _parameterNames;
    private SqlTexts? _texts;

    /// <param name="namesParameters">
    /// True when the driver binds parameters by name (Microsoft.Data.Sqlite: a parameter named <c>$1</c> fills the
    /// placeholder <c>$1</c>); false when it binds them by position and wants them unnamed (Npgsql sends <c>$n</c> to
    /// PostgreSQL as is, without parsing the SQL, only when no parameter has a name).
    /// </param>
    /// <param name="types">The database's column types, for migrations written once.</param>
    protected SqlDialect(bool namesParameters, ColumnTypes types)
    {
        ArgumentNullException.ThrowIfNull(types);
        Types = types;
        _parameterNames = new string[NamedParameters + 1];
        for (var i = 0; i <= NamedParameters; i++)
        {
            _parameterNames[i] = namesParameters ? "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty;
        }

        NamesParameters = namesParameters;
    }

    private bool NamesParameters { get; }

    /// <summary>The name the <paramref name="ordinal"/>-th parameter (from 1) is given.</summary>
    public string ParameterName(int ordinal) =>
        ordinal <= NamedParameters ? _parameterNames[ordinal] : NamesParameters ? "$" + ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty;

    /// <summary>
    /// True for an embedded database (SQLite): a statement is a function call, not a round trip. Statements then run
    /// through the driver's synchronous API (Microsoft.Data.Sqlite's asynchronous one is the synchronous one wrapped in
    /// a Task per call), and several simple prepared statements are preferred over one batched or array-valued one.
    /// False for a database across the network (PostgreSQL): asynchronous I/O, and round trips saved where the SQL
    /// allows (a version read with its stages, an audit batch sent as one <see cref="DbBatch"/>).
    /// </summary>
    public abstract bool InProcess { get; }

    /// <summary>
    /// An expression yielding the values of the one-column <paramref name="subquery"/> as one array value, read back with
    /// <c>GetFieldValue&lt;string[]&gt;</c> — or null when the database has no array values (SQLite), and the rows are
    /// read by a statement of their own.
    /// </summary>
    public abstract string? ArrayOf(string subquery);

    /// <summary>A condition true when <paramref name="column"/> is one of the ids bound to <paramref name="placeholder"/> (see <see cref="BindIds"/>).</summary>
    public abstract string IsOneOf(string column, string placeholder);

    /// <summary>Gives <paramref name="parameter"/> the ids as the database takes a list: a JSON array for SQLite's json_each, an array for PostgreSQL.</summary>
    public abstract void BindIds(DbParameter parameter, IReadOnlyCollection<long> ids);

    /// <summary>
    /// The table a setting lives in. SQLite keeps the audit trail's settings (keys starting <c>audit_</c>) in the audit
    /// file with the trail (ADR 0008), so no transaction changes both files; PostgreSQL keeps every setting in one table.
    /// </summary>
    public abstract string SettingsTable(bool auditSetting);

    /// <summary>The column types of this database, for migrations written once (<see cref="Expand"/>).</summary>
    public ColumnTypes Types { get; }

    /// <summary>
    /// <paramref name="ddl"/> with its column-type tokens replaced by this database's types: <c>{int}</c>,
    /// <c>{key}</c>, <c>{text}</c>, <c>{blob}</c>, <c>{bool}</c>, <c>{id}</c>, <c>{clustered}</c> (see <see cref="ColumnTypes"/>).
    /// </summary>
    public string Expand(string ddl)
    {
        ArgumentNullException.ThrowIfNull(ddl);
        return ddl
            .Replace("{int}", Types.Integer, StringComparison.Ordinal)
            .Replace("{key}", Types.OrderedText, StringComparison.Ordinal)
            .Replace("{text}", Types.Text, StringComparison.Ordinal)
            .Replace("{blob}", Types.Blob, StringComparison.Ordinal)
            .Replace("{bool}", Types.Boolean, StringComparison.Ordinal)
            .Replace("{id}", Types.IdentityKey, StringComparison.Ordinal)
            .Replace("{clustered}", Types.ClusteredTable, StringComparison.Ordinal);
    }

    /// <summary>The statements whose text depends on this dialect, composed once.</summary>
    internal SqlTexts Texts => _texts ??= new SqlTexts(this);
}
