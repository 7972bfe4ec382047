using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Sqlite;

/// <summary>Reads and writes over one connection, inside a transaction when one is given. Not thread-safe.</summary>
internal sealed class SqliteAccess : IStoreTransaction
{
    private const string SecretColumns = "id, region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta";
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction? _transaction;

    private readonly StatementCache? _statements;

    /// <param name="statements">The connection's prepared statements, or null to prepare each command afresh.</param>
    public SqliteAccess(SqliteConnection connection, SqliteTransaction? transaction, StatementCache? statements = null)
    {
        _statements = statements;
        _connection = connection;
        _transaction = transaction;
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _statements?.Rent(_connection, sql) ?? _connection.CreateCommand();
        cmd.Transaction = _transaction;
        if (!string.Equals(cmd.CommandText, sql, StringComparison.Ordinal))
        {
            cmd.CommandText = sql;
        }

        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private static SecretRecord ReadSecret(SqliteDataReader r)
    {
        var secret = new SecretRecord
        {
            Id = r.GetInt64(0),
            Region = r.GetString(1),
            Name = r.GetString(2),
            Arn = r.GetString(3),
            CreatedDate = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
            LastChangedDate = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
            LastAccessedDate = r.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
            DeletedDate = r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        };
        SecretMeta.Read(r.GetString(8), secret);
        return secret;
    }

    private List<SecretRecord> QuerySecrets(string sql, params (string, object?)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        using var r = cmd.ExecuteReader();
        var list = new List<SecretRecord>();
        while (r.Read())
        {
            list.Add(ReadSecret(r));
        }

        return list;
    }

    public string? GetSetting(string key)
    {
        using var cmd = Command(
            AuditFile.IsAuditSetting(key) ? "SELECT value FROM audit.settings WHERE key = $k" : "SELECT value FROM main.settings WHERE key = $k", ("$k", key));
        return cmd.ExecuteScalar() as string;
    }

    public SecretRecord? FindSecretByName(string region, string name) =>
        QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE region = $r AND name = $n", ("$r", region), ("$n", name)).FirstOrDefault();

    public SecretRecord? FindSecretByArn(string arn) =>
        QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE arn = $a", ("$a", arn)).FirstOrDefault();

    public IReadOnlyList<SecretRecord> FindSecretsByPartialArn(string partialArn) =>
        // The ARN is the partial ARN, '-', and a 6-character suffix. Range on the unique ARN index, then exact shape.
        QuerySecrets(
            $"SELECT {SecretColumns} FROM secrets WHERE arn > $lo AND arn < $hi AND length(arn) = $len",
            ("$lo", partialArn + "-"),
            ("$hi", partialArn + "-\u007f"),
            ("$len", partialArn.Length + 7));

    private SecretVersionRecord? QueryVersion(string where, params (string, object?)[] parameters)
    {
        using var cmd = Command($"SELECT v.version_id, v.created_ms, v.accessed_ms, v.envelope, v.kms_key_arn, v.secret_id FROM versions v WHERE {where}", parameters);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        var version = ReadVersion(r);
        version.Stages = StagesOf(r.GetInt64(5), version.VersionId);
        return version;
    }

    private static SecretVersionRecord ReadVersion(SqliteDataReader r) => new()
    {
        VersionId = r.GetString(0),
        CreatedDate = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
        LastAccessedDate = r.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
        Envelope = r.IsDBNull(3) ? null : (byte[])r.GetValue(3),
        KmsKeyArn = r.IsDBNull(4) ? null : r.GetString(4),
    };

    private List<string> StagesOf(long secretId, string versionId)
    {
        using var cmd = Command("SELECT stage FROM stages WHERE secret_id = $s AND version_id = $v ORDER BY stage", ("$s", secretId), ("$v", versionId));
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    public SecretVersionRecord? FindVersionById(long secretId, string versionId) =>
        QueryVersion("v.secret_id = $s AND v.version_id = $v", ("$s", secretId), ("$v", versionId));

    public SecretVersionRecord? FindVersionByStage(long secretId, string stage) =>
        QueryVersion("v.secret_id = $s AND v.version_id = (SELECT version_id FROM stages WHERE secret_id = $s AND stage = $st)", ("$s", secretId), ("$st", stage));

    public IReadOnlyList<SecretVersionRecord> ListVersions(long secretId)
    {
        var versions = new List<SecretVersionRecord>();
        using (var cmd = Command("SELECT version_id, created_ms, accessed_ms, envelope, kms_key_arn FROM versions WHERE secret_id = $s ORDER BY created_ms, version_id", ("$s", secretId)))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                versions.Add(ReadVersion(r));
            }
        }

        var byId = versions.ToDictionary(v => v.VersionId, StringComparer.Ordinal);
        using (var cmd = Command("SELECT stage, version_id FROM stages WHERE secret_id = $s ORDER BY stage", ("$s", secretId)))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                if (byId.TryGetValue(r.GetString(1), out var v))
                {
                    v.Stages.Add(r.GetString(0));
                }
            }
        }

        return versions;
    }

    public IReadOnlyList<SecretRecord> ScanSecrets(SecretScan scan)
    {
        var column = scan.SortBy switch
        {
            SecretSortKey.Name => "name",
            SecretSortKey.LastChangedDate => "changed_ms",
            SecretSortKey.LastAccessedDate => "COALESCE(accessed_ms, 0)",
            _ => "created_ms",
        };
        var dir = scan.Ascending ? "ASC" : "DESC";
        var cmp = scan.Ascending ? ">" : "<";
        var sql = new StringBuilder($"SELECT {SecretColumns} FROM secrets WHERE region = $r");
        var parameters = new List<(string, object?)> { ("$r", scan.Region), ("$limit", scan.Limit) };
        if (!scan.IncludeDeleted)
        {
            sql.Append(" AND deleted_ms IS NULL");
        }

        if (scan.NamePrefix is { Length: > 0 })
        {
            sql.Append(" AND name >= $plo AND name < $phi");
            parameters.Add(("$plo", scan.NamePrefix));
            parameters.Add(("$phi", scan.NamePrefix + "\u007f"));
        }

        if (scan.AfterId is not null)
        {
            if (scan.SortBy == SecretSortKey.Name)
            {
                sql.Append($" AND (name {cmp} $av OR (name = $av AND id {cmp} $aid))");
                parameters.Add(("$av", scan.AfterName));
            }
            else
            {
                sql.Append($" AND ({column} {cmp} $av OR ({column} = $av AND id {cmp} $aid))");
                parameters.Add(("$av", scan.AfterValue));
            }

            parameters.Add(("$aid", scan.AfterId));
        }

        sql.Append($" ORDER BY {column} {dir}, id {dir} LIMIT $limit");
        return QuerySecrets(sql.ToString(), parameters.ToArray());
    }

    public IReadOnlyDictionary<long, Dictionary<string, List<string>>> GetStageMaps(IReadOnlyCollection<long> secretIds)
    {
        var maps = new Dictionary<long, Dictionary<string, List<string>>>();
        if (secretIds.Count == 0)
        {
            return maps;
        }

        using var cmd = Command($"SELECT secret_id, version_id, stage FROM stages WHERE secret_id IN ({string.Join(",", secretIds)}) ORDER BY secret_id, version_id, stage");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var id = r.GetInt64(0);
            if (!maps.TryGetValue(id, out var map))
            {
                map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                maps[id] = map;
            }

            var versionId = r.GetString(1);
            if (!map.TryGetValue(versionId, out var stages))
            {
                stages = [];
                map[versionId] = stages;
            }

            stages.Add(r.GetString(2));
        }

        return maps;
    }

    public IReadOnlyList<SecretRecord> FindSecretsDueForDeletion(DateTimeOffset now, int limit) =>
        QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE deleted_ms IS NOT NULL AND deleted_ms <= $now ORDER BY deleted_ms LIMIT $limit", ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit));

    public void RecordAccess(long secretId, string versionId, DateTimeOffset day)
    {
        var ms = day.ToUnixTimeMilliseconds();
        Execute("UPDATE secrets SET accessed_ms = $d WHERE id = $s AND (accessed_ms IS NULL OR accessed_ms < $d)", ("$d", ms), ("$s", secretId));
        Execute("UPDATE versions SET accessed_ms = $d WHERE secret_id = $s AND version_id = $v AND (accessed_ms IS NULL OR accessed_ms < $d)", ("$d", ms), ("$s", secretId), ("$v", versionId));
    }

    private const string KmsColumns = "key_id, region, arn, state, manager, description, created_ms, current_version, meta, deletion_ms, next_rotation_ms";

    private static KmsKeyRecord ReadKmsKey(SqliteDataReader r)
    {
        var key = new KmsKeyRecord
        {
            KeyId = Guid.Parse(r.GetString(0)),
            Region = r.GetString(1),
            Arn = r.GetString(2),
            State = r.GetString(3),
            Manager = r.GetString(4),
            Description = r.IsDBNull(5) ? null : r.GetString(5),
            CreatedDate = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
            CurrentVersion = (uint)r.GetInt64(7),
            DeletionDate = r.IsDBNull(9) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
            NextRotationDate = r.IsDBNull(10) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10)),
        };
        KmsMeta.Read(r.GetString(8), key);
        return key;
    }

    private List<KmsKeyRecord> QueryKmsKeys(string where, params (string, object?)[] parameters)
    {
        using var cmd = Command($"SELECT {KmsColumns} FROM kms_keys WHERE {where}", parameters);
        using var r = cmd.ExecuteReader();
        var list = new List<KmsKeyRecord>();
        while (r.Read())
        {
            list.Add(ReadKmsKey(r));
        }

        return list;
    }

    public KmsKeyRecord? FindKmsKey(Guid keyId) => QueryKmsKeys("key_id = $k", ("$k", keyId.ToString("D"))).FirstOrDefault();

    public IReadOnlyList<KmsKeyRecord> ListKmsKeys(string region, Guid? afterKeyId, int limit) =>
        QueryKmsKeys("region = $r AND key_id > $after ORDER BY key_id LIMIT $limit", ("$r", region), ("$after", afterKeyId?.ToString("D") ?? string.Empty), ("$limit", limit));

    public IReadOnlyList<KmsKeyRecord> FindKmsKeysDue(DateTimeOffset now, int limit) =>
        QueryKmsKeys("deletion_ms <= $now OR next_rotation_ms <= $now LIMIT $limit", ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit));

    public IReadOnlyList<KmsAlias> ListKmsAliases(string region, Guid? keyId, string? afterAlias, int limit)
    {
        using var cmd = Command(
            "SELECT region, alias, key_id, created_ms, updated_ms FROM kms_aliases WHERE region = $r AND ($k IS NULL OR key_id = $k) AND alias > $after ORDER BY alias LIMIT $limit",
            ("$r", region), ("$k", keyId?.ToString("D")), ("$after", afterAlias ?? string.Empty), ("$limit", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<KmsAlias>();
        while (r.Read())
        {
            list.Add(new KmsAlias(r.GetString(0), r.GetString(1), Guid.Parse(r.GetString(2)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))));
        }

        return list;
    }

    public IReadOnlyList<KmsKeyVersion> ListKmsKeyVersions(Guid keyId)
    {
        using var cmd = Command("SELECT version, created_ms, rotation_type FROM kms_key_versions WHERE key_id = $k ORDER BY version", ("$k", keyId.ToString("D")));
        using var r = cmd.ExecuteReader();
        var list = new List<KmsKeyVersion>();
        while (r.Read())
        {
            list.Add(new KmsKeyVersion((uint)r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.IsDBNull(2) ? null : r.GetString(2)));
        }

        return list;
    }

    public Guid? FindKmsAlias(string region, string aliasName)
    {
        using var cmd = Command("SELECT key_id FROM kms_aliases WHERE region = $r AND alias = $a", ("$r", region), ("$a", aliasName));
        return cmd.ExecuteScalar() is string id ? Guid.Parse(id) : null;
    }

    public byte[]? GetKmsKeyMaterial(Guid keyId, uint version)
    {
        using var cmd = Command("SELECT wrapped FROM kms_key_versions WHERE key_id = $k AND version = $v", ("$k", keyId.ToString("D")), ("$v", (long)version));
        return cmd.ExecuteScalar() as byte[];
    }

    private const string AccessKeyColumns = "access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms, principal_id, mac";

    public AccessKeyRecord? FindAccessKey(string accessKeyId)
    {
        using var cmd = Command($"SELECT {AccessKeyColumns} FROM access_keys WHERE access_key_id = $k", ("$k", accessKeyId));
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadAccessKey(r) : null;
    }

    private static AccessKeyRecord ReadAccessKey(SqliteDataReader r) => new()
    {
        AccessKeyId = r.GetString(0),
        WrappedSecret = (byte[])r.GetValue(1),
        PrincipalArn = r.GetString(2),
        UserName = r.GetString(3),
        Status = r.GetString(4),
        CreatedDate = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        PrincipalId = r.IsDBNull(6) ? null : r.GetString(6),
        Mac = r.IsDBNull(7) ? null : (byte[])r.GetValue(7),
    };

    public Task<IReadOnlyList<AccessKeyRecord>> ListAllAccessKeysAsync(CancellationToken cancellationToken)
    {
        using var cmd = Command($"SELECT {AccessKeyColumns} FROM access_keys ORDER BY access_key_id");
        using var r = cmd.ExecuteReader();
        var list = new List<AccessKeyRecord>();
        while (r.Read())
        {
            list.Add(ReadAccessKey(r));
        }

        return Task.FromResult<IReadOnlyList<AccessKeyRecord>>(list);
    }

    // ------------------------------------------------------------ IAM

    private static IamEntityRow ReadIamEntity(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : (byte[])r.GetValue(3));

    public Task<IamEntityRow?> FindIamEntityAsync(string kind, string name, CancellationToken cancellationToken)
    {
        using var cmd = Command("SELECT kind, name, json, mac FROM iam_entities WHERE kind = $k AND name = $n", ("$k", kind), ("$n", name));
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? ReadIamEntity(r) : null);
    }

    public Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(string? kind, CancellationToken cancellationToken)
    {
        using var cmd = kind is null
            ? Command("SELECT kind, name, json, mac FROM iam_entities ORDER BY kind, name")
            : Command("SELECT kind, name, json, mac FROM iam_entities WHERE kind = $k ORDER BY name", ("$k", kind));
        using var r = cmd.ExecuteReader();
        var list = new List<IamEntityRow>();
        while (r.Read())
        {
            list.Add(ReadIamEntity(r));
        }

        return Task.FromResult<IReadOnlyList<IamEntityRow>>(list);
    }

    public Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken)
    {
        using var cmd = Command("SELECT access_key_id FROM access_keys WHERE user_name = $u ORDER BY created_ms, access_key_id", ("$u", userName));
        var ids = new List<string>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                ids.Add(r.GetString(0));
            }
        }

        return Task.FromResult<IReadOnlyList<AccessKeyRecord>>(ids.Select(FindAccessKey).Where(k => k is not null).Select(k => k!).ToList());
    }

    public Task PutIamEntityAsync(IamEntityRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        Execute("INSERT INTO iam_entities (kind, name, json, mac) VALUES ($k, $n, $j, $m) ON CONFLICT (kind, name) DO UPDATE SET json = excluded.json, mac = excluded.mac",
            ("$k", row.Kind), ("$n", row.Name), ("$j", row.Json), ("$m", row.Mac));
        return Task.CompletedTask;
    }

    public Task DeleteIamEntityAsync(string kind, string name, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM iam_entities WHERE kind = $k AND name = $n", ("$k", kind), ("$n", name));
        return Task.CompletedTask;
    }

    public Task DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM access_keys WHERE access_key_id = $k", ("$k", accessKeyId));
        return Task.CompletedTask;
    }

    // ------------------------------------------------------------ parameters

    private List<Core.Parameters.ParameterRecord> QueryParameters(string where, params (string, object?)[] parameters)
    {
        using var cmd = Command($"SELECT region, key, name, meta, value FROM parameters {where}", parameters);
        using var r = cmd.ExecuteReader();
        var list = new List<Core.Parameters.ParameterRecord>();
        while (r.Read())
        {
            var (version, meta) = ParameterMeta.Read(r.GetString(3), (byte[])r.GetValue(4));
            list.Add(new Core.Parameters.ParameterRecord
            {
                Region = r.GetString(0),
                Key = r.GetString(1),
                Name = r.GetString(2),
                Current = version,
                Labels = meta.Labels is null ? new Dictionary<string, long>(StringComparer.Ordinal) : new Dictionary<string, long>(meta.Labels, StringComparer.Ordinal),
                Tags = meta.Tags?.Select(t => new KeyValuePair<string, string>(t.Key, t.Value)).ToList() ?? [],
            });
        }

        return list;
    }

    public Task<Core.Parameters.ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken) =>
        Task.FromResult(QueryParameters("WHERE region = $r AND key = $k", ("$r", region), ("$k", key)).FirstOrDefault());

    public Task<IReadOnlyList<Core.Parameters.ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Core.Parameters.ParameterRecord>>(QueryParameters(
            "WHERE region = $r AND key >= $lo AND key < $hi AND key > $after ORDER BY key LIMIT $limit",
            ("$r", region), ("$lo", keyPrefix), ("$hi", keyPrefix + "\uffff"), ("$after", afterKey ?? string.Empty), ("$limit", limit)));

    public Task<IReadOnlyList<Core.Parameters.ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken)
    {
        using var cmd = Command("SELECT meta, value FROM parameter_versions WHERE region = $r AND key = $k ORDER BY version", ("$r", region), ("$k", key));
        using var r = cmd.ExecuteReader();
        var list = new List<Core.Parameters.ParameterVersionRecord>();
        while (r.Read())
        {
            list.Add(ParameterMeta.Read(r.GetString(0), (byte[])r.GetValue(1)).Version);
        }

        return Task.FromResult<IReadOnlyList<Core.Parameters.ParameterVersionRecord>>(list);
    }

    public Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken)
    {
        using var cmd = Command("SELECT DISTINCT region FROM parameters ORDER BY region");
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return Task.FromResult<IReadOnlyList<string>>(list);
    }

    public Task UpsertParameterAsync(Core.Parameters.ParameterRecord parameter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Execute(
            "INSERT INTO parameters (region, key, name, meta, value) VALUES ($r, $k, $n, $m, $v) ON CONFLICT (region, key) DO UPDATE SET meta = excluded.meta, value = excluded.value",
            ("$r", parameter.Region), ("$k", parameter.Key), ("$n", parameter.Name), ("$m", ParameterMeta.Write(parameter.Current, parameter)), ("$v", parameter.Current.Value));
        return Task.CompletedTask;
    }

    public Task InsertParameterVersionAsync(string region, string key, Core.Parameters.ParameterVersionRecord version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        Execute(
            "INSERT INTO parameter_versions (region, key, version, meta, value) VALUES ($r, $k, $ver, $m, $v)",
            ("$r", region), ("$k", key), ("$ver", version.Version), ("$m", ParameterMeta.Write(version)), ("$v", version.Value));
        return Task.CompletedTask;
    }

    public Task DeleteParameterVersionAsync(string region, string key, long version, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM parameter_versions WHERE region = $r AND key = $k AND version = $v", ("$r", region), ("$k", key), ("$v", version));
        return Task.CompletedTask;
    }

    public Task DeleteParameterAsync(string region, string key, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM parameter_versions WHERE region = $r AND key = $k", ("$r", region), ("$k", key));
        Execute("DELETE FROM parameters WHERE region = $r AND key = $k", ("$r", region), ("$k", key));
        return Task.CompletedTask;
    }

    // ------------------------------------------------------------ audit

    private const string AuditColumns = "seq, event_id, event_time_ms, event_name, event_source, username, access_key_id, read_only, resource_name, resource_type, record, hash";

    private List<Core.Audit.AuditRow> QueryAuditRows(string where, params (string, object?)[] parameters) =>
        QueryAuditRowsFrom($"SELECT {AuditColumns} FROM audit_events {where}", parameters);

    /// <param name="sql">A query whose columns are <see cref="AuditColumns"/>, in order.</param>
    private List<Core.Audit.AuditRow> QueryAuditRowsFrom(string sql, params (string, object?)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        using var r = cmd.ExecuteReader();
        var list = new List<Core.Audit.AuditRow>();
        while (r.Read())
        {
            list.Add(new Core.Audit.AuditRow(
                r.GetInt64(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetInt64(7) != 0,
                r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetString(10), (byte[])r.GetValue(11)));
        }

        return list;
    }

    public void AppendAudit(IReadOnlyList<Core.Audit.AuditRow> rows)
    {
        using var cmd = Command(
            $"INSERT INTO audit_events ({AuditColumns}) VALUES ($seq, $id, $t, $n, $src, $u, $ak, $ro, $rn, $rt, $rec, $h)");
        var p = new Dictionary<string, SqliteParameter>();
        foreach (var name in new[] { "$seq", "$id", "$t", "$n", "$src", "$u", "$ak", "$ro", "$rn", "$rt", "$rec", "$h" })
        {
            p[name] = cmd.Parameters.Add(name, SqliteType.Text);
        }

        foreach (var row in rows)
        {
            p["$seq"].Value = row.Seq;
            p["$id"].Value = row.EventId;
            p["$t"].Value = row.EventTime.ToUnixTimeMilliseconds();
            p["$n"].Value = row.EventName;
            p["$src"].Value = row.EventSource;
            p["$u"].Value = (object?)row.Username ?? DBNull.Value;
            p["$ak"].Value = (object?)row.AccessKeyId ?? DBNull.Value;
            p["$ro"].Value = row.ReadOnly ? 1 : 0;
            p["$rn"].Value = (object?)row.ResourceName ?? DBNull.Value;
            p["$rt"].Value = (object?)row.ResourceType ?? DBNull.Value;
            p["$rec"].Value = row.Record;
            p["$h"].Value = row.Hash;
            p["$h"].SqliteType = SqliteType.Blob;
            cmd.ExecuteNonQuery();
        }
    }

    public StoreStatistics Statistics()
    {
        long Count(string sql)
        {
            using var cmd = Command(sql);
            return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        }

        return new StoreStatistics(
            Count("SELECT COUNT(*) FROM secrets"),
            Count("SELECT COUNT(*) FROM versions"),
            Count("SELECT COUNT(*) FROM kms_keys"),
            Count("SELECT COUNT(*) FROM kms_key_versions"),
            Count("SELECT COALESCE(MAX(seq), 0) FROM audit_events"),
            Count("SELECT COALESCE(MAX(to_seq), 0) FROM audit_digests"));
    }

    public void DeleteAuditRange(long fromSeq, long toSeq)
    {
        Execute(
            "DELETE FROM audit_resources WHERE bucket >= $fb AND bucket <= $tb AND seq >= $f AND seq <= $t",
            ("$fb", Core.Audit.AuditResourceIndex.Bucket(fromSeq)), ("$tb", Core.Audit.AuditResourceIndex.Bucket(toSeq)), ("$f", fromSeq), ("$t", toSeq));
        Execute("DELETE FROM audit_events WHERE seq >= $f AND seq <= $t", ("$f", fromSeq), ("$t", toSeq));
    }

    /// <summary>
    /// The resource-name indexing pass (<see cref="Core.Audit.AuditResourceIndex"/>): when the trail has grown by
    /// <see cref="Core.Audit.AuditResourceIndex.IndexEvery"/> records past the index, copies the names of records up
    /// to <paramref name="toSeq"/> into it. Returns the sequence number the index now reaches.
    /// </summary>
    public long IndexAuditResources(long toSeq)
    {
        var from = Core.Audit.AuditResourceIndex.ParseSetting(GetSetting(Core.Audit.AuditResourceIndex.Setting));
        if (toSeq - from < Core.Audit.AuditResourceIndex.IndexEvery)
        {
            return from;
        }

        Execute(
            $"INSERT INTO audit_resources (bucket, resource_name, seq) SELECT seq >> {Core.Audit.AuditResourceIndex.BucketBits}, resource_name, seq FROM audit_events " +
            "WHERE seq > $f AND seq <= $t AND resource_name IS NOT NULL",
            ("$f", from), ("$t", toSeq));
        SetSettingAsync(Core.Audit.AuditResourceIndex.Setting, Core.Audit.AuditResourceIndex.FormatSetting(toSeq), CancellationToken.None);
        return toSeq;
    }

    /// <summary><see cref="AuditColumns"/> of the trail aliased <c>e</c>.</summary>
    private static readonly string AuditColumnsOfE = "e." + AuditColumns.Replace(", ", ", e.", StringComparison.Ordinal);

    /// <summary>LookupEvents' StartTime/EndTime as conditions on <paramref name="column"/> ($start, $end).</summary>
    private static void AppendTimeBounds(StringBuilder where, List<(string, object?)> parameters, Core.Audit.AuditQuery q, string column)
    {
        if (q.StartTime is not null)
        {
            where.Append($" AND {column} >= $start");
            parameters.Add(("$start", q.StartTime.Value.ToUnixTimeMilliseconds()));
        }

        if (q.EndTime is not null)
        {
            where.Append($" AND {column} <= $end");
            parameters.Add(("$end", q.EndTime.Value.ToUnixTimeMilliseconds()));
        }
    }

    /// <summary>LookupEvents by ResourceName: the trail's unindexed tail first, then the index, bucket by bucket, newest first.</summary>
    private List<Core.Audit.AuditRow> QueryAuditByResource(Core.Audit.AuditQuery q)
    {
        var indexedTo = Core.Audit.AuditResourceIndex.ParseSetting(GetSetting(Core.Audit.AuditResourceIndex.Setting));
        var before = q.BeforeSeq ?? long.MaxValue;
        var time = new StringBuilder();
        var parameters = new List<(string, object?)> { ("$v", q.AttributeValue), ("$before", before) };
        AppendTimeBounds(time, parameters, q, "e.event_time_ms");
        var columns = AuditColumnsOfE;
        var rows = QueryAuditRowsFrom(
            $"SELECT {columns} FROM audit_events e WHERE e.seq > $x AND e.seq < $before AND e.resource_name = $v{time} ORDER BY e.seq DESC LIMIT $limit",
            [.. parameters, ("$x", indexedTo), ("$limit", q.Limit)]);
        var top = Math.Min(indexedTo, before - 1);
        if (rows.Count >= q.Limit || top <= 0)
        {
            return rows;
        }

        long lowest;
        using (var min = Command("SELECT COALESCE(MIN(seq), 0) FROM audit_events"))
        {
            lowest = Convert.ToInt64(min.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        }

        for (var bucket = Core.Audit.AuditResourceIndex.Bucket(top); bucket >= Core.Audit.AuditResourceIndex.Bucket(lowest) && rows.Count < q.Limit; bucket--)
        {
            rows.AddRange(QueryAuditRowsFrom(
                $"SELECT {columns} FROM audit_resources r JOIN audit_events e ON e.seq = r.seq " +
                $"WHERE r.bucket = $b AND r.resource_name = $v AND r.seq <= $top{time} ORDER BY r.seq DESC LIMIT $limit",
                [.. parameters, ("$b", bucket), ("$top", top), ("$limit", q.Limit - rows.Count)]));
        }

        return rows;
    }

    public Core.Audit.AuditRow? LastAudit() => QueryAuditRows("ORDER BY seq DESC LIMIT 1").FirstOrDefault();

    public IReadOnlyList<Core.Audit.AuditRow> ReadAudit(long afterSeq, int limit) =>
        QueryAuditRows("WHERE seq > $after ORDER BY seq LIMIT $limit", ("$after", afterSeq), ("$limit", limit));

    public IReadOnlyList<Core.Audit.AuditRow> QueryAudit(Core.Audit.AuditQuery q)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (q.AttributeKey == "ResourceName")
        {
            return QueryAuditByResource(q);
        }

        var where = new StringBuilder("WHERE 1 = 1");
        var parameters = new List<(string, object?)> { ("$limit", q.Limit) };
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
            where.Append($" AND {column} = $v");
            parameters.Add(("$v", q.AttributeKey == "ReadOnly" ? (string.Equals(q.AttributeValue, "true", StringComparison.OrdinalIgnoreCase) ? 1 : 0) : q.AttributeValue));
        }

        AppendTimeBounds(where, parameters, q, "event_time_ms");
        if (q.BeforeSeq is not null)
        {
            where.Append(" AND seq < $before");
            parameters.Add(("$before", q.BeforeSeq.Value));
        }

        return QueryAuditRows(where + " ORDER BY seq DESC LIMIT $limit", parameters.ToArray());
    }

    public long LastDigestToSeq()
    {
        using var cmd = Command("SELECT COALESCE(MAX(to_seq), 0) FROM audit_digests");
        return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public void InsertAuditDigest(Core.Audit.AuditDigest d) =>
        Execute(
            "INSERT INTO audit_digests (to_seq, from_seq, last_hash, created_ms, previous_digest_hash, signature) VALUES ($to, $from, $h, $c, $p, $s)",
            ("$to", d.ToSeq), ("$from", d.FromSeq), ("$h", d.LastHash), ("$c", d.CreatedDate.ToUnixTimeMilliseconds()), ("$p", d.PreviousDigestHash), ("$s", d.Signature));

    public IReadOnlyList<Core.Audit.AuditDigest> ListAuditDigests()
    {
        using var cmd = Command("SELECT from_seq, to_seq, last_hash, created_ms, previous_digest_hash, signature FROM audit_digests ORDER BY to_seq");
        using var r = cmd.ExecuteReader();
        var list = new List<Core.Audit.AuditDigest>();
        while (r.Read())
        {
            list.Add(new Core.Audit.AuditDigest(r.GetInt64(0), r.GetInt64(1), (byte[])r.GetValue(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), (byte[])r.GetValue(4), (byte[])r.GetValue(5)));
        }

        return list;
    }

    // ------------------------------------------------------------ IStoreReader (async façade)

    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken) => Task.FromResult(GetSetting(key));

    public Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken) => Task.FromResult(FindSecretByName(region, name));

    public Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken) => Task.FromResult(FindSecretByArn(arn));

    public Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken) => Task.FromResult(FindSecretsByPartialArn(partialArn));

    public Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken) => Task.FromResult(FindVersionById(secretId, versionId));

    public Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken) => Task.FromResult(FindVersionByStage(secretId, stage));

    public Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken) => Task.FromResult(ListVersions(secretId));

    public Task<KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) => Task.FromResult(FindKmsKey(keyId));

    public Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) => Task.FromResult(FindKmsAlias(region, aliasName));

    public Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken) => Task.FromResult(GetKmsKeyMaterial(keyId, version));

    public Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) => Task.FromResult(FindAccessKey(accessKeyId));

    public Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken) => Task.FromResult(ListKmsKeys(region, afterKeyId, limit));

    public Task<IReadOnlyList<KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken) => Task.FromResult(ListKmsAliases(region, keyId, afterAlias, limit));

    public Task<IReadOnlyList<KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken) => Task.FromResult(ListKmsKeyVersions(keyId));

    public Task<IReadOnlyList<KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => Task.FromResult(FindKmsKeysDue(now, limit));

    // ------------------------------------------------------------ writes

    public Task SetSettingAsync(string key, string value, CancellationToken cancellationToken)
    {
        Execute(
            AuditFile.IsAuditSetting(key)
                ? "INSERT INTO audit.settings (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                : "INSERT INTO main.settings (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$k", key), ("$v", value));
        return Task.CompletedTask;
    }

    public Task InsertSecretAsync(SecretRecord secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        using var cmd = Command(
            "INSERT INTO secrets (region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta, rotation_due_ms) VALUES ($r, $n, $a, $c, $ch, $ac, $d, $m, $due) RETURNING id",
            ("$r", secret.Region), ("$n", secret.Name), ("$a", secret.Arn),
            ("$c", secret.CreatedDate.ToUnixTimeMilliseconds()), ("$ch", secret.LastChangedDate.ToUnixTimeMilliseconds()),
            ("$ac", secret.LastAccessedDate?.ToUnixTimeMilliseconds()), ("$d", secret.DeletedDate?.ToUnixTimeMilliseconds()),
            ("$m", SecretMeta.Write(secret)), ("$due", RotationDueMs(secret)));
        secret.Id = (long)cmd.ExecuteScalar()!;
        return Task.CompletedTask;
    }

    public Task UpdateSecretAsync(SecretRecord secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Execute(
            "UPDATE secrets SET changed_ms = $ch, accessed_ms = $ac, deleted_ms = $d, meta = $m, rotation_due_ms = $due WHERE id = $id",
            ("$ch", secret.LastChangedDate.ToUnixTimeMilliseconds()), ("$ac", secret.LastAccessedDate?.ToUnixTimeMilliseconds()),
            ("$d", secret.DeletedDate?.ToUnixTimeMilliseconds()), ("$m", SecretMeta.Write(secret)), ("$due", RotationDueMs(secret)), ("$id", secret.Id));
        return Task.CompletedTask;
    }

    /// <summary>The scheduler's index: when the secret's next rotation window ends, for primaries with rotation on.</summary>
    private static long? RotationDueMs(SecretRecord secret) =>
        secret.RotationEnabled == true && secret.DeletedDate is null && !secret.IsReplica ? secret.NextRotationDate?.ToUnixTimeMilliseconds() : null;

    public IReadOnlyList<SecretRecord> FindSecretsDueForRotation(DateTimeOffset windowEndsBy, int limit) =>
        QuerySecrets($"SELECT {SecretColumns} FROM secrets WHERE rotation_due_ms IS NOT NULL AND rotation_due_ms <= $t ORDER BY rotation_due_ms LIMIT $limit", ("$t", windowEndsBy.ToUnixTimeMilliseconds()), ("$limit", limit));

    private const string RunColumns = "run_id, secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node";

    public bool InsertRotationRun(Core.Rotation.RotationRun run)
    {
        using (var running = Command("SELECT 1 FROM rotation_runs WHERE secret_arn = $a AND outcome = 'Running' LIMIT 1", ("$a", run.SecretArn)))
        {
            if (running.ExecuteScalar() is not null)
            {
                return false;
            }
        }

        using var cmd = Command(
            "INSERT INTO rotation_runs (secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node) VALUES ($a, $r, $v, $f, $t, $n, $s, $o, $e, $st, $fi, $re, $node) RETURNING run_id",
            RunParameters(run));
        run.RunId = (long)cmd.ExecuteScalar()!;
        return true;
    }

    public void UpdateRotationRun(Core.Rotation.RotationRun run) =>
        Execute(
            "UPDATE rotation_runs SET secret_arn = $a, region = $r, version_id = $v, function_arn = $f, trigger = $t, attempt = $n, step = $s, outcome = $o, error = $e, started_ms = $st, finished_ms = $fi, retry_ms = $re, node = $node WHERE run_id = $id",
            [.. RunParameters(run), ("$id", run.RunId)]);

    private static (string, object?)[] RunParameters(Core.Rotation.RotationRun run) =>
    [
        ("$a", run.SecretArn), ("$r", run.Region), ("$v", run.VersionId), ("$f", run.FunctionArn), ("$t", run.Trigger), ("$n", run.Attempt),
        ("$s", run.StepReached), ("$o", run.Outcome), ("$e", run.Error), ("$st", run.StartedDate.ToUnixTimeMilliseconds()),
        ("$fi", run.FinishedDate?.ToUnixTimeMilliseconds()), ("$re", run.RetryAt?.ToUnixTimeMilliseconds()), ("$node", run.Node),
    ];

    public IReadOnlyList<Core.Rotation.RotationRun> QueryRotationRuns(string where, params (string, object?)[] parameters)
    {
        using var cmd = Command($"SELECT {RunColumns} FROM rotation_runs WHERE {where}", parameters);
        using var r = cmd.ExecuteReader();
        var list = new List<Core.Rotation.RotationRun>();
        while (r.Read())
        {
            list.Add(new Core.Rotation.RotationRun
            {
                RunId = r.GetInt64(0), SecretArn = r.GetString(1), Region = r.GetString(2), VersionId = r.GetString(3),
                FunctionArn = r.IsDBNull(4) ? null : r.GetString(4), Trigger = r.GetString(5), Attempt = r.GetInt32(6),
                StepReached = r.IsDBNull(7) ? null : r.GetString(7), Outcome = r.GetString(8), Error = r.IsDBNull(9) ? null : r.GetString(9),
                StartedDate = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10)),
                FinishedDate = r.IsDBNull(11) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(11)),
                RetryAt = r.IsDBNull(12) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(12)),
                Node = r.IsDBNull(13) ? null : r.GetString(13),
            });
        }

        return list;
    }

    public Task DeleteSecretAsync(long secretId, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM stages WHERE secret_id = $s", ("$s", secretId));
        Execute("DELETE FROM versions WHERE secret_id = $s", ("$s", secretId));
        Execute("DELETE FROM secrets WHERE id = $s", ("$s", secretId));
        return Task.CompletedTask;
    }

    public Task InsertVersionAsync(long secretId, SecretVersionRecord version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        Execute(
            "INSERT INTO versions (secret_id, version_id, created_ms, accessed_ms, envelope, kms_key_arn) VALUES ($s, $v, $c, $a, $e, $k)",
            ("$s", secretId), ("$v", version.VersionId), ("$c", version.CreatedDate.ToUnixTimeMilliseconds()),
            ("$a", version.LastAccessedDate?.ToUnixTimeMilliseconds()), ("$e", version.Envelope), ("$k", version.KmsKeyArn));
        return Task.CompletedTask;
    }

    public Task UpdateVersionValueAsync(long secretId, string versionId, byte[] envelope, string kmsKeyArn, CancellationToken cancellationToken)
    {
        Execute("UPDATE versions SET envelope = $e, kms_key_arn = $k WHERE secret_id = $s AND version_id = $v", ("$e", envelope), ("$k", kmsKeyArn), ("$s", secretId), ("$v", versionId));
        return Task.CompletedTask;
    }

    public Task DeleteVersionAsync(long secretId, string versionId, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM stages WHERE secret_id = $s AND version_id = $v", ("$s", secretId), ("$v", versionId));
        Execute("DELETE FROM versions WHERE secret_id = $s AND version_id = $v", ("$s", secretId), ("$v", versionId));
        return Task.CompletedTask;
    }

    public Task ReplaceStagesAsync(long secretId, IEnumerable<KeyValuePair<string, string>> stageToVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stageToVersion);
        Execute("DELETE FROM stages WHERE secret_id = $s", ("$s", secretId));
        foreach (var pair in stageToVersion)
        {
            // The primary key (secret_id, stage) makes a second holder of one label a constraint violation.
            Execute("INSERT INTO stages (secret_id, stage, version_id) VALUES ($s, $st, $v)", ("$s", secretId), ("$st", pair.Key), ("$v", pair.Value));
        }

        return Task.CompletedTask;
    }

    public Task InsertKmsKeyAsync(KmsKeyRecord key, byte[] wrappedMaterial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        Execute(
            "INSERT INTO kms_keys (key_id, region, arn, state, manager, description, created_ms, current_version, meta, deletion_ms, next_rotation_ms) VALUES ($k, $r, $a, $s, $m, $d, $c, $v, $meta, $del, $rot)",
            ("$k", key.KeyId.ToString("D")), ("$r", key.Region), ("$a", key.Arn), ("$s", key.State), ("$m", key.Manager),
            ("$d", key.Description), ("$c", key.CreatedDate.ToUnixTimeMilliseconds()), ("$v", (long)key.CurrentVersion), ("$meta", KmsMeta.Write(key)),
            ("$del", key.DeletionDate?.ToUnixTimeMilliseconds()), ("$rot", key.NextRotationDate?.ToUnixTimeMilliseconds()));
        return InsertKmsKeyVersionAsync(key.KeyId, new KmsKeyVersion(key.CurrentVersion, key.CreatedDate, null), wrappedMaterial, cancellationToken);
    }

    public Task UpdateKmsKeyAsync(KmsKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        Execute(
            "UPDATE kms_keys SET state = $s, description = $d, current_version = $v, meta = $meta, deletion_ms = $del, next_rotation_ms = $rot WHERE key_id = $k",
            ("$k", key.KeyId.ToString("D")), ("$s", key.State), ("$d", key.Description), ("$v", (long)key.CurrentVersion), ("$meta", KmsMeta.Write(key)),
            ("$del", key.DeletionDate?.ToUnixTimeMilliseconds()), ("$rot", key.NextRotationDate?.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    public Task InsertKmsKeyVersionAsync(Guid keyId, KmsKeyVersion version, byte[] wrappedMaterial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        Execute(
            "INSERT INTO kms_key_versions (key_id, version, wrapped, created_ms, rotation_type) VALUES ($k, $v, $w, $c, $t)",
            ("$k", keyId.ToString("D")), ("$v", (long)version.Version), ("$w", wrappedMaterial), ("$c", version.CreatedDate.ToUnixTimeMilliseconds()), ("$t", version.RotationType));
        return Task.CompletedTask;
    }

    public Task InsertKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Execute("INSERT INTO kms_aliases (region, alias, key_id, created_ms, updated_ms) VALUES ($r, $a, $k, $c, $c)", ("$r", region), ("$a", aliasName), ("$k", keyId.ToString("D")), ("$c", now.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    public Task UpdateKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Execute("UPDATE kms_aliases SET key_id = $k, updated_ms = $u WHERE region = $r AND alias = $a", ("$r", region), ("$a", aliasName), ("$k", keyId.ToString("D")), ("$u", now.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    public Task DeleteKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken)
    {
        Execute("DELETE FROM kms_aliases WHERE region = $r AND alias = $a", ("$r", region), ("$a", aliasName));
        return Task.CompletedTask;
    }

    public Task DeleteKmsKeyAsync(Guid keyId, CancellationToken cancellationToken)
    {
        var id = keyId.ToString("D");
        Execute("DELETE FROM kms_aliases WHERE key_id = $k", ("$k", id));
        Execute("DELETE FROM kms_key_versions WHERE key_id = $k", ("$k", id));
        Execute("DELETE FROM kms_keys WHERE key_id = $k", ("$k", id));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RootWrappedValue>> ListRootWrappedAsync(CancellationToken cancellationToken)
    {
        var list = new List<RootWrappedValue>();
        using (var cmd = Command("SELECT v.key_id, v.version, k.arn, v.wrapped FROM kms_key_versions v JOIN kms_keys k ON k.key_id = v.key_id ORDER BY v.key_id, v.version"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var version = r.GetInt64(1);
                list.Add(new RootWrappedValue("kms", r.GetString(0), version, r.GetString(2) + "#" + version.ToString(System.Globalization.CultureInfo.InvariantCulture), (byte[])r.GetValue(3)));
            }
        }

        using (var cmd = Command("SELECT name, wrapped FROM root_wrapped ORDER BY name"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                list.Add(new RootWrappedValue("named", r.GetString(0), 0, "named:" + r.GetString(0), (byte[])r.GetValue(1)));
            }
        }


        return Task.FromResult<IReadOnlyList<RootWrappedValue>>(list);
    }

    public Task ReplaceRootWrappedAsync(RootWrappedValue value, byte[] wrapped, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var changed = value.Kind switch
        {
            "kms" => Execute("UPDATE kms_key_versions SET wrapped = $w WHERE key_id = $k AND version = $v", ("$w", wrapped), ("$k", value.Id), ("$v", value.Version)),
            "named" => Execute("UPDATE root_wrapped SET wrapped = $w WHERE name = $k", ("$w", wrapped), ("$k", value.Id)),
            _ => throw new ArgumentException($"No root-wrapped values of kind {value.Kind}.", nameof(value)),
        };
        if (changed != 1)
        {
            throw new InvalidOperationException($"Wrapped value {value.Kind} {value.Id} vanished during root-key rotation.");
        }

        return Task.CompletedTask;
    }

    public Task<byte[]?> GetRootWrappedAsync(string name, CancellationToken cancellationToken)
    {
        using var cmd = Command("SELECT wrapped FROM root_wrapped WHERE name = $n", ("$n", name));
        return Task.FromResult(cmd.ExecuteScalar() as byte[]);
    }

    public Task PutRootWrappedAsync(string name, byte[] wrapped, CancellationToken cancellationToken)
    {
        Execute("INSERT INTO root_wrapped (name, wrapped) VALUES ($n, $w) ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped", ("$n", name), ("$w", wrapped));
        return Task.CompletedTask;
    }

    public Task UpsertAccessKeyAsync(AccessKeyRecord accessKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accessKey);
        Execute(
            "INSERT INTO access_keys (access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms, principal_id, mac) VALUES ($k, $w, $p, $u, $s, $c, $i, $m) " +
            "ON CONFLICT (access_key_id) DO UPDATE SET wrapped_secret = excluded.wrapped_secret, principal_arn = excluded.principal_arn, user_name = excluded.user_name, status = excluded.status, " +
            "principal_id = excluded.principal_id, mac = excluded.mac",
            ("$k", accessKey.AccessKeyId), ("$w", accessKey.WrappedSecret), ("$p", accessKey.PrincipalArn), ("$u", accessKey.UserName),
            ("$s", accessKey.Status), ("$c", accessKey.CreatedDate.ToUnixTimeMilliseconds()), ("$i", accessKey.PrincipalId), ("$m", accessKey.Mac));
        return Task.CompletedTask;
    }
}
