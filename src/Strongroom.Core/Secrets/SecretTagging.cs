using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;

namespace Strongroom.Core.Secrets;

/// <summary>
/// TagResource and UntagResource on a secret.
/// </summary>
public sealed class SecretTagging
{
    private readonly IUnitOfWork _store;
    private readonly SecretReplication _replication;
    private readonly TimeProvider _time;

    internal SecretTagging(IUnitOfWork store, SecretReplication replication, TimeProvider time)
    {
        _store = store;
        _replication = replication;
        _time = time;
    }

    public async Task TagResourceAsync(string region, string secretId, IReadOnlyList<SecretTag> tags, CancellationToken ct)
    {
        Validate.Tags(tags);
        await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
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

            secret.LastChangedDate = _time.NowMillis();
            await tx.UpdateSecretAsync(secret, ct);
            await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
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
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            secret.Tags.RemoveAll(t => tagKeys.Contains(t.Key));
            secret.LastChangedDate = _time.NowMillis();
            await tx.UpdateSecretAsync(secret, ct);
            await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
            return true;
        }, ct);
    }
}
