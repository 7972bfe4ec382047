using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;
using Strongroom.Core.Kms;

namespace Strongroom.Core.Secrets;

/// <summary>
/// Replication between regions of one server: a replica is a read-only secret in another region with the
/// same name and suffix, whose versions are re-encrypted under the replica region's key. Replicas are
/// brought in sync inside the primary's write transaction, so they are never behind an acknowledged write.
/// </summary>
public sealed class SecretReplication
{
    private readonly IUnitOfWork _store;
    private readonly KeyRing _keys;
    private readonly SecretSealer _sealer;
    private readonly TimeProvider _time;
    private readonly KnownRegions _regions;

    internal SecretReplication(IUnitOfWork store, KeyRing keys, SecretSealer sealer, TimeProvider time, KnownRegions regions)
    {
        _store = store;
        _keys = keys;
        _sealer = sealer;
        _time = time;
        _regions = regions;
    }

    /// <summary>
    /// Checks requested replica regions: a malformed name is a framework validation error; a region left out,
    /// equal to the primary's, or not one this deployment knows (<see cref="KnownRegions"/>) is AWS's
    /// "Invalid replica region.".
    /// </summary>
    internal List<(string Region, string? KmsKeyId)> ValidateReplicaRegions(string region, IReadOnlyList<ReplicaRegion>? regions)
    {
        if (regions is null)
        {
            return [];
        }

        var valid = new List<(string Region, string? KmsKeyId)>();
        for (var i = 0; i < regions.Count; i++)
        {
            var replica = regions[i];
            if (replica.Region is not null)
            {
                Validate.Region(replica.Region, $"addReplicaRegions.{i + 1}.member.region");
            }

            Validate.Length(replica.KmsKeyId, $"addReplicaRegions.{i + 1}.member.kmsKeyId", 0, 2048);
            if (replica.Region is null || replica.Region == region || !_regions.Contains(replica.Region))
            {
                throw DomainException.InvalidParameter("Invalid replica region.");
            }

            valid.Add((replica.Region, replica.KmsKeyId));
        }

        if (valid.Select(r => r.Region).Distinct(StringComparer.Ordinal).Count() != valid.Count)
        {
            throw DomainException.InvalidParameter("Invalid replica Regions: each Region can appear only once.");
        }

        return valid;
    }

    private static string ReplicaArn(string primaryArn, string region)
    {
        var parts = primaryArn.Split(':', 7);
        parts[3] = region;
        return string.Join(':', parts);
    }

    /// <summary>Makes every replica of <paramref name="primary"/> match it; updates each replica's status on the primary record.</summary>
    internal async Task SyncReplicasAsync(IStoreTransaction tx, SecretRecord primary, bool force, CancellationToken ct)
    {
        if (primary.Replicas.Count == 0 || primary.IsReplica)
        {
            return;
        }

        var changed = false;
        foreach (var status in primary.Replicas)
        {
            var before = (status.Status, status.StatusMessage);
            await SyncReplicaAsync(tx, primary, status, force, ct);
            changed |= before != (status.Status, status.StatusMessage);
        }

        if (changed)
        {
            await tx.UpdateSecretAsync(primary, ct);
        }
    }

