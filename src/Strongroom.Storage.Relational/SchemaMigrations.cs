namespace Strongroom.Storage.Relational;

/// <summary>
/// Forward-only schema migrations, applied at start inside one transaction that the store holds under its own lock.
/// Each store keeps the history it started with (SQLite's schema versions 1–6; PostgreSQL's version 1, which is
/// SQLite's 6 in one step); every change since is written once, in <see cref="Shared"/>, and both stores take it
/// (SQLite as versions 7 on, PostgreSQL as 2 on).
/// </summary>
public static class SchemaMigrations
{
    /// <summary>
    /// Migrations both stores take after their own history, in order, written once with column-type tokens
    /// (<see cref="SqlDialect.Expand"/>, <see cref="ColumnTypes"/>). To change the schema of both stores, append one
    /// entry here — for example <c>"ALTER TABLE secrets ADD COLUMN note {text};"</c> — and the parity test
    /// (tests/Strongroom.Storage.Tests, PostgresSqliteParityTests) checks that both came out the same. Never edit or
    /// reorder an entry once released. A change to the audit trail's tables must also change SQLite's audit file
    /// (<c>AuditFile</c> in Strongroom.Storage.Sqlite), which keeps those tables outside the main file.
    /// </summary>
    public static readonly IReadOnlyList<string> Shared =
    [
        // SQLite 7, PostgreSQL 2: the node that runs a rotation (ADR 0006).
        """
        ALTER TABLE rotation_runs ADD COLUMN node {text};
        """,

        // SQLite 8, PostgreSQL 3: the audit trail's resource-name index, filled behind the trail (ADR 0007).
        """
        CREATE TABLE audit_resources (
            bucket {int} NOT NULL,
            resource_name {key} NOT NULL,
            seq {int} NOT NULL,
            PRIMARY KEY (bucket, resource_name, seq)){clustered};
        INSERT INTO audit_resources (bucket, resource_name, seq)
            SELECT seq >> 16, resource_name, seq FROM audit_events WHERE resource_name IS NOT NULL;
        INSERT INTO settings (key, value) SELECT 'audit_resources_to_seq', CAST(MAX(seq) AS TEXT) FROM audit_events WHERE true HAVING COUNT(*) > 0
            ON CONFLICT (key) DO UPDATE SET value = excluded.value;
        DROP INDEX audit_resource;
        """,

        // SQLite 9, PostgreSQL 4: integrity tags on IAM rows and access keys, and the principal a key is bound to (ADR 0010).
        """
        ALTER TABLE iam_entities ADD COLUMN mac {blob};
        ALTER TABLE access_keys ADD COLUMN principal_id {key};
        ALTER TABLE access_keys ADD COLUMN mac {blob};
        """,

        // SQLite 10, PostgreSQL 5: what a rotation function said, masked before it is stored (issue #22).
        """
        ALTER TABLE rotation_runs ADD COLUMN output {text};
        """,

        // SQLite 11, PostgreSQL 6: the event outbox, one row per event and webhook endpoint (ADR 0028).
        """
        CREATE TABLE event_outbox (
            event_id {key} NOT NULL,
            endpoint {key} NOT NULL,
            detail_type {text} NOT NULL,
            body {text} NOT NULL,
            created_ms {int} NOT NULL,
            deadline_ms {int} NOT NULL,
            attempts {int} NOT NULL,
            next_ms {int} NOT NULL,
            state {key} NOT NULL,
            last_error {text},
            delivered_ms {int},
            PRIMARY KEY (event_id, endpoint)){clustered};
        CREATE INDEX event_outbox_due ON event_outbox (state, next_ms);
        """,
    ];

    /// <summary>A store's complete list: its own <paramref name="history"/>, then <paramref name="shared"/> (by default <see cref="Shared"/>) in its dialect.</summary>
    public static IReadOnlyList<string> For(SqlDialect dialect, IReadOnlyList<string> history, IReadOnlyList<string>? shared = null)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(history);
        return [.. history, .. (shared ?? Shared).Select(dialect.Expand)];
    }

    /// <summary>
    /// Brings the schema on <paramref name="a"/>'s connection up to the last of <paramref name="migrations"/> (index i
    /// takes it from version i to i + 1), recording each in <c>schema_version</c>. Call inside the store's migration
    /// transaction, so that a migration is applied whole or not at all, and exactly once when nodes start together.
    /// </summary>
    /// <param name="what">What holds the schema, for the message when it is newer than this build ("data directory", "database").</param>
    /// <exception cref="InvalidOperationException">The schema is newer than this build.</exception>
    public static async Task ApplyAsync(RelationalAccess a, IReadOnlyList<string> migrations, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(migrations);
        await a.Sql(a.Dialect.Expand("CREATE TABLE IF NOT EXISTS schema_version (version {int} NOT NULL)")).ExecuteAsync(cancellationToken);
        var version = await a.Sql("SELECT COALESCE(MAX(version), 0) FROM schema_version").Int64ScalarAsync(cancellationToken);
        if (version > migrations.Count)
        {
            throw new InvalidOperationException($"The {what}'s schema is version {version}, newer than this build ({migrations.Count}). Upgrade Strongroom.");
        }

        for (var i = (int)version; i < migrations.Count; i++)
        {
            await a.Sql(migrations[i]).ExecuteAsync(cancellationToken);
            await a.Sql("INSERT INTO schema_version (version) VALUES ($1)").Int64(i + 1).ExecuteAsync(cancellationToken);
        }
    }
}
