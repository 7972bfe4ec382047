using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;
using Strongroom.Core.Rotation;

namespace Strongroom.Core.Secrets;

/// <summary>
/// Version writing: a new value becomes a version (or fills a rotation's value-less AWSPENDING), takes its
/// labels, and old unlabelled versions age out (keep labelled ones, those younger than 24 h, at most 100).
/// </summary>
internal sealed class SecretVersionWriter
{
    private const int MaxVersions = 100;

    private readonly SecretSealer _sealer;
    private readonly SecretReplication _replication;
    private readonly TimeProvider _time;
    private readonly Events.IEventOutbox _events;

    internal SecretVersionWriter(SecretSealer sealer, SecretReplication replication, TimeProvider time, Events.IEventOutbox events)
    {
        _events = events;
        _sealer = sealer;
        _replication = replication;
        _time = time;
    }

    internal async Task<WriteResult> AddVersionAsync(IStoreTransaction tx, SecretRecord secret, string token, string? text, byte[]? binary, IReadOnlyList<string>? stages, bool allowSameToken, CancellationToken ct)
    {
        var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
        var existing = versions.Find(v => v.VersionId == token);
        var now = _time.NowMillis();
        var previousCurrent = versions.Find(v => v.Stages.Contains(Current))?.VersionId;
        if (existing is not null)
        {
            if (existing.Envelope is null)
            {
                // The value-less AWSPENDING placeholder of a rotation: the value goes into it (createSecret step).
                var key = await _sealer.ResolveKeyForEncryptAsync(tx, secret.Region, secret.KmsKeyId, ct);
                await _sealer.SealIntoAsync(tx, secret, existing, key, text, binary, ct);
                await tx.UpdateVersionValueAsync(secret.Id, existing.VersionId, existing.Envelope!, existing.KmsKeyArn!, ct);
                if (stages is not null)
                {
                    ApplyStages(versions, existing, stages);
                    await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
                }

                secret.LastChangedDate = now;
                await tx.UpdateSecretAsync(secret, ct);
                await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
                await AnnounceCurrentAsync(tx, secret, versions, previousCurrent, ct);
                return new WriteResult(secret, existing.VersionId, existing.Stages);
            }

            if (allowSameToken && await _sealer.SameValueAsync(tx, secret, existing, text, binary, ct))
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
        var encryptKey = await _sealer.ResolveKeyForEncryptAsync(tx, secret.Region, secret.KmsKeyId, ct);
        await _sealer.SealIntoAsync(tx, secret, version, encryptKey, text, binary, ct);
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
        await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
        await AnnounceCurrentAsync(tx, secret, versions, previousCurrent, ct);
        return new WriteResult(secret, version.VersionId, version.Stages);
    }

    /// <summary>Records a value-changed event in <paramref name="tx"/> when AWSCURRENT now names another version than <paramref name="previousCurrent"/>.</summary>
    internal static async Task AnnounceCurrentAsync(Events.IEventOutbox events, IStoreTransaction tx, SecretRecord secret, List<SecretVersionRecord> versions, string? previousCurrent, CancellationToken ct)
    {
        var current = versions.Find(v => v.Stages.Contains(Current))?.VersionId;
        if (current is not null && current != previousCurrent && !secret.IsReplica)
        {
            await events.AddAsync(tx, Events.EventCatalog.ValueChanged(secret, current, previousCurrent), ct);
        }
    }

    private Task AnnounceCurrentAsync(IStoreTransaction tx, SecretRecord secret, List<SecretVersionRecord> versions, string? previousCurrent, CancellationToken ct) =>
        AnnounceCurrentAsync(_events, tx, secret, versions, previousCurrent, ct);

}
