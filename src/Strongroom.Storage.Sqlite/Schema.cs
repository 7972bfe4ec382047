namespace Strongroom.Storage.Sqlite;

/// <summary>
/// The SQLite store's own migration history (schema versions 1–6); index i brings the schema from version i to i + 1.
/// Released entries never change. Versions 7 on are <see cref="Relational.SchemaMigrations.Shared"/>, written once
/// for both stores.
/// </summary>
internal static class Schema
{
    public static readonly string[] History =
    [
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE secrets (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            arn TEXT NOT NULL UNIQUE,
            created_ms INTEGER NOT NULL,
            changed_ms INTEGER NOT NULL,
            accessed_ms INTEGER,
            deleted_ms INTEGER,
            meta TEXT NOT NULL,
            UNIQUE (region, name));
        CREATE INDEX secrets_created ON secrets (region, created_ms, id);
        CREATE INDEX secrets_changed ON secrets (region, changed_ms, id);
        CREATE INDEX secrets_deleted ON secrets (deleted_ms) WHERE deleted_ms IS NOT NULL;
        CREATE TABLE versions (
            secret_id INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
            version_id TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            accessed_ms INTEGER,
            envelope BLOB,
            kms_key_arn TEXT,
            PRIMARY KEY (secret_id, version_id));
        CREATE TABLE stages (
            secret_id INTEGER NOT NULL,
            stage TEXT NOT NULL,
            version_id TEXT NOT NULL,
            PRIMARY KEY (secret_id, stage),
            FOREIGN KEY (secret_id, version_id) REFERENCES versions (secret_id, version_id) ON DELETE CASCADE);
        CREATE INDEX stages_version ON stages (secret_id, version_id);
        CREATE TABLE kms_keys (
            key_id TEXT PRIMARY KEY,
            region TEXT NOT NULL,
            arn TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            manager TEXT NOT NULL,
            description TEXT,
            created_ms INTEGER NOT NULL,
            current_version INTEGER NOT NULL);
        CREATE TABLE kms_key_versions (
            key_id TEXT NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            wrapped BLOB NOT NULL,
            PRIMARY KEY (key_id, version));
        CREATE TABLE kms_aliases (
            region TEXT NOT NULL,
            alias TEXT NOT NULL,
            key_id TEXT NOT NULL REFERENCES kms_keys (key_id),
            PRIMARY KEY (region, alias));
        CREATE TABLE access_keys (
            access_key_id TEXT PRIMARY KEY,
            wrapped_secret BLOB NOT NULL,
            principal_arn TEXT NOT NULL,
            user_name TEXT NOT NULL,
            status TEXT NOT NULL,
            created_ms INTEGER NOT NULL);
        """,
        """
        ALTER TABLE kms_keys ADD COLUMN meta TEXT NOT NULL DEFAULT '{"v":1}';
        ALTER TABLE kms_keys ADD COLUMN deletion_ms INTEGER;
        ALTER TABLE kms_keys ADD COLUMN next_rotation_ms INTEGER;
        CREATE INDEX kms_keys_region ON kms_keys (region, key_id);
        CREATE INDEX kms_keys_deletion ON kms_keys (deletion_ms) WHERE deletion_ms IS NOT NULL;
        CREATE INDEX kms_keys_rotation ON kms_keys (next_rotation_ms) WHERE next_rotation_ms IS NOT NULL;
        ALTER TABLE kms_key_versions ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE kms_key_versions ADD COLUMN rotation_type TEXT;
        ALTER TABLE kms_aliases ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE kms_aliases ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX kms_aliases_key ON kms_aliases (key_id);
        """,
        """
        CREATE TABLE audit_events (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            event_time_ms INTEGER NOT NULL,
            event_name TEXT NOT NULL,
            event_source TEXT NOT NULL,
            username TEXT,
            access_key_id TEXT,
            read_only INTEGER NOT NULL,
            resource_name TEXT,
            resource_type TEXT,
            record TEXT NOT NULL,
            hash BLOB NOT NULL);
        CREATE INDEX audit_time ON audit_events (event_time_ms);
        CREATE INDEX audit_name ON audit_events (event_name, seq);
        CREATE INDEX audit_user ON audit_events (username, seq);
        CREATE INDEX audit_resource ON audit_events (resource_name, seq);
        CREATE INDEX audit_event_id ON audit_events (event_id);
        CREATE TABLE audit_digests (
            to_seq INTEGER PRIMARY KEY,
            from_seq INTEGER NOT NULL,
            last_hash BLOB NOT NULL,
            created_ms INTEGER NOT NULL,
            previous_digest_hash BLOB NOT NULL,
            signature BLOB NOT NULL);
        CREATE TABLE root_wrapped (name TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
        """,
        """
        CREATE TABLE parameters (
            region TEXT NOT NULL,
            key TEXT NOT NULL,
            name TEXT NOT NULL,
            meta TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (region, key));
        CREATE TABLE parameter_versions (
            region TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            meta TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (region, key, version));
        """,
        """
        CREATE TABLE iam_entities (kind TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, name));
        CREATE INDEX access_keys_user ON access_keys (user_name);
        """,
        """
        ALTER TABLE secrets ADD COLUMN rotation_due_ms INTEGER;
        UPDATE secrets SET rotation_due_ms = json_extract(meta, '$.nextRotationMs')
            WHERE json_extract(meta, '$.rotationEnabled') = 1 AND deleted_ms IS NULL
              AND (json_extract(meta, '$.primaryRegion') IS NULL OR json_extract(meta, '$.primaryRegion') = region);
        CREATE INDEX secrets_rotation_due ON secrets (rotation_due_ms) WHERE rotation_due_ms IS NOT NULL;
        CREATE TABLE rotation_runs (
            run_id INTEGER PRIMARY KEY,
            secret_arn TEXT NOT NULL,
            region TEXT NOT NULL,
            version_id TEXT NOT NULL,
            function_arn TEXT,
            trigger TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            step TEXT,
            outcome TEXT NOT NULL,
            error TEXT,
            started_ms INTEGER NOT NULL,
            finished_ms INTEGER,
            retry_ms INTEGER);
        CREATE INDEX rotation_runs_secret ON rotation_runs (secret_arn, run_id);
        CREATE INDEX rotation_runs_retry ON rotation_runs (retry_ms) WHERE retry_ms IS NOT NULL;
        CREATE INDEX rotation_runs_running ON rotation_runs (run_id) WHERE outcome = 'Running';
        """,
    ];
}
