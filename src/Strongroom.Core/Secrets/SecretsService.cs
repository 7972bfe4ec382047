using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Rotation;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Secrets;

/// <summary>
/// The Secrets Manager use cases. Every write runs in one store transaction, so a failure leaves nothing
/// half-written. Thread-safe.
/// </summary>
public sealed partial class SecretsService
{
    public const string Current = "AWSCURRENT";
    public const string Previous = "AWSPREVIOUS";
    public const string Pending = "AWSPENDING";
    private const int MaxVersions = 100;
    private const byte KindString = 1;
    private const byte KindBinary = 2;
    private const string SuffixAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly IStore _store;
    private readonly KeyRing _keys;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly IRotationStarter? _rotations;
    private readonly KnownRegions _regions;

    /// <param name="regions">Where replicas may go (default: AWS's public regions).</param>
    public SecretsService(IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time, IRotationStarter? rotations = null, KnownRegions? regions = null)
    {
        _regions = regions ?? KnownRegions.Default;
        _store = store;
        _keys = keys;
        _identity = identity;
        _time = time;
        _rotations = rotations;
    }

    private DateTimeOffset Now => TruncateToMillis(_time.GetUtcNow());

    private static DateTimeOffset TruncateToMillis(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    // ---------------------------------------------------------------- resolution

    /// <summary>Finds a secret by name, full ARN or partial ARN, in <paramref name="region"/>.</summary>
    public static async Task<SecretRecord?> FindAsync(IStoreReader reader, string region, string secretId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (!secretId.StartsWith("arn:", StringComparison.Ordinal))
        {
            return await reader.FindSecretByNameAsync(region, secretId, ct);
        }

        var parts = secretId.Split(':', 7);
        if (parts.Length != 7 || parts[2] != "secretsmanager" || parts[3] != region || parts[5] != "secret")
        {
            return null;
        }

        var exact = await reader.FindSecretByArnAsync(secretId, ct);
        if (exact is not null)
        {
            return exact;
        }

        var partial = await reader.FindSecretsByPartialArnAsync(secretId, ct);
        return partial.Count == 1 ? partial[0] : null;
    }

    private static async Task<SecretRecord> RequireAsync(IStoreReader reader, string region, string secretId, CancellationToken ct)
    {
        Validate.SecretId(secretId);
        return await FindAsync(reader, region, secretId, ct) ?? throw DomainException.SecretNotFound();
    }

    private static async Task<SecretRecord> RequireWritableAsync(IStoreReader reader, string region, string secretId, CancellationToken ct)
    {
        var secret = await RequireAsync(reader, region, secretId, ct);
        if (secret.DeletedDate is not null)
        {
            throw DomainException.MarkedForDeletion();
        }

        if (secret.IsReplica)
        {
            throw ReplicaNotPermitted();
        }

        return secret;
    }

    /// <summary>AWS's answer to a write (or a delete or restore) sent to a replica's region.</summary>
    private static DomainException ReplicaNotPermitted() =>
        DomainException.InvalidParameter("Operation not permitted on a replica secret. Call must be made in primary secret's region.");

    // ---------------------------------------------------------------- CreateSecret

    public async Task<WriteResult> CreateSecretAsync(string region, CreateSecretRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.Name(request.Name);
        Validate.Token(request.ClientRequestToken);
        Validate.Length(request.Description, "description", 0, 2048);
        Validate.Length(request.KmsKeyId, "kmsKeyId", 0, 2048);
        Validate.Length(request.Type, "type", 0, 256);
        var hasValue = Validate.Value(request.SecretString, request.SecretBinary, required: false);
        Validate.Tags(request.Tags);
        if (request.Tags is not null && request.Tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != request.Tags.Count)
        {
            throw DomainException.InvalidParameter("You can't use the same tag key more than once.");
        }

        if (hasValue && request.ClientRequestToken is null)
        {
            throw DomainException.InvalidRequest("You must provide a ClientRequestToken value. We recommend a UUID-type value.");
        }

        var replicaRegions = ValidateReplicaRegions(region, request.AddReplicaRegions);

        return await _store.WriteAsync(async tx =>
        {
            var existing = await tx.FindSecretByNameAsync(region, request.Name, ct);
            if (existing is not null)
            {
                if (existing.DeletedDate is not null)
                {
                    throw DomainException.InvalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
                }

                if (hasValue && request.ClientRequestToken is not null)
                {
                    var version = await tx.FindVersionByIdAsync(existing.Id, request.ClientRequestToken, ct);
                    if (version is not null)
                    {
                        // A retry of the same create is idempotent; the same token with another value is AWS's conflict.
                        if (await SameValueAsync(tx, existing, version, request.SecretString, request.SecretBinary, ct))
                        {
                            return new WriteResult(existing, version.VersionId, version.Stages);
                        }

                        throw new DomainException(ErrorKind.ResourceExists, $"You can't use ClientRequestToken {request.ClientRequestToken} because that value is already in use for a version of secret {existing.Arn}.");
                    }
                }

                throw new DomainException(ErrorKind.ResourceExists, $"The operation failed because the secret {request.Name} already exists.");
            }

            var now = Now;
            var secret = new SecretRecord
            {
                Region = region,
                Name = request.Name,
                Arn = $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{request.Name}-{NewSuffix()}",
                Description = request.Description,
                KmsKeyId = string.IsNullOrEmpty(request.KmsKeyId) ? null : request.KmsKeyId,
                CreatedDate = now,
                LastChangedDate = now,
                Tags = request.Tags?.ToList() ?? [],
                HasTagList = request.Tags is { Count: > 0 },
                Type = request.Type,
            };

            // Resolve the key before anything is written: a bad key fails the whole call.
            var key = await ResolveKeyForEncryptAsync(tx, secret.Region, secret.KmsKeyId, ct);
            await tx.InsertSecretAsync(secret, ct);
            string? versionId = null;
            if (hasValue)
            {
                versionId = request.ClientRequestToken!;
                var version = new SecretVersionRecord { VersionId = versionId, CreatedDate = now, Stages = [Current] };
                await SealIntoAsync(tx, secret, version, key, request.SecretString, request.SecretBinary, ct);
                await tx.InsertVersionAsync(secret.Id, version, ct);
                await tx.ReplaceStagesAsync(secret.Id, [new(Current, versionId)], ct);
            }

            foreach (var replica in replicaRegions)
            {
                secret.Replicas.Add(new ReplicaStatus { Region = replica.Region, KmsKeyId = replica.KmsKeyId, Status = "InProgress" });
            }

            if (secret.Replicas.Count > 0)
            {
                secret.PrimaryRegion = secret.Region;
                await SyncReplicasAsync(tx, secret, request.ForceOverwriteReplicaSecret, ct);
                await tx.UpdateSecretAsync(secret, ct);
            }

            return new WriteResult(secret, versionId, versionId is null ? null : [Current]);
        }, ct);
    }

    private static string NewSuffix()
    {
        Span<char> chars = stackalloc char[6];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = SuffixAlphabet[RandomNumberGenerator.GetInt32(SuffixAlphabet.Length)];
        }

        return new string(chars);
    }

