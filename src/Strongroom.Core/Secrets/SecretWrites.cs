using System.Security.Cryptography;
using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;

namespace Strongroom.Core.Secrets;

/// <summary>
/// CreateSecret, PutSecretValue and UpdateSecret. Each runs in one store transaction, so a failure leaves
/// nothing half-written.
/// </summary>
public sealed class SecretWrites
{
    private const string SuffixAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly IUnitOfWork _store;
    private readonly SecretSealer _sealer;
    private readonly SecretReplication _replication;
    private readonly SecretVersionWriter _versions;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly Events.IEventOutbox _events;

    internal SecretWrites(IUnitOfWork store, SecretSealer sealer, SecretReplication replication, SecretVersionWriter versions, ServerIdentity identity, TimeProvider time, Events.IEventOutbox events)
    {
        _events = events;
        _store = store;
        _sealer = sealer;
        _replication = replication;
        _versions = versions;
        _identity = identity;
        _time = time;
    }

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

        var replicaRegions = _replication.ValidateReplicaRegions(region, request.AddReplicaRegions);

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
                        if (await _sealer.SameValueAsync(tx, existing, version, request.SecretString, request.SecretBinary, ct))
                        {
                            return new WriteResult(existing, version.VersionId, version.Stages);
                        }

                        throw new DomainException(ErrorKind.ResourceExists, $"You can't use ClientRequestToken {request.ClientRequestToken} because that value is already in use for a version of secret {existing.Arn}.");
                    }
                }

                throw new DomainException(ErrorKind.ResourceExists, $"The operation failed because the secret {request.Name} already exists.");
            }

            var now = _time.NowMillis();
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
            var key = await _sealer.ResolveKeyForEncryptAsync(tx, secret.Region, secret.KmsKeyId, ct);
            await tx.InsertSecretAsync(secret, ct);
            string? versionId = null;
            if (hasValue)
            {
                versionId = request.ClientRequestToken!;
                var version = new SecretVersionRecord { VersionId = versionId, CreatedDate = now, Stages = [Current] };
                await _sealer.SealIntoAsync(tx, secret, version, key, request.SecretString, request.SecretBinary, ct);
                await tx.InsertVersionAsync(secret.Id, version, ct);
                await tx.ReplaceStagesAsync(secret.Id, [new(Current, versionId)], ct);
                await _events.AddAsync(tx, Events.EventCatalog.ValueChanged(secret, versionId, null), ct);
            }

            foreach (var replica in replicaRegions)
            {
                secret.Replicas.Add(new ReplicaStatus { Region = replica.Region, KmsKeyId = replica.KmsKeyId, Status = "InProgress" });
            }

            if (secret.Replicas.Count > 0)
            {
                secret.PrimaryRegion = secret.Region;
                await _replication.SyncReplicasAsync(tx, secret, request.ForceOverwriteReplicaSecret, ct);
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
            var secret = await SecretLookup.RequireWritableAsync(tx, region, request.SecretId, ct);
            var result = await _versions.AddVersionAsync(tx, secret, request.ClientRequestToken, request.SecretString, request.SecretBinary, request.VersionStages, allowSameToken: true, ct);
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
            var secret = await SecretLookup.RequireWritableAsync(tx, region, request.SecretId, ct);
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
                var key = await _sealer.ResolveKeyForEncryptAsync(tx, secret.Region, newKeyId, ct);
                secret.KmsKeyId = newKeyId;
                await _sealer.ReencryptLabelledVersionsAsync(tx, secret, key, ct);
                changed = true;
            }

            WriteResult? added = null;
            if (hasValue)
            {
                added = await _versions.AddVersionAsync(tx, secret, request.ClientRequestToken!, request.SecretString, request.SecretBinary, null, allowSameToken: true, ct);
            }
            else if (changed)
            {
                secret.LastChangedDate = _time.NowMillis();
                await tx.UpdateSecretAsync(secret, ct);
                await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
            }

            return added ?? new WriteResult(secret, null, null);
        }, ct);
    }
}
