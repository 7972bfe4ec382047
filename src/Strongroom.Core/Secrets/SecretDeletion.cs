using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;

namespace Strongroom.Core.Secrets;

/// <summary>
/// DeleteSecret (with a recovery window or at once), RestoreSecret, and the purge of secrets whose window ended.
/// </summary>
public sealed class SecretDeletion
{
    private readonly IStore _store;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly Events.IEventOutbox _events;

    internal SecretDeletion(IStore store, ServerIdentity identity, TimeProvider time, Events.IEventOutbox events)
    {
        _events = events;
        _store = store;
        _identity = identity;
        _time = time;
    }

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
            var now = _time.NowMillis();
            var secret = await SecretLookup.FindAsync(tx, region, secretId, ct);
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
                throw SecretLookup.ReplicaNotPermitted();
            }

            if (secret.Replicas.Count > 0)
            {
                throw DomainException.InvalidParameter($"You can't delete secret {secret.Arn} that still has replica regions [{string.Join(", ", secret.Replicas.Select(r => r.Region))}].");
            }

            if (force)
            {
                await DeleteNowAsync(tx, secret, ct);
                await _events.AddAsync(tx, Events.EventCatalog.Deleted(secret, now, force: true), ct);
                return new DeleteResult(secret.Arn, secret.Name, now);
            }

            if (secret.DeletedDate is not null)
            {
                throw DomainException.MarkedForDeletion();
            }

            secret.DeletedDate = now.AddDays(recoveryWindowInDays ?? 30);
            secret.LastChangedDate = now;
            await tx.UpdateSecretAsync(secret, ct);
            await _events.AddAsync(tx, Events.EventCatalog.Deleted(secret, secret.DeletedDate.Value, force: false), ct);
            return new DeleteResult(secret.Arn, secret.Name, secret.DeletedDate.Value);
        }, ct);
    }

    private static async Task DeleteNowAsync(ISecretWriter tx, SecretRecord secret, CancellationToken ct)
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
            var secret = await SecretLookup.RequireAsync(tx, region, secretId, ct);
            if (secret.IsReplica)
            {
                throw SecretLookup.ReplicaNotPermitted();
            }

            if (secret.DeletedDate is not null)
            {
                secret.DeletedDate = null;
                secret.LastChangedDate = _time.NowMillis();
                await tx.UpdateSecretAsync(secret, ct);
                await _events.AddAsync(tx, Events.EventCatalog.Restored(secret), ct);
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
}
