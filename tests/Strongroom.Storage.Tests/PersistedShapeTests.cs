using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>
/// Golden tests of every row shape the stores persist (ADR 0002: the metadata JSON columns; and the plain columns of
/// versions, KMS keys, parameters, IAM entities, access keys, rotation runs, the audit trail, settings and root-wrapped
/// values): a record written through the port must land in the database as exactly these values, in both stores.
/// A failure here means data directories and databases written by earlier builds would no longer read the same. The fix
/// is a new format version (or an added member, with its own expected value), never a changed expected value.
/// </summary>
public abstract class PersistedShapeTests : IAsyncLifetime
{
    protected static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private IStore? _store;

    private IStore Store => _store ?? throw new InvalidOperationException("not initialised");

    /// <summary>A new, initialised store on a new, empty database.</summary>
    protected abstract Task<IStore> CreateStoreAsync();

    /// <summary>The rows <paramref name="sql"/> selects, read from the database directly (<see cref="RawRows"/>).</summary>
    protected abstract Task<IReadOnlyList<string>> RawRowsAsync(string sql);

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private Task Write(Func<IStoreTransaction, Task> work) => Store.WriteAsync(
        async tx =>
        {
            await work(tx);
            return true;
        },
        Ct);

    private async Task AssertRows(string sql, params string[] expected)
    {
        var actual = await RawRowsAsync(sql);
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            // Row by row, so that a failure points at the first differing character.
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public async Task Secret_EveryMember_IsStoredAsTheFrozenColumnsAndMetaJson()
    {
        var full = new SecretRecord
        {
            Region = "us-east-1",
            Name = "golden/full",
            Arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/full-AbCdEf",
            Description = "d \"quoted\" é <tag> &",
            KmsKeyId = "alias/golden",
            CreatedDate = T0,
            LastChangedDate = T0.AddSeconds(1),
            LastAccessedDate = T0.AddDays(1),
            LastRotatedDate = T0.AddHours(2),
            NextRotationDate = T0.AddDays(30),
            RotationEnabled = true,
            RotationLambdaArn = "arn:aws:lambda:us-east-1:123456789012:function:rotate",
            RotationRules = new RotationRules(30, "2h", "rate(30 days)"),
            ResourcePolicy = "{\"Version\":\"2012-10-17\"}",
            Tags = [new SecretTag("team", "a"), new SecretTag("env", "")],
            PrimaryRegion = "us-east-1",
            Replicas =
            [
                new ReplicaStatus { Region = "eu-west-1", KmsKeyId = "alias/eu", Status = "InSync", StatusMessage = "Replication succeeded", LastAccessedDate = T0.AddDays(2) },
                new ReplicaStatus { Region = "ap-south-1", Status = "InProgress" },
            ],
            OwningService = "rds",
            Type = "generic",
        };
        var minimal = new SecretRecord { Region = "eu-west-1", Name = "golden/min", Arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:golden/min-GhIjKl", CreatedDate = T0, LastChangedDate = T0 };
        var deleted = new SecretRecord
        {
            Region = "us-east-1", Name = "golden/deleted", Arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/deleted-MnOpQr", CreatedDate = T0, LastChangedDate = T0,
            DeletedDate = T0.AddDays(7), RotationEnabled = false, Tags = [], Replicas = [],
        };

        // Every tag removed: an empty list, not none, so that AWS's "Tags": [] is still shown.
        var untagged = new SecretRecord
        {
            Region = "us-east-1", Name = "golden/untagged", Arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/untagged-StUvWx", CreatedDate = T0, LastChangedDate = T0,
            Tags = [], HasTagList = true,
        };
        await Write(async tx =>
        {
            await tx.InsertSecretAsync(full, Ct);
            await tx.InsertSecretAsync(minimal, Ct);
            await tx.InsertSecretAsync(deleted, Ct);
            await tx.InsertSecretAsync(untagged, Ct);
        });

        await AssertRows(
            "SELECT id, region, name, arn, created_ms, changed_ms, accessed_ms, deleted_ms, meta, rotation_due_ms FROM secrets ORDER BY id",
            "1|us-east-1|golden/full|arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/full-AbCdEf|1767225600000|1767225601000|1767312000000|<null>|" +
            @"{""v"":1,""description"":""d \u0022quoted\u0022 \u00E9 \u003Ctag\u003E \u0026"",""kmsKeyId"":""alias/golden"",""lastRotatedMs"":1767232800000,""nextRotationMs"":1769817600000," +
            @"""rotationEnabled"":true,""rotationLambdaArn"":""arn:aws:lambda:us-east-1:123456789012:function:rotate"",""rotationRules"":{""automaticallyAfterDays"":30,""duration"":""2h"",""scheduleExpression"":""rate(30 days)""}," +
            @"""resourcePolicy"":""{\u0022Version\u0022:\u00222012-10-17\u0022}"",""tags"":[{""key"":""team"",""value"":""a""},{""key"":""env"",""value"":""""}],""primaryRegion"":""us-east-1""," +
            @"""replicas"":[{""region"":""eu-west-1"",""kmsKeyId"":""alias/eu"",""status"":""InSync"",""statusMessage"":""Replication succeeded"",""lastAccessedMs"":1767398400000},{""region"":""ap-south-1"",""status"":""InProgress""}]," +
            @"""owningService"":""rds"",""type"":""generic""}|1769817600000",
            @"2|eu-west-1|golden/min|arn:aws:secretsmanager:eu-west-1:123456789012:secret:golden/min-GhIjKl|1767225600000|1767225600000|<null>|<null>|{""v"":1}|<null>",
            @"3|us-east-1|golden/deleted|arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/deleted-MnOpQr|1767225600000|1767225600000|<null>|1767830400000|{""v"":1,""rotationEnabled"":false}|<null>",
            @"4|us-east-1|golden/untagged|arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/untagged-StUvWx|1767225600000|1767225600000|<null>|<null>|{""v"":1,""tags"":[]}|<null>");
        Assert.True((await Store.FindSecretByNameAsync("us-east-1", "golden/untagged", Ct))!.ShowsTags);
        Assert.False((await Store.FindSecretByNameAsync("eu-west-1", "golden/min", Ct))!.ShowsTags);

        await Write(async tx =>
        {
            await tx.InsertVersionAsync(full.Id, new SecretVersionRecord { VersionId = "v-1", CreatedDate = T0, Envelope = [0x53, 0x52, 0x00, 0xff], KmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/k" }, Ct);
            await tx.InsertVersionAsync(full.Id, new SecretVersionRecord { VersionId = "v-2", CreatedDate = T0.AddSeconds(5), LastAccessedDate = T0.AddDays(1) }, Ct);
            await tx.ReplaceStagesAsync(full.Id, [new("AWSCURRENT", "v-1"), new("AWSPENDING", "v-2"), new("custom", "v-1")], Ct);
        });
        await AssertRows(
            "SELECT secret_id, version_id, created_ms, accessed_ms, envelope, kms_key_arn FROM versions ORDER BY secret_id, version_id",
            "1|v-1|1767225600000|<null>|0x535200ff|arn:aws:kms:us-east-1:123456789012:key/k",
            "1|v-2|1767225605000|1767312000000|<null>|<null>");
        await AssertRows(
            "SELECT secret_id, stage, version_id FROM stages ORDER BY secret_id, stage",
            "1|AWSCURRENT|v-1",
            "1|AWSPENDING|v-2",
            "1|custom|v-1");
    }

    [Fact]
    public async Task KmsKey_EveryMember_IsStoredAsTheFrozenColumnsAndMetaJson()
    {
        var full = new KmsKeyRecord
        {
            KeyId = Guid.Parse("0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11"),
            Region = "us-east-1",
            Arn = "arn:aws:kms:us-east-1:123456789012:key/0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11",
            State = KmsKeyState.PendingDeletion,
            Manager = KmsKeyManager.Customer,
            Description = "golden key",
            CreatedDate = T0,
            CurrentVersion = 3,
            KeyUsage = "ENCRYPT_DECRYPT",
            KeySpec = "SYMMETRIC_DEFAULT",
            Origin = "EXTERNAL",
            DeletionDate = T0.AddDays(7),
            PendingWindowInDays = 7,
            RotationEnabled = true,
            RotationPeriodInDays = 90,
            NextRotationDate = T0.AddDays(90),
            Policy = "{\"Statement\":[]}",
            Tags = [new("a", "b"), new("c", "d")],
        };
        var minimal = new KmsKeyRecord
        {
            KeyId = Guid.Parse("f0000000-0000-0000-0000-00000000000f"), Region = "eu-west-1", Arn = "arn:aws:kms:eu-west-1:123456789012:key/f0000000-0000-0000-0000-00000000000f",
            State = KmsKeyState.Enabled, Manager = KmsKeyManager.Aws, CreatedDate = T0, CurrentVersion = 1,
        };
        await Write(async tx =>
        {
            await tx.InsertKmsKeyAsync(full, [0xaa, 0xbb], Ct);
            await tx.InsertKmsKeyVersionAsync(full.KeyId, new KmsKeyVersion(4, T0.AddDays(1), "ON_DEMAND"), [0xcc], Ct);
            await tx.InsertKmsKeyAsync(minimal, [0x01], Ct);
            await tx.InsertKmsAliasAsync("us-east-1", "alias/golden", full.KeyId, T0.AddMinutes(1), Ct);
            await tx.UpdateKmsAliasAsync("us-east-1", "alias/golden", full.KeyId, T0.AddMinutes(2), Ct);
        });

        await AssertRows(
            "SELECT key_id, region, arn, state, manager, description, created_ms, current_version, meta, deletion_ms, next_rotation_ms FROM kms_keys ORDER BY key_id",
            "0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11|us-east-1|arn:aws:kms:us-east-1:123456789012:key/0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11|PendingDeletion|CUSTOMER|golden key|1767225600000|3|" +
            @"{""v"":1,""keyUsage"":""ENCRYPT_DECRYPT"",""keySpec"":""SYMMETRIC_DEFAULT"",""origin"":""EXTERNAL"",""pendingWindowInDays"":7,""rotationEnabled"":true,""rotationPeriodInDays"":90," +
            @"""policy"":""{\u0022Statement\u0022:[]}"",""tags"":[{""key"":""a"",""value"":""b""},{""key"":""c"",""value"":""d""}]}|1767830400000|1775001600000",
            @"f0000000-0000-0000-0000-00000000000f|eu-west-1|arn:aws:kms:eu-west-1:123456789012:key/f0000000-0000-0000-0000-00000000000f|Enabled|AWS|<null>|1767225600000|1|" +
            @"{""v"":1,""keyUsage"":""ENCRYPT_DECRYPT"",""keySpec"":""SYMMETRIC_DEFAULT"",""origin"":""AWS_KMS""}|<null>|<null>");
        await AssertRows(
            "SELECT key_id, version, wrapped, created_ms, rotation_type FROM kms_key_versions ORDER BY key_id, version",
            "0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11|3|0xaabb|1767225600000|<null>",
            "0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11|4|0xcc|1767312000000|ON_DEMAND",
            "f0000000-0000-0000-0000-00000000000f|1|0x01|1767225600000|<null>");
        await AssertRows(
            "SELECT region, alias, key_id, created_ms, updated_ms FROM kms_aliases",
            "us-east-1|alias/golden|0b1e9c1c-5a47-4a4b-9f58-0d5c3b0f3a11|1767225660000|1767225720000");
    }

    [Fact]
    public async Task Parameter_EveryMember_IsStoredAsTheFrozenColumnsAndMetaJson()
    {
        var v1 = new ParameterVersionRecord { Version = 1, Type = "String", Value = [0x61], LastModifiedDate = T0 };
        var v2 = new ParameterVersionRecord
        {
            Version = 2, Type = "SecureString", Value = [0x01, 0x02], KeyId = "alias/aws/ssm", Description = "golden", AllowedPattern = "^.*$", Tier = "Advanced",
            DataType = "text", Policies = "[{\"Type\":\"Expiration\"}]", LastModifiedDate = T0.AddSeconds(3), LastModifiedUser = "arn:aws:iam::123456789012:user/alice",
        };
        var parameter = new ParameterRecord { Region = "us-east-1", Key = "/golden/p", Name = "/golden/p", Current = v2, Tags = [new("t", "u"), new("k", "")] };
        parameter.Labels["prod"] = 2;
        parameter.Labels["old"] = 1;
        await Write(async tx =>
        {
            await tx.InsertParameterVersionAsync("us-east-1", "/golden/p", v1, Ct);
            await tx.InsertParameterVersionAsync("us-east-1", "/golden/p", v2, Ct);
            await tx.UpsertParameterAsync(parameter, Ct);
        });

        await AssertRows(
            "SELECT region, key, name, meta, value FROM parameters",
            @"us-east-1|/golden/p|/golden/p|{""v"":1,""version"":2,""type"":""SecureString"",""keyId"":""alias/aws/ssm"",""description"":""golden"",""allowedPattern"":""^.*$"",""tier"":""Advanced"",""dataType"":""text""," +
            @"""policies"":""[{\u0022Type\u0022:\u0022Expiration\u0022}]"",""modifiedMs"":1767225603000,""modifiedUser"":""arn:aws:iam::123456789012:user/alice"",""labels"":{""prod"":2,""old"":1}," +
            @"""tags"":[{""key"":""t"",""value"":""u""},{""key"":""k"",""value"":""""}]}|0x0102");
        await AssertRows(
            "SELECT region, key, version, meta, value FROM parameter_versions ORDER BY version",
            @"us-east-1|/golden/p|1|{""v"":1,""version"":1,""type"":""String"",""tier"":""Standard"",""dataType"":""text"",""modifiedMs"":1767225600000}|0x61",
            @"us-east-1|/golden/p|2|{""v"":1,""version"":2,""type"":""SecureString"",""keyId"":""alias/aws/ssm"",""description"":""golden"",""allowedPattern"":""^.*$"",""tier"":""Advanced"",""dataType"":""text""," +
            @"""policies"":""[{\u0022Type\u0022:\u0022Expiration\u0022}]"",""modifiedMs"":1767225603000,""modifiedUser"":""arn:aws:iam::123456789012:user/alice""}|0x0102");
    }

    [Fact]
    public async Task IdentityRows_AreStoredAsGiven()
    {
        await Write(async tx =>
        {
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "alice", @"{""Name"":""alice"",""Groups"":[""g""]}", [0x01]), Ct);
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "alice", @"{""Name"":""alice"",""Groups"":[]}", [0xa1, 0x1c]), Ct);

            // A row written before integrity tags (issue #25) has none until the upgrade at start tags it.
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.Role, "r", "{}", null), Ct);
            await tx.UpsertAccessKeyAsync(
                new AccessKeyRecord
                {
                    AccessKeyId = "AKIAGOLDEN", WrappedSecret = [0x0f, 0xf0], PrincipalArn = "arn:aws:iam::123456789012:user/alice", UserName = "alice", Status = "Active", CreatedDate = T0,
                    PrincipalId = "AIDAOLD", Mac = [0x01],
                },
                Ct);
            await tx.UpsertAccessKeyAsync(
                new AccessKeyRecord
                {
                    AccessKeyId = "AKIAGOLDEN", WrappedSecret = [0x0f, 0xf1], PrincipalArn = "arn:aws:iam::123456789012:user/alice", UserName = "alice", Status = "Inactive", CreatedDate = T0.AddDays(9),
                    PrincipalId = "AIDAGOLDEN", Mac = [0xbe, 0xef],
                },
                Ct);
            await tx.UpsertAccessKeyAsync(
                new AccessKeyRecord { AccessKeyId = "AKIAUNTAGGED", WrappedSecret = [0x0e], PrincipalArn = "arn:aws:iam::123456789012:user/bob", UserName = "bob", Status = "Active", CreatedDate = T0 }, Ct);
        });

