using System.Globalization;
using System.Text;
using Npgsql;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Storage.Sqlite;
using static Strongroom.Storage.PostgreSql.Sql;

namespace Strongroom.Storage.PostgreSql;

/// <summary>
/// Reads and writes over one connection, inside a transaction when one is given. The SQL mirrors the SQLite
/// store's statement for statement, so both return the same rows in the same order. Not thread-safe: one command
/// at a time (a PostgreSQL connection runs one; every reader is closed before the next command starts).
/// </summary>
internal sealed class PostgresAccess : IStoreTransaction
{
    private const string SecretColumns = "id, region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta";
    private const string KmsColumns = "key_id, region, arn, state, manager, description, created_ms, current_version, meta, deletion_ms, next_rotation_ms";
    private const string RunColumns = "run_id, secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node";
    private const string AuditColumns = "seq, event_id, event_time_ms, event_name, event_source, username, access_key_id, read_only, resource_name, resource_type, record, hash";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction? _transaction;

    public PostgresAccess(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    private NpgsqlCommand Command(string sql, IEnumerable<NpgsqlParameter> parameters)
    {
        var cmd = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private async Task<int> Execute(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<object?> Scalar(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private async Task<List<T>> Query<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<T>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(read(r));
        }

        return list;
    }

    // ------------------------------------------------------------ settings

    public async Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken) =>
        await Scalar("SELECT value FROM settings WHERE key = $1", cancellationToken, P(key)) as string;

    public Task SetSettingAsync(string key, string value, CancellationToken cancellationToken) =>
        Execute("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", cancellationToken, P(key), P(value));

    // ------------------------------------------------------------ secrets

    private static SecretRecord ReadSecret(NpgsqlDataReader r)
    {
        var secret = new SecretRecord
        {
            Id = r.GetInt64(0),
            Region = r.GetString(1),
            Name = r.GetString(2),
            Arn = r.GetString(3),
            CreatedDate = FromMs(r.GetInt64(4)),
            LastChangedDate = FromMs(r.GetInt64(5)),
            LastAccessedDate = FromMs(r, 6),
            DeletedDate = FromMs(r, 7),
        };
        SecretMeta.Read(r.GetString(8), secret);
        return secret;
    }

    private Task<List<SecretRecord>> QuerySecrets(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        Query(sql, ReadSecret, cancellationToken, parameters);

    public async Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken) =>
        (await QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE region = $1 AND name = $2", cancellationToken, P(region), P(name))).FirstOrDefault();

    public async Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken) =>
        (await QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE arn = $1", cancellationToken, P(arn))).FirstOrDefault();

    public async Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partialArn);

        // The ARN is the partial ARN, '-', and a 6-character suffix. Range on the unique ARN index, then exact shape.
        return await QuerySecrets(
            $"SELECT {SecretColumns} FROM secrets WHERE arn > $1 AND arn < $2 AND length(arn) = $3",
            cancellationToken,
            P(partialArn + "-"),
            P(partialArn + "-\u007f"),
            P(partialArn.Length + 7));
    }

    public async Task<IReadOnlyList<SecretRecord>> ScanSecretsAsync(SecretScan scan, CancellationToken cancellationToken)
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
        var parameters = new List<NpgsqlParameter> { P(scan.Region), P(scan.Limit) };
        var sql = new StringBuilder($"SELECT {SecretColumns} FROM secrets WHERE region = $1");
        if (!scan.IncludeDeleted)
        {
            sql.Append(" AND deleted_ms IS NULL");
        }

        if (scan.NamePrefix is { Length: > 0 })
        {
            parameters.Add(P(scan.NamePrefix));
            parameters.Add(P(scan.NamePrefix + "\u007f"));
            sql.Append(CultureInfo.InvariantCulture, $" AND name >= ${parameters.Count - 1} AND name < ${parameters.Count}");
        }