    // ---------------------------------------------------------------- PutSecretValue / UpdateSecret

    public async Task<WriteResult> PutSecretValueAsync(string region, PutSecretValueRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.SecretId(request.SecretId);
        Validate.Token(request.ClientRequestToken);
        Validate.Stages(request.VersionStages);
        Validate.Value(request.SecretString, request.SecretBinary, required: true);
        if (request.ClientRequestToken is null)
        {
            throw DomainException.InvalidRequest("You must provide a ClientRequestToken value. We recommend a UUID-type value.");
        }

        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, request.SecretId, ct);
            var result = await AddVersionAsync(tx, secret, request.ClientRequestToken, request.SecretString, request.SecretBinary, request.VersionStages, allowSameToken: true, ct);
            return result;
        }, ct);
    }

    public async Task<WriteResult> UpdateSecretAsync(string region, UpdateSecretRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.SecretId(request.SecretId);
        Validate.Token(request.ClientRequestToken);
        Validate.Length(request.Description, "description", 0, 2048);
        Validate.Length(request.KmsKeyId, "kmsKeyId", 0, 2048);
        Validate.Length(request.Type, "type", 0, 256);
        var hasValue = Validate.Value(request.SecretString, request.SecretBinary, required: false);
        if (hasValue && request.ClientRequestToken is null)
        {
            throw DomainException.InvalidRequest("You must provide a ClientRequestToken value. We recommend a UUID-type value.");
        }

        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, request.SecretId, ct);
            var changed = false;
            if (request.Description is not null)
            {
                secret.Description = request.Description;
                changed = true;
            }

            if (request.Type is not null)
            {
                secret.Type = request.Type;
                changed = true;
            }

            if (request.KmsKeyId is not null)
            {
                var newKeyId = request.KmsKeyId.Length == 0 ? null : request.KmsKeyId;
                var key = await ResolveKeyForEncryptAsync(tx, secret.Region, newKeyId, ct);
                secret.KmsKeyId = newKeyId;
                await ReencryptLabelledVersionsAsync(tx, secret, key, ct);
                changed = true;
            }

            WriteResult? added = null;
            if (hasValue)
            {
                added = await AddVersionAsync(tx, secret, request.ClientRequestToken!, request.SecretString, request.SecretBinary, null, allowSameToken: true, ct);
            }
            else if (changed)
            {
                secret.LastChangedDate = Now;
                await tx.UpdateSecretAsync(secret, ct);
                await SyncReplicasAsync(tx, secret, force: false, ct);
            }

            return added ?? new WriteResult(secret, null, null);
        }, ct);
    }

    private async Task<WriteResult> AddVersionAsync(IStoreTransaction tx, SecretRecord secret, string token, string? text, byte[]? binary, IReadOnlyList<string>? stages, bool allowSameToken, CancellationToken ct)
    {
        var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
        var existing = versions.Find(v => v.VersionId == token);
        var now = Now;
        if (existing is not null)
        {
            if (existing.Envelope is null)
            {
                // The value-less AWSPENDING placeholder of a rotation: the value goes into it (createSecret step).
                var key = await ResolveKeyForEncryptAsync(tx, secret.Region, secret.KmsKeyId, ct);
                await SealIntoAsync(tx, secret, existing, key, text, binary, ct);
                await tx.UpdateVersionValueAsync(secret.Id, existing.VersionId, existing.Envelope!, existing.KmsKeyArn!, ct);
                if (stages is not null)
                {
                    ApplyStages(versions, existing, stages);
                    await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
                }

                secret.LastChangedDate = now;
                await tx.UpdateSecretAsync(secret, ct);
                await SyncReplicasAsync(tx, secret, force: false, ct);
                return new WriteResult(secret, existing.VersionId, existing.Stages);
            }

            if (allowSameToken && await SameValueAsync(tx, secret, existing, text, binary, ct))
            {
                return new WriteResult(secret, existing.VersionId, existing.Stages);
            }

            throw new DomainException(ErrorKind.ResourceExists, $"You can't use ClientRequestToken {token} because that value is already in use for a version of secret {secret.Arn}.");
        }

        var wanted = stages?.Distinct(StringComparer.Ordinal).ToList() ?? [Current];
        if (!versions.Any(v => v.Stages.Contains(Current)) && !wanted.Contains(Current))
        {
            wanted.Add(Current);
        }

        if (wanted.Count > 20)
        {
            throw new DomainException(ErrorKind.LimitExceeded, "A version can have at most 20 staging labels.");
        }

        var version = new SecretVersionRecord { VersionId = token, CreatedDate = now };
        var encryptKey = await ResolveKeyForEncryptAsync(tx, secret.Region, secret.KmsKeyId, ct);
        await SealIntoAsync(tx, secret, version, encryptKey, text, binary, ct);
        versions.Add(version);
        if (wanted.Contains(Current))
        {
            // A new AWSCURRENT abandons a rotation in progress: AWSPENDING leaves the version being built.
            var pending = versions.Find(v => v != version && v.Stages.Contains(Pending) && !v.Stages.Contains(Current));
            if (pending is not null && !wanted.Contains(Pending))
            {
                pending.Stages.Remove(Pending);
            }
        }

        ApplyStages(versions, version, wanted);

        // Retention: keep labelled versions, versions younger than 24 h, and at most 100 in all.
        var purgeable = versions
            .Where(v => v.Stages.Count == 0 && v.CreatedDate <= now.AddHours(-24))
            .OrderBy(v => v.CreatedDate)
            .ToList();
        var excess = versions.Count - MaxVersions;
        foreach (var old in purgeable.Take(Math.Max(0, excess)))
        {
            await tx.DeleteVersionAsync(secret.Id, old.VersionId, ct);
            versions.Remove(old);
        }

        if (versions.Count > MaxVersions)
        {
            throw new DomainException(ErrorKind.LimitExceeded, "You have exceeded the quota for secret versions. Wait until older versions age out (24 hours) before adding more.");
        }

        await tx.InsertVersionAsync(secret.Id, version, ct);
        await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
        secret.LastChangedDate = now;
        if (version.Stages.Contains(Current) && secret.RotationEnabled == true)
        {
            secret.LastRotatedDate = now;
            secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
        }

        await tx.UpdateSecretAsync(secret, ct);
        await SyncReplicasAsync(tx, secret, force: false, ct);
        return new WriteResult(secret, version.VersionId, version.Stages);
    }

    /// <summary>Gives <paramref name="target"/> exactly the labels in <paramref name="labels"/> that it lacks, taking them from other versions, with the AWSPREVIOUS rule.</summary>
    private static void ApplyStages(List<SecretVersionRecord> versions, SecretVersionRecord target, IEnumerable<string> labels)
    {
        foreach (var label in labels)
        {
            if (target.Stages.Contains(label))
            {
                continue;
            }

            var holder = versions.Find(v => v != target && v.Stages.Contains(label));
            holder?.Stages.Remove(label);
            target.Stages.Add(label);
            if (label == Current && holder is not null)
            {
                foreach (var v in versions)
                {
                    v.Stages.Remove(Previous);
                }

                holder.Stages.Add(Previous);
            }
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> StageMap(IEnumerable<SecretVersionRecord> versions) =>
        versions.SelectMany(v => v.Stages.Select(s => new KeyValuePair<string, string>(s, v.VersionId))).ToList();

    // ---------------------------------------------------------------- encryption helpers

    private async Task<KmsKeyRecord> ResolveKeyForEncryptAsync(IStoreTransaction tx, string region, string? keyId, CancellationToken ct)
    {
        try
        {
            return await _keys.ResolveForEncryptAsync(tx, region, keyId, ct);
        }
        catch (KmsUnavailableException e)
        {
            throw new DomainException(ErrorKind.EncryptionFailure, e.Failure switch
            {
                KmsFailure.NotFound => "Secrets Manager can't find the specified KMS key.",
                KmsFailure.PendingDeletion => $"{e.KeyArn} is pending deletion.",
                _ => $"{e.KeyArn} is disabled.",
            });
        }
    }

    private async Task SealIntoAsync(IStoreReader reader, SecretRecord secret, SecretVersionRecord version, KmsKeyRecord key, string? text, byte[]? binary, CancellationToken ct)
    {
        var context = EncryptionContext.ForSecretVersion(secret.Arn, version.VersionId);
        var (dataKey, blob) = await _keys.GenerateDataKeyAsync(reader, key, context, ct);
        var plaintext = text is not null ? Encoding.UTF8.GetBytes(text) : binary!;
        try
        {
            version.Envelope = SecretEnvelope.Seal(text is not null ? KindString : KindBinary, blob, dataKey, plaintext, context);
            version.KmsKeyArn = key.Arn;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            if (text is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    private async Task<SecretValue> OpenAsync(IStoreReader reader, SecretRecord secret, SecretVersionRecord version, CancellationToken ct)
    {
        var context = EncryptionContext.ForSecretVersion(secret.Arn, version.VersionId);
        byte[]? dataKey = null;
        try
        {
            var (kind, wrapped) = SecretEnvelope.ReadHeader(version.Envelope);
            dataKey = await _keys.DecryptDataKeyAsync(reader, wrapped, context, ct);
            var plaintext = SecretEnvelope.Open(version.Envelope, dataKey, context);
            if (kind == KindBinary)
            {
                return SecretValue.FromBinary(plaintext);
            }

            var text = Encoding.UTF8.GetString(plaintext);
            CryptographicOperations.ZeroMemory(plaintext);
            return SecretValue.FromString(text);
        }
        catch (Exception e) when (e is KmsUnavailableException or CryptoFailureException)
        {
            throw new DomainException(ErrorKind.DecryptionFailure, "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
        }
        finally
        {
            if (dataKey is not null)
            {
                CryptographicOperations.ZeroMemory(dataKey);
            }
        }
    }

    private async Task<bool> SameValueAsync(IStoreReader reader, SecretRecord secret, SecretVersionRecord version, string? text, byte[]? binary, CancellationToken ct)
    {
        if (version.Envelope is null)
        {
            return false;
        }

        using var stored = await OpenAsync(reader, secret, version, ct);
        if (text is not null)
        {
            return stored.Text is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored.Text), Encoding.UTF8.GetBytes(text));
        }

        return stored.Binary is not null && binary is not null && CryptographicOperations.FixedTimeEquals(stored.Binary, binary);
    }

    private async Task ReencryptLabelledVersionsAsync(IStoreTransaction tx, SecretRecord secret, KmsKeyRecord key, CancellationToken ct)
    {
        foreach (var version in await tx.ListVersionsAsync(secret.Id, ct))
        {
            if (version.Envelope is null || !version.Stages.Any(s => s is Current or Previous or Pending) || version.KmsKeyArn == key.Arn)
            {
                continue;
            }

            using var value = await OpenAsync(tx, secret, version, ct);
            await SealIntoAsync(tx, secret, version, key, value.Text, value.Binary, ct);
            await tx.UpdateVersionValueAsync(secret.Id, version.VersionId, version.Envelope!, version.KmsKeyArn!, ct);
        }
    }

    // ---------------------------------------------------------------- reads

    public async Task<SecretValueResult> GetSecretValueAsync(string region, string secretId, string? versionId, string? versionStage, CancellationToken ct)
    {
        Validate.VersionId(versionId, "versionId");
        Validate.Length(versionStage, "versionStage", 1, 256);
        var secret = await RequireAsync(_store, region, secretId, ct);
        return await ReadValueAsync(secret, versionId, versionStage, ct);
    }

    private async Task<SecretValueResult> ReadValueAsync(SecretRecord secret, string? versionId, string? versionStage, CancellationToken ct)
    {
        if (secret.DeletedDate is not null)
        {
            throw DomainException.MarkedForDeletion();
        }

        SecretVersionRecord? version;
        if (versionId is not null)
        {
            version = await _store.FindVersionByIdAsync(secret.Id, versionId, ct);
            if (version is null)
            {
                throw new DomainException(ErrorKind.ResourceNotFound, $"Secrets Manager can't find the specified secret value for VersionId: {versionId}");
            }

            if (versionStage is not null && !version.Stages.Contains(versionStage))
            {
                throw DomainException.InvalidRequest("You provided a VersionStage that is not associated to the provided VersionId.");
            }
        }
        else
        {
            var stage = versionStage ?? Current;
            version = await _store.FindVersionByStageAsync(secret.Id, stage, ct)
                ?? throw new DomainException(ErrorKind.ResourceNotFound, $"Secrets Manager can't find the specified secret value for staging label: {stage}");
        }

        if (version.Envelope is null)
        {
            throw new DomainException(ErrorKind.ResourceNotFound, $"Secrets Manager can't find the specified secret value for VersionId: {version.VersionId}");
        }

        var value = await OpenAsync(_store, secret, version, ct);
        var today = new DateTimeOffset(_time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        if (secret.LastAccessedDate != today || version.LastAccessedDate != today)
        {
            // Day granularity, so this write happens once per secret version and day, not per read.
            await _store.RecordAccessAsync(secret.Id, version.VersionId, today, ct);
            secret.LastAccessedDate = today;
            version.LastAccessedDate = today;
        }

        return new SecretValueResult(secret, version, value);
    }

    public async Task<SecretView> DescribeSecretAsync(string region, string secretId, CancellationToken ct)
    {
        var secret = await RequireAsync(_store, region, secretId, ct);
        var versions = await _store.ListVersionsAsync(secret.Id, ct);
        return new SecretView(secret, LabelMap(versions));
    }

    private static Dictionary<string, List<string>> LabelMap(IEnumerable<SecretVersionRecord> versions) =>
        versions.Where(v => v.Stages.Count > 0).ToDictionary(v => v.VersionId, v => v.Stages.ToList(), StringComparer.Ordinal);

    public async Task<VersionListResult> ListSecretVersionIdsAsync(string region, string secretId, int? maxResults, string? nextToken, bool includeDeprecated, CancellationToken ct)
    {
        Validate.Range(maxResults, "maxResults", 1, 100);
        Validate.Length(nextToken, "nextToken", 1, 4096);
        var secret = await RequireAsync(_store, region, secretId, ct);
        var versions = (await _store.ListVersionsAsync(secret.Id, ct))
            .Where(v => includeDeprecated || v.Stages.Count > 0)
            .OrderByDescending(v => v.CreatedDate).ThenBy(v => v.VersionId, StringComparer.Ordinal)
            .ToList();
        var start = 0;
        if (nextToken is not null)
        {
            var cursor = PageToken.Decode(nextToken);
            if (cursor.Kind != "versions" || cursor.Id is null)
            {
                throw new DomainException(ErrorKind.InvalidNextToken, "The NextToken value is invalid.");
            }

            // Keyset: resume after (created desc, id asc) of the last entry, so concurrent writes don't shift pages.
            start = versions.FindIndex(v => v.CreatedDate.ToUnixTimeMilliseconds() < cursor.Value
                || (v.CreatedDate.ToUnixTimeMilliseconds() == cursor.Value && string.CompareOrdinal(v.VersionId, cursor.Name) > 0));
            if (start < 0)
            {
                start = versions.Count;
            }
        }

        var size = maxResults ?? 100;
        var page = versions.Skip(start).Take(size).ToList();
        string? token = null;
        if (start + page.Count < versions.Count && page.Count > 0)
        {
            var last = page[^1];
            token = new PageToken("versions", null, true, last.CreatedDate.ToUnixTimeMilliseconds(), last.VersionId, 0).Encode();
        }

        return new VersionListResult(secret, page, token);
    }

    // ---------------------------------------------------------------- ListSecrets / BatchGetSecretValue

    public async Task<ListSecretsResult> ListSecretsAsync(string region, ListSecretsRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.Range(request.MaxResults, "maxResults", 1, 100);
        Validate.Length(request.NextToken, "nextToken", 1, 4096);
        Validate.Enum(request.SortOrder, "sortOrder", "asc", "desc");
        Validate.Enum(request.SortBy, "sortBy", "created-date", "last-accessed-date", "last-changed-date", "name");
        SecretFilters.ValidateFilters(request.Filters);
        var sortBy = request.SortBy switch
        {
            "name" => SecretSortKey.Name,
            "last-accessed-date" => SecretSortKey.LastAccessedDate,
            "last-changed-date" => SecretSortKey.LastChangedDate,
            _ => SecretSortKey.CreatedDate,
        };
        var (secrets, token) = await ScanAsync(region, request.Filters, request.IncludePlannedDeletion, sortBy, request.SortOrder != "desc", request.MaxResults ?? 100, request.NextToken, ct);
        var maps = await _store.GetStageMapsAsync(secrets.Select(s => s.Id).ToList(), ct);
        var views = secrets.Select(s => new SecretView(s, maps.TryGetValue(s.Id, out var m) ? m : [])).ToList();
        return new ListSecretsResult(views, token);
    }

    private async Task<(List<SecretRecord> Page, string? Token)> ScanAsync(string region, IReadOnlyList<ListFilter>? filters, bool includeDeleted, SecretSortKey sortBy, bool ascending, int size, string? nextToken, CancellationToken ct)
    {
        long? afterValue = null;
        string? afterName = null;
        long? afterId = null;
        if (nextToken is not null)
        {
            var cursor = PageToken.Decode(nextToken);
            if (cursor.Kind != "secrets" || cursor.Sort != sortBy.ToString() || cursor.Ascending != ascending)
            {
                throw new DomainException(ErrorKind.InvalidNextToken, "The NextToken value is invalid.");
            }

            afterValue = cursor.Value;
            afterName = cursor.Name;
            afterId = cursor.Id;
        }

        // A single positive name filter value narrows the scan through the name index.
        string? namePrefix = null;
        var nameFilters = filters?.Where(f => f.Key == "name").ToList() ?? [];
        if (nameFilters.Count == 1 && nameFilters[0].Values.Count == 1 && !nameFilters[0].Values[0].StartsWith('!'))
        {
            namePrefix = nameFilters[0].Values[0];
        }

        var page = new List<SecretRecord>();
        SecretRecord? lastScanned = null;
        var more = false;
        while (true)
        {
            var batchSize = Math.Max(size + 1, 200);
            var batch = await _store.ScanSecretsAsync(new SecretScan(region, includeDeleted, sortBy, ascending, afterValue, afterName, afterId, namePrefix, batchSize), ct);
            foreach (var secret in batch)
            {
                lastScanned = secret;
                if (!SecretFilters.Matches(secret, filters))
                {
                    continue;
                }

                if (page.Count == size)
                {
                    more = true;
                    break;
                }

                page.Add(secret);
            }

            if (more || batch.Count < batchSize)
            {
                break;
            }

            (afterValue, afterName, afterId) = (SortValue(lastScanned!, sortBy), lastScanned!.Name, lastScanned.Id);
        }

        string? token = null;
        if (more)
        {
            var last = page[^1];
            token = new PageToken("secrets", sortBy.ToString(), ascending, SortValue(last, sortBy), last.Name, last.Id).Encode();
        }

        return (page, token);
    }

    internal static long? SortValue(SecretRecord secret, SecretSortKey sortBy) => sortBy switch
    {
        SecretSortKey.CreatedDate => secret.CreatedDate.ToUnixTimeMilliseconds(),
        SecretSortKey.LastChangedDate => secret.LastChangedDate.ToUnixTimeMilliseconds(),
        SecretSortKey.LastAccessedDate => secret.LastAccessedDate?.ToUnixTimeMilliseconds() ?? 0,
        _ => null,
    };

    /// <param name="accessCheck">Per-secret authorisation: null when the caller may read the secret, else the denial text (reported as AccessDeniedException in Errors).</param>
    public async Task<BatchGetResult> BatchGetSecretValueAsync(string region, IReadOnlyList<string>? secretIds, IReadOnlyList<ListFilter>? filters, int? maxResults, string? nextToken, CancellationToken ct, Func<string, Task<string?>>? accessCheck = null)
    {
        if ((secretIds is null) == (filters is null))
        {
            throw DomainException.InvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
        }

        if (maxResults is not null && filters is null)
        {
            throw DomainException.InvalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");
        }

        Validate.Range(maxResults, "maxResults", 1, 20);
        Validate.Length(nextToken, "nextToken", 1, 4096);
        var values = new List<SecretValueResult>();
        var errors = new List<BatchError>();
        if (secretIds is not null)
        {
            if (secretIds.Count < 1 || secretIds.Count > 20)
            {
                throw DomainException.Constraint("secretIdList", "[...]", secretIds.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 20");
            }

            foreach (var id in secretIds)
            {
                Validate.Length(id, "secretIdList.member", 1, 2048);
            }

            foreach (var id in secretIds.Distinct(StringComparer.Ordinal))
            {
                if (accessCheck is not null && await accessCheck(id) is { } denied)
                {
                    errors.Add(new BatchError(id, ErrorCodes.For(ErrorKind.AccessDenied), denied));
                    continue;
                }

                try
                {
                    values.Add(await GetSecretValueAsync(region, id, null, null, ct));
                }
                catch (DomainException e)
                {
                    errors.Add(new BatchError(id, ErrorCodes.For(e.Kind), e.Message));
                }
            }

            return new BatchGetResult(values, errors, null);
        }

        SecretFilters.ValidateFilters(filters);
        var (secrets, token) = await ScanAsync(region, filters, includeDeleted: false, SecretSortKey.CreatedDate, ascending: true, maxResults ?? 20, nextToken, ct);
        foreach (var secret in secrets)
        {
            if (accessCheck is not null && await accessCheck(secret.Arn) is { } denied)
            {
                errors.Add(new BatchError(secret.Name, ErrorCodes.For(ErrorKind.AccessDenied), denied));
                continue;
            }

            try
            {
                values.Add(await ReadValueAsync(secret, null, null, ct));
            }
            catch (DomainException e)
            {
                errors.Add(new BatchError(secret.Name, ErrorCodes.For(e.Kind), e.Message));
            }
        }

        return new BatchGetResult(values, errors, token);
    }

    // ---------------------------------------------------------------- deletion

    public async Task<DeleteResult> DeleteSecretAsync(string region, string secretId, long? recoveryWindowInDays, bool force, CancellationToken ct)
    {
        Validate.SecretId(secretId);
        if (force && recoveryWindowInDays is not null)
        {
            throw DomainException.InvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
        }

        if (recoveryWindowInDays is not null and (< 7 or > 30))
        {
            throw DomainException.InvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
        }

        return await _store.WriteAsync(async tx =>
        {
            var now = Now;
            var secret = await FindAsync(tx, region, secretId, ct);
            if (secret is null)
            {
                if (force)
                {
                    var name = secretId.StartsWith("arn:", StringComparison.Ordinal) ? secretId.Split(':', 7)[^1] : secretId;
                    var arn = secretId.StartsWith("arn:", StringComparison.Ordinal) ? secretId : $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{secretId}";
                    return new DeleteResult(arn, name, now);
                }

                throw DomainException.SecretNotFound();
            }

            if (secret.IsReplica)
            {
                throw ReplicaNotPermitted();
            }

            if (secret.Replicas.Count > 0)
            {
                throw DomainException.InvalidParameter($"You can't delete secret {secret.Arn} that still has replica regions [{string.Join(", ", secret.Replicas.Select(r => r.Region))}].");
            }

            if (force)
            {
                await DeleteNowAsync(tx, secret, ct);
                return new DeleteResult(secret.Arn, secret.Name, now);
            }

            if (secret.DeletedDate is not null)
            {
                throw DomainException.MarkedForDeletion();
            }

            secret.DeletedDate = now.AddDays(recoveryWindowInDays ?? 30);
            secret.LastChangedDate = now;
            await tx.UpdateSecretAsync(secret, ct);
            return new DeleteResult(secret.Arn, secret.Name, secret.DeletedDate.Value);
        }, ct);
    }

    private static async Task DeleteNowAsync(IStoreTransaction tx, SecretRecord secret, CancellationToken ct)
    {
        await tx.DeleteSecretAsync(secret.Id, ct);
        if (secret.IsReplica)
        {
            var primary = await tx.FindSecretByNameAsync(secret.PrimaryRegion!, secret.Name, ct);
            if (primary is not null && primary.Replicas.RemoveAll(r => r.Region == secret.Region) > 0)
            {
                await tx.UpdateSecretAsync(primary, ct);
            }
        }
    }

    public async Task<SecretRecord> RestoreSecretAsync(string region, string secretId, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireAsync(tx, region, secretId, ct);
            if (secret.IsReplica)
            {
                throw ReplicaNotPermitted();
            }

            if (secret.DeletedDate is not null)
            {
                secret.DeletedDate = null;
                secret.LastChangedDate = Now;
                await tx.UpdateSecretAsync(secret, ct);
            }

            return secret;
        }, ct);
    }

    /// <summary>Deletes secrets whose recovery window has ended. Returns the deleted secrets.</summary>
    public async Task<IReadOnlyList<SecretRecord>> PurgeDueAsync(CancellationToken ct)
    {
        var due = await _store.FindSecretsDueForDeletionAsync(_time.GetUtcNow(), 100, ct);
        var purged = new List<SecretRecord>();
        foreach (var candidate in due)
        {
            var deleted = await _store.WriteAsync(async tx =>
            {
                var secret = await tx.FindSecretByArnAsync(candidate.Arn, ct);
                if (secret?.DeletedDate is null || secret.DeletedDate > _time.GetUtcNow())
                {
                    return false;
                }

                await DeleteNowAsync(tx, secret, ct);
                return true;
            }, ct);
            if (deleted)
            {
                purged.Add(candidate);
            }
        }

        return purged;
    }

    // ---------------------------------------------------------------- labels

    public async Task<SecretRecord> UpdateSecretVersionStageAsync(string region, string secretId, string versionStage, string? removeFromVersionId, string? moveToVersionId, CancellationToken ct)
    {
        Validate.Length(versionStage, "versionStage", 1, 256);
        Validate.VersionId(removeFromVersionId, "removeFromVersionId");
        Validate.VersionId(moveToVersionId, "moveToVersionId");
        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, secretId, ct);
            var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
            var holder = versions.Find(v => v.Stages.Contains(versionStage));
            SecretVersionRecord? target = null;
            if (moveToVersionId is not null)
            {
                target = versions.Find(v => v.VersionId == moveToVersionId)
                    ?? throw DomainException.InvalidParameter($"The version {moveToVersionId} doesn't exist for secret {secret.Arn}.");
            }

            if (removeFromVersionId is not null && versions.All(v => v.VersionId != removeFromVersionId))
            {
                throw DomainException.InvalidParameter($"The version {removeFromVersionId} doesn't exist for secret {secret.Arn}.");
            }

            if (holder is not null && holder != target)
            {
                if (removeFromVersionId is null)
                {
                    throw DomainException.InvalidParameter($"The parameter RemoveFromVersionId can't be empty. Staging label {versionStage} is currently attached to version {holder.VersionId}, so you must explicitly reference that version in RemoveFromVersionId.");
                }

                if (removeFromVersionId != holder.VersionId)
                {
                    throw DomainException.InvalidParameter($"The staging label {versionStage} is currently attached to version {holder.VersionId}, not to version {removeFromVersionId}; RemoveFromVersionId must name the version that holds the label.");
                }
            }
            else if (holder is null && removeFromVersionId is not null)
            {
                throw DomainException.InvalidParameter($"The staging label {versionStage} is not attached to version {removeFromVersionId}.");
            }

            if (target is null)
            {
                if (holder is null)
                {
                    throw DomainException.InvalidParameter("You must specify MoveToVersionId, RemoveFromVersionId, or both.");
                }

                if (versionStage == Current)
                {
                    throw DomainException.InvalidParameter("You can't remove the staging label AWSCURRENT from a version without moving it to another version: a secret with a value always has an AWSCURRENT version.");
                }

                holder.Stages.Remove(versionStage);
            }
            else if (holder != target)
            {
                if (target.Stages.Count >= 20)
                {
                    throw new DomainException(ErrorKind.LimitExceeded, "A version can have at most 20 staging labels.");
                }

                if (versionStage == Current && target.Envelope is null)
                {
                    throw DomainException.InvalidRequest($"You can't attach AWSCURRENT to version {target.VersionId}: it has no secret value.");
                }

                ApplyStages(versions, target, [versionStage]);
            }
            else
            {
                return secret;
            }

            await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
            var now = Now;
            secret.LastChangedDate = now;
            if (versionStage == Current && secret.RotationEnabled == true)
            {
                secret.LastRotatedDate = now;
                secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
            }

            await tx.UpdateSecretAsync(secret, ct);
            await SyncReplicasAsync(tx, secret, force: false, ct);
            return secret;
        }, ct);
    }

    // ---------------------------------------------------------------- tags

    public async Task TagResourceAsync(string region, string secretId, IReadOnlyList<SecretTag> tags, CancellationToken ct)
    {
        Validate.Tags(tags);
        await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, secretId, ct);
            foreach (var tag in tags)
            {
                secret.Tags.RemoveAll(t => t.Key == tag.Key);
                secret.Tags.Add(tag);
                secret.HasTagList = true;
            }

            if (secret.Tags.Count > 50)
            {
                throw DomainException.InvalidParameter("Number of tags exceeds the limit of 50 tags per secret.");
            }

            secret.LastChangedDate = Now;
            await tx.UpdateSecretAsync(secret, ct);
            await SyncReplicasAsync(tx, secret, force: false, ct);
            return true;
        }, ct);
    }

    public async Task UntagResourceAsync(string region, string secretId, IReadOnlyList<string> tagKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tagKeys);
        foreach (var key in tagKeys)
        {
            Validate.Length(key, "tagKeys.member", 1, 128);
        }

        await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, secretId, ct);
            secret.Tags.RemoveAll(t => tagKeys.Contains(t.Key));
            secret.LastChangedDate = Now;
            await tx.UpdateSecretAsync(secret, ct);
            await SyncReplicasAsync(tx, secret, force: false, ct);
            return true;
        }, ct);
    }

    // ---------------------------------------------------------------- resource policies

    public async Task<SecretRecord> PutResourcePolicyAsync(string region, string secretId, string policy, bool blockPublicPolicy, CancellationToken ct)
    {
        Validate.Length(policy, "resourcePolicy", 1, 20480);
        if (ResourcePolicyCheck.SyntaxErrors(policy).Count > 0)
        {
            throw new DomainException(ErrorKind.MalformedPolicyDocument, "This resource policy contains a syntax error.");
        }

        if (blockPublicPolicy && ResourcePolicyCheck.IsPublic(policy, _identity.AccountId))
        {
            throw new DomainException(ErrorKind.PublicPolicy, "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.");
        }

        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, secretId, ct);
            secret.ResourcePolicy = policy;
            secret.LastChangedDate = Now;
            await tx.UpdateSecretAsync(secret, ct);
            await SyncReplicasAsync(tx, secret, force: false, ct);
            return secret;
        }, ct);
    }

    public async Task<SecretRecord> GetResourcePolicyAsync(string region, string secretId, CancellationToken ct) =>
        await RequireAsync(_store, region, secretId, ct);

    public async Task<SecretRecord> DeleteResourcePolicyAsync(string region, string secretId, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, secretId, ct);
            if (secret.ResourcePolicy is not null)
            {
                secret.ResourcePolicy = null;
                secret.LastChangedDate = Now;
                await tx.UpdateSecretAsync(secret, ct);
                await SyncReplicasAsync(tx, secret, force: false, ct);
            }

            return secret;
        }, ct);
    }

    public async Task<PolicyValidationResult> ValidateResourcePolicyAsync(string region, string? secretId, string policy, CancellationToken ct)
    {
        Validate.Length(policy, "resourcePolicy", 1, 20480);
        if (secretId is not null)
        {
            await RequireAsync(_store, region, secretId, ct);
        }

        if (!ResourcePolicyCheck.IsJson(policy))
        {
            throw new DomainException(ErrorKind.MalformedPolicyDocument, "This resource policy contains a syntax error.");
        }

        var errors = ResourcePolicyCheck.SyntaxErrors(policy).Select(e => ("SYNTAX_CHECK", e)).ToList();
        if (errors.Count == 0)
        {
            try
            {
                // The same parser the access-control engine uses, so a policy that validates is one it can enforce.
                Policies.PolicyDocument.Parse(policy, requirePrincipal: true);
            }
            catch (Policies.PolicySyntaxException e)
            {
                errors.Add(("SYNTAX_CHECK", $"{e.Message} (line {e.Line}, column {e.Column})"));
            }
        }
        else
        {
            try
            {
                Policies.PolicyDocument.Parse(policy, requirePrincipal: true);
            }
            catch (Policies.PolicySyntaxException e)
            {
                errors[0] = ("SYNTAX_CHECK", $"{errors[0].e} (line {e.Line}, column {e.Column})");
            }
        }
        if (errors.Count == 0 && ResourcePolicyCheck.IsPublic(policy, _identity.AccountId))
        {
            errors.Add(("PUBLIC_POLICY_CHECK", "The resource policy grants broad access to the secret: a wildcard Principal without a Condition that narrows the caller to this account."));
        }

        return new PolicyValidationResult(errors.Count == 0, errors);
    }

    // ---------------------------------------------------------------- rotation configuration

    public async Task<WriteResult> RotateSecretAsync(string region, RotateSecretRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.SecretId(request.SecretId);
        Validate.Token(request.ClientRequestToken);
        Validate.Length(request.RotationLambdaArn, "rotationLambdaARN", 0, 2048);
        RotationSchedule.ValidateRules(request.RotationRules);
        await CheckRotationStartAsync(region, request, ct);
        string? currentVersionId = null;
        var result = await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, request.SecretId, ct);
            var lambda = string.IsNullOrEmpty(request.RotationLambdaArn) ? secret.RotationLambdaArn : request.RotationLambdaArn;
            if (string.IsNullOrEmpty(lambda))
            {
                throw DomainException.InvalidRequest("No Lambda rotation function ARN is associated with this secret.");
            }

            var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
            var pending = versions.Find(v => v.Stages.Contains(Pending) && !v.Stages.Contains(Current));
            currentVersionId = versions.Find(v => v.Stages.Contains(Current))?.VersionId;
            var rotateNow = request.RotateImmediately ?? true;
            string? versionId = null;
            if (rotateNow)
            {
                versionId = request.ClientRequestToken ?? Guid.NewGuid().ToString();
                if (pending is not null && pending.VersionId != versionId)
                {
                    throw DomainException.InvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
                }

                if (pending is null)
                {
                    if (versions.Any(v => v.VersionId == versionId))
                    {
                        throw new DomainException(ErrorKind.ResourceExists, $"You can't use ClientRequestToken {versionId} because that value is already in use for a version of secret {secret.Arn}.");
                    }

                    var placeholder = new SecretVersionRecord { VersionId = versionId, CreatedDate = Now };
                    versions.Add(placeholder);
                    ApplyStages(versions, placeholder, [Pending]);
                    await tx.InsertVersionAsync(secret.Id, placeholder, ct);
                    await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
                }
            }

            secret.RotationLambdaArn = lambda;
            if (request.RotationRules is not null)
            {
                secret.RotationRules = request.RotationRules;
            }

            secret.RotationEnabled = true;
            var now = Now;
            secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, secret.LastRotatedDate ?? now);
            if (secret.NextRotationDate < now)
            {
                secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
            }

            secret.LastChangedDate = now;
            await tx.UpdateSecretAsync(secret, ct);
            return new WriteResult(secret, versionId, null);
        }, ct);

        // The rotation itself runs in the background, as AWS runs the Lambda function after answering.
        if (result.VersionId is not null)
        {
            _rotations?.Start(new RotationStartRequest(result.Secret.Region, result.Secret.Arn, result.VersionId, RotationTrigger.RotateSecret, 1));
        }
        else if (currentVersionId is not null)
        {
            _rotations?.Start(new RotationStartRequest(result.Secret.Region, result.Secret.Arn, currentVersionId, RotationTrigger.Test, 1));
        }

        return result;
    }

    /// <summary>Before RotateSecret changes anything: its function must be invocable and no run of the secret still going.</summary>
    private async Task CheckRotationStartAsync(string region, RotateSecretRequest request, CancellationToken ct)
    {
        var secret = _rotations is null ? null : await FindAsync(_store, region, request.SecretId, ct);
        var lambda = string.IsNullOrEmpty(request.RotationLambdaArn) ? secret?.RotationLambdaArn : request.RotationLambdaArn;
        if (secret is not null && secret.DeletedDate is null && !string.IsNullOrEmpty(lambda))
        {
            await _rotations!.CheckStartAsync(secret.Region, secret.Arn, lambda, request.ClientRequestToken, request.RotateImmediately ?? true, ct);
        }
    }

    /// <summary>
    /// For a scheduled rotation: the AWSPENDING version to rotate in — an unfinished one left by an
    /// earlier rotation, or a new value-less one. Null when the secret no longer rotates.
    /// </summary>
    public async Task<string?> BeginScheduledRotationAsync(string secretArn, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await tx.FindSecretByArnAsync(secretArn, ct);
            if (secret is null || secret.DeletedDate is not null || secret.RotationEnabled != true || secret.IsReplica)
            {
                return null;
            }

            var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
            var pending = versions.Find(v => v.Stages.Contains(Pending) && !v.Stages.Contains(Current));
            if (pending is not null)
            {
                return pending.VersionId;
            }

            var placeholder = new SecretVersionRecord { VersionId = Guid.NewGuid().ToString(), CreatedDate = Now };
            versions.Add(placeholder);
            ApplyStages(versions, placeholder, [Pending]);
            await tx.InsertVersionAsync(secret.Id, placeholder, ct);
            await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
            return placeholder.VersionId;
        }, ct);
    }

    /// <summary>
    /// After a rotation gave up: NextRotationDate moves to the end of the next window after now, so the
    /// scheduler tries again then (AWSPENDING stays for that attempt).
    /// </summary>
    public async Task PostponeRotationAsync(string secretArn, CancellationToken ct)
    {
        await _store.WriteAsync(async tx =>
        {
            var secret = await tx.FindSecretByArnAsync(secretArn, ct);
            if (secret is null || secret.RotationEnabled != true)
            {
                return false;
            }

            var now = Now;
            secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
            await tx.UpdateSecretAsync(secret, ct);
            return true;
        }, ct);
    }

    public async Task<WriteResult> CancelRotateSecretAsync(string region, string secretId, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await RequireWritableAsync(tx, region, secretId, ct);
            var versions = await tx.ListVersionsAsync(secret.Id, ct);
            var pending = versions.FirstOrDefault(v => v.Stages.Contains(Pending));
            secret.RotationEnabled = false;
            secret.NextRotationDate = null;
            secret.LastChangedDate = Now;
            await tx.UpdateSecretAsync(secret, ct);
            return new WriteResult(secret, pending?.VersionId, null);
        }, ct);
    }
}