    private async Task SyncReplicaAsync(IStoreTransaction tx, SecretRecord primary, ReplicaStatus status, bool force, CancellationToken ct)
    {
        var arn = ReplicaArn(primary.Arn, status.Region);
        var replica = await tx.FindSecretByNameAsync(status.Region, primary.Name, ct);
        if (replica is not null && replica.Arn != arn)
        {
            if (!force)
            {
                status.Status = "Failed";
                status.StatusMessage = $"Replication failed: Secret name already exists in Region {status.Region}. Use ForceOverwriteReplicaSecret to overwrite it.";
                return;
            }

            await tx.DeleteSecretAsync(replica.Id, ct);
            replica = null;
        }

        Kms.KmsKeyRecord key;
        try
        {
            key = await _keys.ResolveForEncryptAsync(tx, status.Region, status.KmsKeyId, ct);
        }
        catch (Kms.KmsUnavailableException)
        {
            status.Status = "Failed";
            status.StatusMessage = $"Replication failed: the KMS key {status.KmsKeyId} can't be used in {status.Region}.";
            return;
        }

        var isNew = replica is null;
        replica ??= new SecretRecord { Region = status.Region, Name = primary.Name, Arn = arn, CreatedDate = primary.CreatedDate };
        replica.Description = primary.Description;
        replica.KmsKeyId = status.KmsKeyId;
        replica.Tags = primary.Tags.ToList();
        replica.HasTagList = primary.HasTagList;
        replica.Type = primary.Type;
        replica.ResourcePolicy = primary.ResourcePolicy;
        replica.LastChangedDate = primary.LastChangedDate;
        replica.RotationEnabled = primary.RotationEnabled;
        replica.RotationLambdaArn = primary.RotationLambdaArn;
        replica.RotationRules = primary.RotationRules;
        replica.LastRotatedDate = primary.LastRotatedDate;
        replica.NextRotationDate = primary.NextRotationDate;
        replica.PrimaryRegion = primary.Region;
        replica.DeletedDate = null;
        if (isNew)
        {
            await tx.InsertSecretAsync(replica, ct);
        }
        else
        {
            await tx.UpdateSecretAsync(replica, ct);
        }

        var sourceVersions = await tx.ListVersionsAsync(primary.Id, ct);
        var replicaVersions = (await tx.ListVersionsAsync(replica.Id, ct)).ToDictionary(v => v.VersionId, StringComparer.Ordinal);
        foreach (var source in sourceVersions)
        {
            if (replicaVersions.Remove(source.VersionId, out var existing) && (existing.Envelope is not null || source.Envelope is null))
            {
                continue;
            }

            var copy = new SecretVersionRecord { VersionId = source.VersionId, CreatedDate = source.CreatedDate };
            if (source.Envelope is not null)
            {
                using var value = await _sealer.OpenAsync(tx, primary, source, ct);
                await _sealer.SealIntoAsync(tx, replica, copy, key, value.Text, value.Binary, ct);
            }

            if (existing is not null)
            {
                await tx.UpdateVersionValueAsync(replica.Id, copy.VersionId, copy.Envelope!, copy.KmsKeyArn!, ct);
            }
            else
            {
                await tx.InsertVersionAsync(replica.Id, copy, ct);
            }
        }

        foreach (var gone in replicaVersions.Keys)
        {
            await tx.DeleteVersionAsync(replica.Id, gone, ct);
        }

        await tx.ReplaceStagesAsync(replica.Id, StageMap(sourceVersions), ct);
        status.Status = "InSync";
        status.StatusMessage = "Replication succeeded";
    }

    public async Task<SecretRecord> ReplicateSecretToRegionsAsync(string region, string secretId, IReadOnlyList<ReplicaRegion> regions, bool force, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(regions);
        if (regions.Count == 0)
        {
            throw DomainException.Constraint("addReplicaRegions", "[]", "Member must have length greater than or equal to 1");
        }

        return await _store.WriteAsync(async tx =>
        {
            // A replica answers "Operation not permitted on a replica secret" before its regions are looked at, as in AWS.
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            var added = ValidateReplicaRegions(region, regions);
            foreach (var replica in added)
            {
                if (secret.Replicas.Any(r => r.Region == replica.Region))
                {
                    continue;
                }

                secret.Replicas.Add(new ReplicaStatus { Region = replica.Region, KmsKeyId = replica.KmsKeyId, Status = "InProgress" });
            }

            secret.PrimaryRegion = secret.Region;
            await SyncReplicasAsync(tx, secret, force, ct);
            await tx.UpdateSecretAsync(secret, ct);
            return secret;
        }, ct);
    }

    public async Task<SecretRecord> RemoveRegionsFromReplicationAsync(string region, string secretId, IReadOnlyList<string> regions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(regions);
        if (regions.Count == 0)
        {
            throw DomainException.Constraint("removeReplicaRegions", "[]", "Member must have length greater than or equal to 1");
        }

        for (var i = 0; i < regions.Count; i++)
        {
            Validate.Region(regions[i], $"removeReplicaRegions.{i + 1}.member");
        }

        return await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            foreach (var r in regions)
            {
                if (secret.Replicas.RemoveAll(x => x.Region == r) == 0)
                {
                    throw DomainException.InvalidParameter($"The secret isn't replicated to Region {r}.");
                }

                var replica = await tx.FindSecretByArnAsync(ReplicaArn(secret.Arn, r), ct);
                if (replica is not null)
                {
                    await tx.DeleteSecretAsync(replica.Id, ct);
                }
            }

            if (secret.Replicas.Count == 0)
            {
                secret.PrimaryRegion = null;
            }

            secret.LastChangedDate = _time.NowMillis();
            await tx.UpdateSecretAsync(secret, ct);
            return secret;
        }, ct);
    }

    public async Task<SecretRecord> StopReplicationToReplicaAsync(string region, string secretId, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var replica = await SecretLookup.RequireAsync(tx, region, secretId, ct);
            if (!replica.IsReplica)
            {
                throw DomainException.InvalidRequest("StopReplicationToReplica is called in the Region of a replica secret; this secret is not a replica.");
            }

            var primary = await tx.FindSecretByNameAsync(replica.PrimaryRegion!, replica.Name, ct);
            if (primary is not null)
            {
                primary.Replicas.RemoveAll(r => r.Region == region);
                if (primary.Replicas.Count == 0)
                {
                    primary.PrimaryRegion = null;
                }

                await tx.UpdateSecretAsync(primary, ct);
            }

            replica.PrimaryRegion = null;
            replica.LastChangedDate = _time.NowMillis();
            await tx.UpdateSecretAsync(replica, ct);
            return replica;
        }, ct);
    }
}
