using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>
/// What the KMS use cases share: the store, the key ring, the clock, the lookup of a key by id, ARN or alias that
/// answers AWS's not-found errors, and the change of one key in one store transaction (the key ring's caches
/// invalidated after commit). Thread-safe.
/// </summary>
internal sealed class KmsKeyContext
{
    private readonly TimeProvider _time;

    public KmsKeyContext(IStore store, KeyRing keys, TimeProvider time, Events.IEventOutbox events)
    {
        Events = events;
        Store = store;
        Keys = keys;
        _time = time;
    }

    public IStore Store { get; }

    public KeyRing Keys { get; }

    /// <summary>Where key state changes are announced, in their transaction.</summary>
    public Events.IEventOutbox Events { get; }

    public DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    internal async Task<KmsKeyRecord> RequireKeyAsync(IStoreReader reader, string region, string identifier, bool allowAlias, CancellationToken ct)
    {
        Validate.Length(identifier, "keyId", 1, 2048);
        var key = await Keys.FindAsync(reader, region, identifier, allowAlias, ct);
        if (key is not null)
        {
            return key;
        }

        if (identifier.Contains("alias/", StringComparison.Ordinal))
        {
            var aliasName = identifier.StartsWith("arn:", StringComparison.Ordinal) ? identifier.Split(':', 6)[^1] : identifier;
            throw Error(ErrorKind.KmsNotFound, $"Alias {Keys.AliasArn(region, aliasName)} is not found.");
        }

        var shown = Guid.TryParse(identifier, out var id) ? Keys.KeyArn(region, id) : identifier;
        if (identifier.StartsWith("arn:", StringComparison.Ordinal) && identifier.Split(':').Length < 6)
        {
            throw Error(ErrorKind.InvalidArn, $"Invalid arn {identifier}");
        }

        throw Error(ErrorKind.KmsNotFound, $"Key '{shown}' does not exist");
    }

    internal async Task<T> ChangeKeyAsync<T>(string region, string keyId, Func<IStoreTransaction, KmsKeyRecord, Task<T>> change, CancellationToken ct)
    {
        Guid? touched = null;
        try
        {
            return await Store.WriteAsync(async tx =>
            {
                var key = await RequireKeyAsync(tx, region, keyId, allowAlias: false, ct);
                touched = key.KeyId;
                var result = await change(tx, key);
                await Cluster.ClusterCoordinator.MarkChangedAsync(tx, KeyRing.ChangeDomain, ct);
                return result;
            }, ct);
        }
        finally
        {
            if (touched is not null)
            {
                Keys.Invalidate(touched.Value);
            }
        }
    }
}