        if (scan.AfterId is not null)
        {
            parameters.Add(scan.SortBy == SecretSortKey.Name ? P(scan.AfterName) : P(scan.AfterValue));
            var av = parameters.Count;
            parameters.Add(P(scan.AfterId));
            var aid = parameters.Count;
            sql.Append(CultureInfo.InvariantCulture, $" AND ({column} {cmp} ${av} OR ({column} = ${av} AND id {cmp} ${aid}))");
        }

        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY {column} {dir}, id {dir} LIMIT $2");
        return await QuerySecrets(sql.ToString(), cancellationToken, [.. parameters]);
    }

    public async Task<IReadOnlyDictionary<long, Dictionary<string, List<string>>>> GetStageMapsAsync(IReadOnlyCollection<long> secretIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secretIds);
        var maps = new Dictionary<long, Dictionary<string, List<string>>>();
        if (secretIds.Count == 0)
        {
            return maps;
        }

        var rows = await Query(
            "SELECT secret_id, version_id, stage FROM stages WHERE secret_id = ANY($1) ORDER BY secret_id, version_id, stage",
            r => (Id: r.GetInt64(0), VersionId: r.GetString(1), Stage: r.GetString(2)),
            cancellationToken,
            P(secretIds.ToArray()));
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

    public async Task<IReadOnlyList<SecretRecord>> FindSecretsDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE deleted_ms IS NOT NULL AND deleted_ms <= $1 ORDER BY deleted_ms LIMIT $2", cancellationToken, Ms(now), P(limit));

    public async Task<IReadOnlyList<SecretRecord>> FindSecretsDueForRotationAsync(DateTimeOffset windowEndsBy, int limit, CancellationToken cancellationToken) =>
        await QuerySecrets(
            $"SELECT {SecretColumns} FROM secrets WHERE rotation_due_ms IS NOT NULL AND rotation_due_ms <= $1 ORDER BY rotation_due_ms LIMIT $2", cancellationToken, Ms(windowEndsBy), P(limit));

    /// <summary>
    /// Two statements, each its own implicit transaction: an access date only ever moves forward, so no lock is
    /// needed, and holding one row while waiting for the other could deadlock with a writer.
    /// </summary>
    public async Task RecordAccessAsync(long secretId, string versionId, DateTimeOffset day, CancellationToken cancellationToken)
    {
        await Execute("UPDATE secrets SET accessed_ms = $1 WHERE id = $2 AND (accessed_ms IS NULL OR accessed_ms < $1)", cancellationToken, Ms(day), P(secretId));
        await Execute("UPDATE versions SET accessed_ms = $1 WHERE secret_id = $2 AND version_id = $3 AND (accessed_ms IS NULL OR accessed_ms < $1)", cancellationToken, Ms(day), P(secretId), P(versionId));
    }

    public async Task InsertSecretAsync(SecretRecord secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        secret.Id = (long)(await Scalar(
            "INSERT INTO secrets (region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta, rotation_due_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            cancellationToken,
            P(secret.Region), P(secret.Name), P(secret.Arn), Ms(secret.CreatedDate), Ms(secret.LastChangedDate), Ms(secret.LastAccessedDate), Ms(secret.DeletedDate),
            P(SecretMeta.Write(secret)), P(RotationDueMs(secret))))!;
    }

    public Task UpdateSecretAsync(SecretRecord secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Execute(
            "UPDATE secrets SET changed_ms = $1, accessed_ms = $2, deleted_ms = $3, meta = $4, rotation_due_ms = $5 WHERE id = $6",
            cancellationToken,
            Ms(secret.LastChangedDate), Ms(secret.LastAccessedDate), Ms(secret.DeletedDate), P(SecretMeta.Write(secret)), P(RotationDueMs(secret)), P(secret.Id));
    }

    /// <summary>The scheduler's index: when the secret's next rotation window ends, for primaries with rotation on.</summary>
    private static long? RotationDueMs(SecretRecord secret) =>
        secret.RotationEnabled == true && secret.DeletedDate is null && !secret.IsReplica ? secret.NextRotationDate?.ToUnixTimeMilliseconds() : null;

    public async Task DeleteSecretAsync(long secretId, CancellationToken cancellationToken)
    {
        await Execute("DELETE FROM stages WHERE secret_id = $1", cancellationToken, P(secretId));
        await Execute("DELETE FROM versions WHERE secret_id = $1", cancellationToken, P(secretId));
        await Execute("DELETE FROM secrets WHERE id = $1", cancellationToken, P(secretId));
    }

    // ------------------------------------------------------------ versions and stages

    private static SecretVersionRecord ReadVersion(NpgsqlDataReader r) => new()
    {
        VersionId = r.GetString(0),
        CreatedDate = FromMs(r.GetInt64(1)),
        LastAccessedDate = FromMs(r, 2),
        Envelope = r.IsDBNull(3) ? null : r.GetFieldValue<byte[]>(3),
        KmsKeyArn = Sql.String(r, 4),
    };

    private async Task<SecretVersionRecord?> QueryVersion(string where, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        // One round trip: the version and its stages (the read path of GetSecretValue).
        var version = (await Query(
            $"SELECT v.version_id, v.created_ms, v.accessed_ms, v.envelope, v.kms_key_arn, ARRAY(SELECT s.stage FROM stages s WHERE s.secret_id = v.secret_id AND s.version_id = v.version_id ORDER BY s.stage) FROM versions v WHERE {where}",
            r =>
            {
                var read = ReadVersion(r);
                read.Stages = [.. r.GetFieldValue<string[]>(5)];
                return read;
            },
            cancellationToken,
            parameters)).FirstOrDefault();
        return version;
    }

    public Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken) =>
        QueryVersion("v.secret_id = $1 AND v.version_id = $2", cancellationToken, P(secretId), P(versionId));

    public Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken) =>
        QueryVersion("v.secret_id = $1 AND v.version_id = (SELECT version_id FROM stages WHERE secret_id = $1 AND stage = $2)", cancellationToken, P(secretId), P(stage));

    public async Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken)
    {
        var versions = await Query("SELECT version_id, created_ms, accessed_ms, envelope, kms_key_arn FROM versions WHERE secret_id = $1 ORDER BY created_ms, version_id", ReadVersion, cancellationToken, P(secretId));
        var byId = versions.ToDictionary(v => v.VersionId, StringComparer.Ordinal);
        var stages = await Query("SELECT stage, version_id FROM stages WHERE secret_id = $1 ORDER BY stage", r => (Stage: r.GetString(0), VersionId: r.GetString(1)), cancellationToken, P(secretId));
        foreach (var (stage, versionId) in stages)
        {
            if (byId.TryGetValue(versionId, out var v))
            {
                v.Stages.Add(stage);
            }
        }

        return versions;
    }

    public Task InsertVersionAsync(long secretId, SecretVersionRecord version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Execute(
            "INSERT INTO versions (secret_id, version_id, created_ms, accessed_ms, envelope, kms_key_arn) VALUES ($1, $2, $3, $4, $5, $6)",
            cancellationToken,
            P(secretId), P(version.VersionId), Ms(version.CreatedDate), Ms(version.LastAccessedDate), P(version.Envelope), P(version.KmsKeyArn));
    }

    public Task UpdateVersionValueAsync(long secretId, string versionId, byte[] envelope, string kmsKeyArn, CancellationToken cancellationToken) =>
        Execute("UPDATE versions SET envelope = $1, kms_key_arn = $2 WHERE secret_id = $3 AND version_id = $4", cancellationToken, P(envelope), P(kmsKeyArn), P(secretId), P(versionId));

    public async Task DeleteVersionAsync(long secretId, string versionId, CancellationToken cancellationToken)
    {
        await Execute("DELETE FROM stages WHERE secret_id = $1 AND version_id = $2", cancellationToken, P(secretId), P(versionId));
        await Execute("DELETE FROM versions WHERE secret_id = $1 AND version_id = $2", cancellationToken, P(secretId), P(versionId));
    }

    public async Task ReplaceStagesAsync(long secretId, IEnumerable<KeyValuePair<string, string>> stageToVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stageToVersion);
        await Execute("DELETE FROM stages WHERE secret_id = $1", cancellationToken, P(secretId));
        foreach (var pair in stageToVersion)
        {
            // The primary key (secret_id, stage) makes a second holder of one label a constraint violation.
            await Execute("INSERT INTO stages (secret_id, stage, version_id) VALUES ($1, $2, $3)", cancellationToken, P(secretId), P(pair.Key), P(pair.Value));
        }
    }

    // ------------------------------------------------------------ KMS

    private static KmsKeyRecord ReadKmsKey(NpgsqlDataReader r)
    {
        var key = new KmsKeyRecord
        {
            KeyId = Guid.Parse(r.GetString(0)),
            Region = r.GetString(1),
            Arn = r.GetString(2),
            State = r.GetString(3),
            Manager = r.GetString(4),
            Description = Sql.String(r, 5),
            CreatedDate = FromMs(r.GetInt64(6)),
            CurrentVersion = (uint)r.GetInt64(7),
            DeletionDate = FromMs(r, 9),
            NextRotationDate = FromMs(r, 10),
        };
        KmsMeta.Read(r.GetString(8), key);
        return key;
    }

    private Task<List<KmsKeyRecord>> QueryKmsKeys(string where, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        Query($"SELECT {KmsColumns} FROM kms_keys WHERE {where}", ReadKmsKey, cancellationToken, parameters);

    private static NpgsqlParameter KeyId(Guid keyId) => P(keyId.ToString("D"));

    public async Task<KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) =>
        (await QueryKmsKeys("key_id = $1", cancellationToken, KeyId(keyId))).FirstOrDefault();

    public async Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken) =>
        await QueryKmsKeys("region = $1 AND key_id > $2 ORDER BY key_id LIMIT $3", cancellationToken, P(region), P(afterKeyId?.ToString("D") ?? string.Empty), P(limit));

    public async Task<IReadOnlyList<KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await QueryKmsKeys("deletion_ms <= $1 OR next_rotation_ms <= $1 LIMIT $2", cancellationToken, Ms(now), P(limit));

    public async Task<IReadOnlyList<KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken) =>
        await Query(
            "SELECT region, alias, key_id, created_ms, updated_ms FROM kms_aliases WHERE region = $1 AND ($2 IS NULL OR key_id = $2) AND alias > $3 ORDER BY alias LIMIT $4",
            r => new KmsAlias(r.GetString(0), r.GetString(1), Guid.Parse(r.GetString(2)), FromMs(r.GetInt64(3)), FromMs(r.GetInt64(4))),
            cancellationToken,
            P(region), Sql.P(keyId?.ToString("D")), P(afterAlias ?? string.Empty), P(limit));

    public async Task<IReadOnlyList<KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken) =>
        await Query(
            "SELECT version, created_ms, rotation_type FROM kms_key_versions WHERE key_id = $1 ORDER BY version",
            r => new KmsKeyVersion((uint)r.GetInt64(0), FromMs(r.GetInt64(1)), Sql.String(r, 2)),
            cancellationToken,
            KeyId(keyId));

    public async Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) =>
        await Scalar("SELECT key_id FROM kms_aliases WHERE region = $1 AND alias = $2", cancellationToken, P(region), P(aliasName)) is string id ? Guid.Parse(id) : null;

    public async Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken) =>
        await Scalar("SELECT wrapped FROM kms_key_versions WHERE key_id = $1 AND version = $2", cancellationToken, KeyId(keyId), P((long)version)) as byte[];

    public async Task InsertKmsKeyAsync(KmsKeyRecord key, byte[] wrappedMaterial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await Execute(
            "INSERT INTO kms_keys (key_id, region, arn, state, manager, description, created_ms, current_version, meta, deletion_ms, next_rotation_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            cancellationToken,
            KeyId(key.KeyId), P(key.Region), P(key.Arn), P(key.State), P(key.Manager), P(key.Description), Ms(key.CreatedDate), P((long)key.CurrentVersion),
            P(KmsMeta.Write(key)), Ms(key.DeletionDate), Ms(key.NextRotationDate));
        await InsertKmsKeyVersionAsync(key.KeyId, new KmsKeyVersion(key.CurrentVersion, key.CreatedDate, null), wrappedMaterial, cancellationToken);
    }

    public Task UpdateKmsKeyAsync(KmsKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Execute(
            "UPDATE kms_keys SET state = $2, description = $3, current_version = $4, meta = $5, deletion_ms = $6, next_rotation_ms = $7 WHERE key_id = $1",
            cancellationToken,
            KeyId(key.KeyId), P(key.State), P(key.Description), P((long)key.CurrentVersion), P(KmsMeta.Write(key)), Ms(key.DeletionDate), Ms(key.NextRotationDate));
    }

    public Task InsertKmsKeyVersionAsync(Guid keyId, KmsKeyVersion version, byte[] wrappedMaterial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Execute(
            "INSERT INTO kms_key_versions (key_id, version, wrapped, created_ms, rotation_type) VALUES ($1, $2, $3, $4, $5)",
            cancellationToken,
            KeyId(keyId), P((long)version.Version), P(wrappedMaterial), Ms(version.CreatedDate), P(version.RotationType));
    }

    public Task InsertKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        Execute("INSERT INTO kms_aliases (region, alias, key_id, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $4)", cancellationToken, P(region), P(aliasName), KeyId(keyId), Ms(now));

    public Task UpdateKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        Execute("UPDATE kms_aliases SET key_id = $3, updated_ms = $4 WHERE region = $1 AND alias = $2", cancellationToken, P(region), P(aliasName), KeyId(keyId), Ms(now));

    public Task DeleteKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) =>
        Execute("DELETE FROM kms_aliases WHERE region = $1 AND alias = $2", cancellationToken, P(region), P(aliasName));

    public async Task DeleteKmsKeyAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await Execute("DELETE FROM kms_aliases WHERE key_id = $1", cancellationToken, KeyId(keyId));
        await Execute("DELETE FROM kms_key_versions WHERE key_id = $1", cancellationToken, KeyId(keyId));
        await Execute("DELETE FROM kms_keys WHERE key_id = $1", cancellationToken, KeyId(keyId));
    }

    // ------------------------------------------------------------ access keys and IAM

    private const string AccessKeyColumns = "access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms, principal_id, mac";

    private static AccessKeyRecord ReadAccessKey(NpgsqlDataReader r) => new()
    {
        AccessKeyId = r.GetString(0),
        WrappedSecret = r.GetFieldValue<byte[]>(1),
        PrincipalArn = r.GetString(2),
        UserName = r.GetString(3),
        Status = r.GetString(4),
        CreatedDate = FromMs(r.GetInt64(5)),
        PrincipalId = r.IsDBNull(6) ? null : r.GetString(6),
        Mac = r.IsDBNull(7) ? null : r.GetFieldValue<byte[]>(7),
    };

    public async Task<IReadOnlyList<AccessKeyRecord>> ListAllAccessKeysAsync(CancellationToken cancellationToken) =>
        await Query($"SELECT {AccessKeyColumns} FROM access_keys ORDER BY access_key_id", ReadAccessKey, cancellationToken);

    public async Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) =>
        (await Query($"SELECT {AccessKeyColumns} FROM access_keys WHERE access_key_id = $1", ReadAccessKey, cancellationToken, P(accessKeyId))).FirstOrDefault();

    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken) =>
        await Query($"SELECT {AccessKeyColumns} FROM access_keys WHERE user_name = $1 ORDER BY created_ms, access_key_id", ReadAccessKey, cancellationToken, P(userName));

    public Task UpsertAccessKeyAsync(AccessKeyRecord accessKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accessKey);
        return Execute(
            "INSERT INTO access_keys (access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms, principal_id, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) " +
            "ON CONFLICT (access_key_id) DO UPDATE SET wrapped_secret = excluded.wrapped_secret, principal_arn = excluded.principal_arn, user_name = excluded.user_name, status = excluded.status, " +
            "principal_id = excluded.principal_id, mac = excluded.mac",
            cancellationToken,
            P(accessKey.AccessKeyId), P(accessKey.WrappedSecret), P(accessKey.PrincipalArn), P(accessKey.UserName), P(accessKey.Status), Ms(accessKey.CreatedDate),
            P(accessKey.PrincipalId), P(accessKey.Mac));
    }

    public Task DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) =>
        Execute("DELETE FROM access_keys WHERE access_key_id = $1", cancellationToken, P(accessKeyId));

    private static IamEntityRow ReadIamEntity(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetFieldValue<byte[]>(3));

    public async Task<IamEntityRow?> FindIamEntityAsync(string kind, string name, CancellationToken cancellationToken) =>
        (await Query("SELECT kind, name, json, mac FROM iam_entities WHERE kind = $1 AND name = $2", ReadIamEntity, cancellationToken, P(kind), P(name))).FirstOrDefault();

    public async Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(string? kind, CancellationToken cancellationToken) => kind is null
        ? await Query("SELECT kind, name, json, mac FROM iam_entities ORDER BY kind, name", ReadIamEntity, cancellationToken)
        : await Query("SELECT kind, name, json, mac FROM iam_entities WHERE kind = $1 ORDER BY name", ReadIamEntity, cancellationToken, P(kind));

    public Task PutIamEntityAsync(IamEntityRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        return Execute("INSERT INTO iam_entities (kind, name, json, mac) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, name) DO UPDATE SET json = excluded.json, mac = excluded.mac",
            cancellationToken, P(row.Kind), P(row.Name), P(row.Json), P(row.Mac));
    }

    public Task DeleteIamEntityAsync(string kind, string name, CancellationToken cancellationToken) =>
        Execute("DELETE FROM iam_entities WHERE kind = $1 AND name = $2", cancellationToken, P(kind), P(name));

    // ------------------------------------------------------------ parameters

    private static ParameterRecord ReadParameter(NpgsqlDataReader r)
    {
        var (version, meta) = ParameterMeta.Read(r.GetString(3), r.GetFieldValue<byte[]>(4));
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

    public async Task<ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken) =>
        (await Query("SELECT region, key, name, meta, value FROM parameters WHERE region = $1 AND key = $2", ReadParameter, cancellationToken, P(region), P(key))).FirstOrDefault();

    public async Task<IReadOnlyList<ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken) =>
        await Query(
            "SELECT region, key, name, meta, value FROM parameters WHERE region = $1 AND key >= $2 AND key < $3 AND key > $4 ORDER BY key LIMIT $5",
            ReadParameter,
            cancellationToken,
            P(region), P(keyPrefix), P(keyPrefix + "\uffff"), P(afterKey ?? string.Empty), P(limit));

    public async Task<IReadOnlyList<ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken) =>
        await Query(
            "SELECT meta, value FROM parameter_versions WHERE region = $1 AND key = $2 ORDER BY version",
            r => ParameterMeta.Read(r.GetString(0), r.GetFieldValue<byte[]>(1)).Version,
            cancellationToken,
            P(region), P(key));

    public async Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken) =>
        await Query("SELECT DISTINCT region FROM parameters ORDER BY region", r => r.GetString(0), cancellationToken);

    public Task UpsertParameterAsync(ParameterRecord parameter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return Execute(
            "INSERT INTO parameters (region, key, name, meta, value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region, key) DO UPDATE SET meta = excluded.meta, value = excluded.value",
            cancellationToken,
            P(parameter.Region), P(parameter.Key), P(parameter.Name), P(ParameterMeta.Write(parameter.Current, parameter)), P(parameter.Current.Value));
    }

    public Task InsertParameterVersionAsync(string region, string key, ParameterVersionRecord version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Execute(
            "INSERT INTO parameter_versions (region, key, version, meta, value) VALUES ($1, $2, $3, $4, $5)",
            cancellationToken,
            P(region), P(key), P(version.Version), P(ParameterMeta.Write(version)), P(version.Value));
    }

    public Task DeleteParameterVersionAsync(string region, string key, long version, CancellationToken cancellationToken) =>
        Execute("DELETE FROM parameter_versions WHERE region = $1 AND key = $2 AND version = $3", cancellationToken, P(region), P(key), P(version));

    public async Task DeleteParameterAsync(string region, string key, CancellationToken cancellationToken)
    {
        await Execute("DELETE FROM parameter_versions WHERE region = $1 AND key = $2", cancellationToken, P(region), P(key));
        await Execute("DELETE FROM parameters WHERE region = $1 AND key = $2", cancellationToken, P(region), P(key));
    }

    // ------------------------------------------------------------ root-wrapped values

    public async Task<IReadOnlyList<RootWrappedValue>> ListRootWrappedAsync(CancellationToken cancellationToken)
    {
        var list = await Query(
            "SELECT v.key_id, v.version, k.arn, v.wrapped FROM kms_key_versions v JOIN kms_keys k ON k.key_id = v.key_id ORDER BY v.key_id, v.version",
            r =>
            {
                var version = r.GetInt64(1);
                return new RootWrappedValue("kms", r.GetString(0), version, r.GetString(2) + "#" + version.ToString(CultureInfo.InvariantCulture), r.GetFieldValue<byte[]>(3));
            },
            cancellationToken);
        list.AddRange(await Query(
            "SELECT name, wrapped FROM root_wrapped ORDER BY name",
            r => new RootWrappedValue("named", r.GetString(0), 0, "named:" + r.GetString(0), r.GetFieldValue<byte[]>(1)),
            cancellationToken));
        return list;
    }

    public async Task ReplaceRootWrappedAsync(RootWrappedValue value, byte[] wrapped, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var changed = value.Kind switch
        {
            "kms" => await Execute("UPDATE kms_key_versions SET wrapped = $1 WHERE key_id = $2 AND version = $3", cancellationToken, P(wrapped), P(value.Id), P(value.Version)),
            "named" => await Execute("UPDATE root_wrapped SET wrapped = $1 WHERE name = $2", cancellationToken, P(wrapped), P(value.Id)),
            _ => throw new ArgumentException($"No root-wrapped values of kind {value.Kind}.", nameof(value)),
        };
        if (changed != 1)
        {
            throw new InvalidOperationException($"Wrapped value {value.Kind} {value.Id} vanished during root-key rotation.");
        }
    }

    public async Task<byte[]?> GetRootWrappedAsync(string name, CancellationToken cancellationToken) =>
        await Scalar("SELECT wrapped FROM root_wrapped WHERE name = $1", cancellationToken, P(name)) as byte[];

    public Task PutRootWrappedAsync(string name, byte[] wrapped, CancellationToken cancellationToken) =>
        Execute("INSERT INTO root_wrapped (name, wrapped) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped", cancellationToken, P(name), P(wrapped));

    // ------------------------------------------------------------ rotation runs

    public async Task<bool> InsertRotationRunAsync(RotationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (await Scalar("SELECT 1 FROM rotation_runs WHERE secret_arn = $1 AND outcome = 'Running' LIMIT 1", cancellationToken, P(run.SecretArn)) is not null)
        {
            return false;
        }

        run.RunId = (long)(await Scalar(
            "INSERT INTO rotation_runs (secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING run_id",
            cancellationToken,
            RunParameters(run)))!;
        return true;
    }

    public Task UpdateRotationRunAsync(RotationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Execute(
            "UPDATE rotation_runs SET secret_arn = $1, region = $2, version_id = $3, function_arn = $4, trigger = $5, attempt = $6, step = $7, outcome = $8, error = $9, started_ms = $10, finished_ms = $11, retry_ms = $12, node = $13 WHERE run_id = $14",
            cancellationToken,
            [.. RunParameters(run), P(run.RunId)]);
    }

    private static NpgsqlParameter[] RunParameters(RotationRun run) =>
    [
        P(run.SecretArn), P(run.Region), P(run.VersionId), P(run.FunctionArn), P(run.Trigger), P(run.Attempt),
        P(run.StepReached), P(run.Outcome), P(run.Error), Ms(run.StartedDate), Ms(run.FinishedDate), Ms(run.RetryAt), P(run.Node),
    ];

    public async Task<IReadOnlyList<RotationRun>> QueryRotationRunsAsync(string where, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        await Query(
            $"SELECT {RunColumns} FROM rotation_runs WHERE {where}",
            r => new RotationRun
            {
                RunId = r.GetInt64(0), SecretArn = r.GetString(1), Region = r.GetString(2), VersionId = r.GetString(3),
                FunctionArn = Sql.String(r, 4), Trigger = r.GetString(5), Attempt = checked((int)r.GetInt64(6)),
                StepReached = Sql.String(r, 7), Outcome = r.GetString(8), Error = Sql.String(r, 9),
                StartedDate = FromMs(r.GetInt64(10)), FinishedDate = FromMs(r, 11), RetryAt = FromMs(r, 12), Node = Sql.String(r, 13),
            },
            cancellationToken,
            parameters);

    // ------------------------------------------------------------ audit

    private Task<List<AuditRow>> QueryAuditRows(string where, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        QueryAuditRowsFrom($"SELECT {AuditColumns} FROM audit_events {where}", cancellationToken, parameters);

    /// <param name="sql">A query whose columns are <see cref="AuditColumns"/>, in order.</param>
    private Task<List<AuditRow>> QueryAuditRowsFrom(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        Query(
            sql,
            r => new AuditRow(
                r.GetInt64(0), r.GetString(1), FromMs(r.GetInt64(2)), r.GetString(3), r.GetString(4), Sql.String(r, 5), Sql.String(r, 6), r.GetBoolean(7),
                Sql.String(r, 8), Sql.String(r, 9), r.GetString(10), r.GetFieldValue<byte[]>(11)),
            cancellationToken,
            parameters);

    public async Task AppendAuditAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        // One round trip for the whole batch.
        await using var batch = new NpgsqlBatch(_connection, _transaction);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand($"INSERT INTO audit_events ({AuditColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
            foreach (var p in new[]
            {
                P(row.Seq), P(row.EventId), Ms(row.EventTime), P(row.EventName), P(row.EventSource), P(row.Username), P(row.AccessKeyId),
                P(row.ReadOnly), P(row.ResourceName), P(row.ResourceType), P(row.Record), P(row.Hash),
            })
            {
                command.Parameters.Add(p);
            }

            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<StoreStatistics> StatisticsAsync(CancellationToken cancellationToken)
    {
        async Task<long> Count(string sql) => Convert.ToInt64(await Scalar(sql, cancellationToken) ?? 0L, CultureInfo.InvariantCulture);

        return new StoreStatistics(
            await Count("SELECT COUNT(*) FROM secrets"),
            await Count("SELECT COUNT(*) FROM versions"),
            await Count("SELECT COUNT(*) FROM kms_keys"),
            await Count("SELECT COUNT(*) FROM kms_key_versions"),
            await Count("SELECT COALESCE(MAX(seq), 0) FROM audit_events"),
            await Count("SELECT COALESCE(MAX(to_seq), 0) FROM audit_digests"));
    }

    public async Task DeleteAuditRangeAsync(long fromSeq, long toSeq, CancellationToken cancellationToken)
    {
        await Execute(
            "DELETE FROM audit_resources WHERE bucket >= $1 AND bucket <= $2 AND seq >= $3 AND seq <= $4", cancellationToken,
            P(AuditResourceIndex.Bucket(fromSeq)), P(AuditResourceIndex.Bucket(toSeq)), P(fromSeq), P(toSeq));
        await Execute("DELETE FROM audit_events WHERE seq >= $1 AND seq <= $2", cancellationToken, P(fromSeq), P(toSeq));
    }

    /// <summary>
    /// The resource-name indexing pass (<see cref="AuditResourceIndex"/>): when the trail has grown by
    /// <see cref="AuditResourceIndex.IndexEvery"/> records past the index, copies the names of records up to
    /// <paramref name="toSeq"/> into it. Returns the sequence number the index now reaches. Runs under the write lock.
    /// </summary>
    public async Task<long> IndexAuditResourcesAsync(long toSeq, CancellationToken cancellationToken)
    {
        var from = AuditResourceIndex.ParseSetting(await GetSettingAsync(AuditResourceIndex.Setting, cancellationToken));
        if (toSeq - from < AuditResourceIndex.IndexEvery)
        {
            return from;
        }

        await Execute(
            $"INSERT INTO audit_resources (bucket, resource_name, seq) SELECT seq >> {AuditResourceIndex.BucketBits}, resource_name, seq FROM audit_events " +
            "WHERE seq > $1 AND seq <= $2 AND resource_name IS NOT NULL",
            cancellationToken, P(from), P(toSeq));
        await SetSettingAsync(AuditResourceIndex.Setting, AuditResourceIndex.FormatSetting(toSeq), cancellationToken);
        return toSeq;
    }

    /// <summary>LookupEvents by ResourceName: the trail's unindexed tail first, then the index, bucket by bucket, newest first.</summary>
    private async Task<List<AuditRow>> QueryAuditByResourceAsync(AuditQuery q, CancellationToken cancellationToken)
    {
        var indexedTo = AuditResourceIndex.ParseSetting(await GetSettingAsync(AuditResourceIndex.Setting, cancellationToken));
        var before = q.BeforeSeq ?? long.MaxValue;

        // $1 value, $2 before, then the time bounds, then the caller's own.
        NpgsqlParameter[] Common()
        {
            var list = new List<NpgsqlParameter> { P(q.AttributeValue), P(before) };
            if (q.StartTime is not null)
            {
                list.Add(Ms(q.StartTime));
            }

            if (q.EndTime is not null)
            {
                list.Add(Ms(q.EndTime));
            }

            return [.. list];
        }

        var time = new StringBuilder();
        var next = 3;
        if (q.StartTime is not null)
        {
            time.Append(CultureInfo.InvariantCulture, $" AND e.event_time_ms >= ${next++}");
        }

        if (q.EndTime is not null)
        {
            time.Append(CultureInfo.InvariantCulture, $" AND e.event_time_ms <= ${next++}");
        }

        var columns = "e." + AuditColumns.Replace(", ", ", e.", StringComparison.Ordinal);
        var rows = await QueryAuditRowsFrom(
            $"SELECT {columns} FROM audit_events e WHERE e.seq > ${next} AND e.seq < $2 AND e.resource_name = $1{time} ORDER BY e.seq DESC LIMIT ${next + 1}",
            cancellationToken, [.. Common(), P(indexedTo), P(q.Limit)]);
        var top = Math.Min(indexedTo, before - 1);
        if (rows.Count >= q.Limit || top <= 0)
        {
            return rows;
        }

        var lowest = Convert.ToInt64(await Scalar("SELECT COALESCE(MIN(seq), 0) FROM audit_events", cancellationToken) ?? 0L, CultureInfo.InvariantCulture);
        for (var bucket = AuditResourceIndex.Bucket(top); bucket >= AuditResourceIndex.Bucket(lowest) && rows.Count < q.Limit; bucket--)
        {
            rows.AddRange(await QueryAuditRowsFrom(
                $"SELECT {columns} FROM audit_resources r JOIN audit_events e ON e.seq = r.seq " +
                $"WHERE r.bucket = ${next} AND r.resource_name = $1 AND r.seq <= ${next + 1} AND r.seq < $2{time} ORDER BY r.seq DESC LIMIT ${next + 2}",
                cancellationToken, [.. Common(), P(bucket), P(top), P(q.Limit - rows.Count)]));
        }

        return rows;
    }

    public async Task<AuditRow?> LastAuditAsync(CancellationToken cancellationToken) =>
        (await QueryAuditRows("ORDER BY seq DESC LIMIT 1", cancellationToken)).FirstOrDefault();

    public async Task<IReadOnlyList<AuditRow>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        await QueryAuditRows("WHERE seq > $1 ORDER BY seq LIMIT $2", cancellationToken, P(afterSeq), P(limit));

    public async Task<IReadOnlyList<AuditRow>> QueryAuditAsync(AuditQuery q, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (q.AttributeKey == "ResourceName")
        {
            return await QueryAuditByResourceAsync(q, cancellationToken);
        }

        var where = new StringBuilder("WHERE 1 = 1");
        var parameters = new List<NpgsqlParameter> { P(q.Limit) };
        if (q.AttributeKey is not null)
        {
            var column = q.AttributeKey switch
            {
                "EventId" => "event_id",
                "EventName" => "event_name",
                "ReadOnly" => "read_only",
                "Username" => "username",
                "ResourceType" => "resource_type",
                "ResourceName" => "resource_name",
                "EventSource" => "event_source",
                _ => "access_key_id",
            };
            parameters.Add(q.AttributeKey == "ReadOnly" ? P(string.Equals(q.AttributeValue, "true", StringComparison.OrdinalIgnoreCase)) : P(q.AttributeValue));
            where.Append(CultureInfo.InvariantCulture, $" AND {column} = ${parameters.Count}");
        }

        if (q.StartTime is not null)
        {
            parameters.Add(Ms(q.StartTime));
            where.Append(CultureInfo.InvariantCulture, $" AND event_time_ms >= ${parameters.Count}");
        }

        if (q.EndTime is not null)
        {
            parameters.Add(Ms(q.EndTime));
            where.Append(CultureInfo.InvariantCulture, $" AND event_time_ms <= ${parameters.Count}");
        }

        if (q.BeforeSeq is not null)
        {
            parameters.Add(P(q.BeforeSeq));
            where.Append(CultureInfo.InvariantCulture, $" AND seq < ${parameters.Count}");
        }

        return await QueryAuditRows(where + " ORDER BY seq DESC LIMIT $1", cancellationToken, [.. parameters]);
    }

    public async Task<long> LastDigestToSeqAsync(CancellationToken cancellationToken) =>
        Convert.ToInt64(await Scalar("SELECT COALESCE(MAX(to_seq), 0) FROM audit_digests", cancellationToken) ?? 0L, CultureInfo.InvariantCulture);

    public Task InsertAuditDigestAsync(AuditDigest d, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(d);
        return Execute(
            "INSERT INTO audit_digests (to_seq, from_seq, last_hash, created_ms, previous_digest_hash, signature) VALUES ($1, $2, $3, $4, $5, $6)",
            cancellationToken,
            P(d.ToSeq), P(d.FromSeq), P(d.LastHash), Ms(d.CreatedDate), P(d.PreviousDigestHash), P(d.Signature));
    }

    public async Task<IReadOnlyList<AuditDigest>> ListAuditDigestsAsync(CancellationToken cancellationToken) =>
        await Query(
            "SELECT from_seq, to_seq, last_hash, created_ms, previous_digest_hash, signature FROM audit_digests ORDER BY to_seq",
            r => new AuditDigest(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<byte[]>(2), FromMs(r.GetInt64(3)), r.GetFieldValue<byte[]>(4), r.GetFieldValue<byte[]>(5)),
            cancellationToken);
}