        await AssertRows(
            "SELECT kind, name, json, mac FROM iam_entities ORDER BY kind, name",
            "role|r|{}|<null>",
            @"user|alice|{""Name"":""alice"",""Groups"":[]}|0xa11c");

        // An upsert keeps the key's creation date and replaces the rest, the principal and the tag with it.
        await AssertRows(
            "SELECT access_key_id, wrapped_secret, principal_arn, user_name, status, created_ms, principal_id, mac FROM access_keys ORDER BY access_key_id",
            "AKIAGOLDEN|0x0ff1|arn:aws:iam::123456789012:user/alice|alice|Inactive|1767225600000|AIDAGOLDEN|0xbeef",
            "AKIAUNTAGGED|0x0e|arn:aws:iam::123456789012:user/bob|bob|Active|1767225600000|<null>|<null>");
    }

    [Fact]
    public async Task RotationRun_IsStoredAsTheFrozenColumns()
    {
        var run = new RotationRun
        {
            SecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:golden-AbCdEf", Region = "us-east-1", VersionId = "v-9",
            FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:rotate", Trigger = RotationTrigger.Schedule, StartedDate = T0, Node = "node-1",
        };
        Assert.True(await Store.InsertRotationRunAsync(run, Ct));
        await AssertRows(
            "SELECT run_id, secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node, output FROM rotation_runs",
            "1|arn:aws:secretsmanager:us-east-1:123456789012:secret:golden-AbCdEf|us-east-1|v-9|arn:aws:lambda:us-east-1:123456789012:function:rotate|Schedule|1|<null>|Running|<null>|1767225600000|<null>|<null>|node-1|<null>");

        run.Attempt = 2;
        run.StepReached = "testSecret";
        run.Outcome = RotationOutcome.Failed;
        run.Error = "the function failed";
        run.FinishedDate = T0.AddMinutes(1);
        run.RetryAt = T0.AddMinutes(5);
        run.Node = null;
        run.Output = "[testSecret stderr]\nlogin refused for ********\n";
        await Store.UpdateRotationRunAsync(run, Ct);
        await AssertRows(
            "SELECT run_id, secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node, output FROM rotation_runs",
            "1|arn:aws:secretsmanager:us-east-1:123456789012:secret:golden-AbCdEf|us-east-1|v-9|arn:aws:lambda:us-east-1:123456789012:function:rotate|Schedule|2|testSecret|Failed|the function failed|1767225600000|1767225660000|1767225900000|<null>|[testSecret stderr]\nlogin refused for ********\n");
    }

    [Fact]
    public async Task OutboxEntry_IsStoredAsTheFrozenColumns()
    {
        var entry = new Core.Events.OutboxEntry
        {
            EventId = "0b5c3f0e-0000-4000-8000-000000000001", Endpoint = "pager", DetailType = "KMS Key Disabled", Body = "{\"version\":\"0\"}",
            CreatedDate = T0, Deadline = T0.AddHours(24), NextAttempt = T0,
        };
        await Write(tx => tx.InsertOutboxEntryAsync(entry, Ct));
        await AssertRows(
            "SELECT event_id, endpoint, detail_type, body, created_ms, deadline_ms, attempts, next_ms, state, last_error, delivered_ms FROM event_outbox",
            "0b5c3f0e-0000-4000-8000-000000000001|pager|KMS Key Disabled|{\"version\":\"0\"}|1767225600000|1767312000000|0|1767225600000|pending|<null>|<null>");

        entry.Attempts = 3;
        entry.NextAttempt = T0.AddMinutes(1);
        entry.State = Core.Events.OutboxStates.Dead;
        entry.LastError = "HTTP 500";
        entry.DeliveredDate = T0.AddSeconds(1);
        await Store.UpdateOutboxEntryAsync(entry, Ct);
        await AssertRows(
            "SELECT event_id, endpoint, detail_type, body, created_ms, deadline_ms, attempts, next_ms, state, last_error, delivered_ms FROM event_outbox",
            "0b5c3f0e-0000-4000-8000-000000000001|pager|KMS Key Disabled|{\"version\":\"0\"}|1767225600000|1767312000000|3|1767225660000|dead|HTTP 500|1767225601000");
    }

    [Fact]
    public async Task AuditTrail_SettingsAndRootWrapped_AreStoredAsTheFrozenColumns()
    {
        var rows = await Store.AppendAuditAsync(
            [
                new AuditEntry("evt-1", T0, "GetSecretValue", "secretsmanager.amazonaws.com", "alice", "AKIAGOLDEN", true, "arn:s", "AWS::SecretsManager::Secret", @"{""n"":1}"),
                new AuditEntry("evt-2", T0.AddMilliseconds(1), "CreateKey", "kms.amazonaws.com", null, null, false, null, null, @"{""n"":2}"),
                new AuditEntry("evt-3", T0.AddMilliseconds(2), "PutSecretValue", "secretsmanager.amazonaws.com", "bob", "AKIABOB", false, "arn:t", "AWS::SecretsManager::Secret", @"{""n"":3}"),
            ],
            Ct);
        // A read of the trail waits until its tables hold every acknowledged record (SQLite fills them behind its journal).
        await Store.LastAuditAsync(Ct);
        var h1 = Convert.ToHexStringLower(AuditChain.Link(AuditChain.Genesis, 1, @"{""n"":1}"));
        Assert.Equal(h1, Convert.ToHexStringLower(rows[0].Hash));
        await AssertRows(
            "SELECT seq, event_id, event_time_ms, event_name, event_source, username, access_key_id, CASE WHEN read_only THEN 1 ELSE 0 END, resource_name, resource_type, record, hash FROM audit_events ORDER BY seq",
            $@"1|evt-1|1767225600000|GetSecretValue|secretsmanager.amazonaws.com|alice|AKIAGOLDEN|1|arn:s|AWS::SecretsManager::Secret|{{""n"":1}}|0x{h1}",
            $@"2|evt-2|1767225600001|CreateKey|kms.amazonaws.com|<null>|<null>|0|<null>|<null>|{{""n"":2}}|0x{Convert.ToHexStringLower(rows[1].Hash)}",
            $@"3|evt-3|1767225600002|PutSecretValue|secretsmanager.amazonaws.com|bob|AKIABOB|0|arn:t|AWS::SecretsManager::Secret|{{""n"":3}}|0x{Convert.ToHexStringLower(rows[2].Hash)}");

        Assert.True(await Store.InsertAuditDigestAsync(new AuditDigest(1, 2, [0x02], T0.AddHours(1), [0x00], [0x5a, 0x5b]), Ct));
        await AssertRows(
            "SELECT to_seq, from_seq, last_hash, created_ms, previous_digest_hash, signature FROM audit_digests",
            "2|1|0x02|1767229200000|0x00|0x5a5b");

        await Store.RemoveArchivedAuditAsync(1, 2, rows[1].Hash, Ct);
        await Store.WriteAsync(
            async tx =>
            {
                await tx.SetSettingAsync("account_id", "123456789012", Ct);
                await tx.SetSettingAsync("cluster.lease", "node-1 1767225610000", Ct);
                await tx.PutRootWrappedAsync("audit-signing", [0x07, 0x08], Ct);
                return true;
            },
            Ct);
        await AssertRows(
            "SELECT key, value FROM settings ORDER BY key",
            "account_id|123456789012",
            $"audit_archived_hash|{Convert.ToHexStringLower(rows[1].Hash)}",
            "audit_archived_to_seq|2",
            "cluster.lease|node-1 1767225610000");
        await AssertRows("SELECT seq FROM audit_events", "3");
        await AssertRows("SELECT name, wrapped FROM root_wrapped", "audit-signing|0x0708");
    }
}
