using Strongroom.Core.Kms;
using Strongroom.Core.Rotation;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Secrets;

/// <summary>
/// The Secrets Manager use cases, one class per responsibility, built once from the server's parts.
/// Protocol code calls the use case it needs (<c>secrets.Reads.GetSecretValueAsync</c>); a new operation
/// goes into the class of its responsibility. Every write runs in one store transaction, so a failure
/// leaves nothing half-written. Thread-safe.
/// </summary>
public sealed class SecretsService
{
    /// <param name="regions">Where replicas may go (default: AWS's public regions).</param>
    /// <param name="events">Where committed changes are announced (default: nowhere), in the same transaction.</param>
    public SecretsService(IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time, IRotationStarter? rotations = null, KnownRegions? regions = null, Events.IEventOutbox? events = null)
    {
        events ??= Events.NoEventOutbox.Instance;
        var sealer = new SecretSealer(keys);
        var replication = new SecretReplication(store, keys, sealer, time, regions ?? KnownRegions.Default);
        var versions = new SecretVersionWriter(sealer, replication, time, events);
        Replication = replication;
        Writes = new SecretWrites(store, sealer, replication, versions, identity, time, events);
        Reads = new SecretReads(store, sealer, time);
        Listing = new SecretListing(store, Reads);
        Deletion = new SecretDeletion(store, identity, time, events);
        Staging = new SecretStaging(store, replication, time, events);
        Tagging = new SecretTagging(store, replication, time);
        Policies = new SecretPolicies(store, replication, identity, time);
        Rotation = new SecretRotationSettings(store, time, rotations);
    }

    /// <summary>CreateSecret, PutSecretValue, UpdateSecret.</summary>
    public SecretWrites Writes { get; }

    /// <summary>GetSecretValue, DescribeSecret, ListSecretVersionIds.</summary>
    public SecretReads Reads { get; }

    /// <summary>ListSecrets, BatchGetSecretValue.</summary>
    public SecretListing Listing { get; }

    /// <summary>DeleteSecret, RestoreSecret, the purge of expired recovery windows.</summary>
    public SecretDeletion Deletion { get; }

    /// <summary>UpdateSecretVersionStage.</summary>
    public SecretStaging Staging { get; }

    /// <summary>TagResource, UntagResource.</summary>
    public SecretTagging Tagging { get; }

    /// <summary>Put/Get/Delete/ValidateResourcePolicy.</summary>
    public SecretPolicies Policies { get; }

    /// <summary>RotateSecret, CancelRotateSecret, the scheduler's begin/postpone steps.</summary>
    public SecretRotationSettings Rotation { get; }

    /// <summary>ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica.</summary>
    public SecretReplication Replication { get; }
}
