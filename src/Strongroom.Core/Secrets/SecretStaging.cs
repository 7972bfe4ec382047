using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;
using Strongroom.Core.Rotation;

namespace Strongroom.Core.Secrets;

/// <summary>
/// UpdateSecretVersionStage: moving a staging label between versions.
/// </summary>
public sealed class SecretStaging
{
    private readonly IUnitOfWork _store;
    private readonly SecretReplication _replication;
    private readonly TimeProvider _time;
    private readonly Events.IEventOutbox _events;

    internal SecretStaging(IUnitOfWork store, SecretReplication replication, TimeProvider time, Events.IEventOutbox events)
    {
        _events = events;
        _store = store;
        _replication = replication;
        _time = time;
    }

    public async Task<SecretRecord> UpdateSecretVersionStageAsync(string region, string secretId, string versionStage, string? removeFromVersionId, string? moveToVersionId, CancellationToken ct)
    {
        Validate.Length(versionStage, "versionStage", 1, 256);
        Validate.VersionId(removeFromVersionId, "removeFromVersionId");
        Validate.VersionId(moveToVersionId, "moveToVersionId");
        return await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
            var holder = versions.Find(v => v.Stages.Contains(versionStage));
            var previousCurrent = versions.Find(v => v.Stages.Contains(Current))?.VersionId;
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
            var now = _time.NowMillis();
            secret.LastChangedDate = now;
            if (versionStage == Current && secret.RotationEnabled == true)
            {
                secret.LastRotatedDate = now;
                secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
            }

            await tx.UpdateSecretAsync(secret, ct);
            await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
            await SecretVersionWriter.AnnounceCurrentAsync(_events, tx, secret, versions, previousCurrent, ct);
            return secret;
        }, ct);
    }
}
