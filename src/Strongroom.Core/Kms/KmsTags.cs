using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>The tags of KMS keys: TagResource, UntagResource, ListResourceTags.</summary>
public sealed class KmsTags
{
    private readonly KmsKeyContext _context;
    private readonly IStoreReader _store;

    internal KmsTags(KmsKeyContext context)
    {
        _context = context;
        _store = context.Store;
    }

    public Task TagResourceAsync(string region, string keyId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct)
    {
        ValidateTags(tags);
        return _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "TagResource");
            RequireNotPendingDeletion(key);
            foreach (var tag in tags)
            {
                key.Tags.RemoveAll(t => t.Key == tag.Key);
                key.Tags.Add(tag);
            }

            if (key.Tags.Count > 50)
            {
                throw Error(ErrorKind.LimitExceeded, "A key can have at most 50 tags.");
            }

            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public Task UntagResourceAsync(string region, string keyId, IReadOnlyList<string> tagKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tagKeys);
        foreach (var tagKey in tagKeys)
        {
            Validate.Length(tagKey, "tagKeys.member", 1, 128);
        }

        return _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "UntagResource");
            RequireNotPendingDeletion(key);
            key.Tags.RemoveAll(t => tagKeys.Contains(t.Key));
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    public async Task<KmsPage<KeyValuePair<string, string>>> ListResourceTagsAsync(string region, string keyId, int? limit, string? marker, CancellationToken ct)
    {
        var size = PageSize(limit, 50, 50);
        ValidateMarker(marker);
        var key = await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        var tags = key.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var start = 0;
        if (marker is not null)
        {
            start = tags.FindIndex(t => string.CompareOrdinal(t.Key, marker) > 0);
            start = start < 0 ? tags.Count : start;
        }

        var page = tags.Skip(start).Take(size).ToList();
        return new KmsPage<KeyValuePair<string, string>>(page, start + page.Count < tags.Count ? page[^1].Key : null);
    }
}
