using Strongroom.Core.Identity;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Kms;

/// <summary>
/// The KMS use cases for symmetric SYMMETRIC_DEFAULT keys, each its own class: lifecycle, aliases, cryptography,
/// rotation of key material, key policies and tags, built over one shared <see cref="KmsKeyContext"/>. Every change
/// runs in one store transaction; the key ring's caches are invalidated after commit. Thread-safe.
/// </summary>
public sealed class KmsService
{
    public KmsService(IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time, Events.IEventOutbox? events = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        AccountId = identity.AccountId;
        var context = new KmsKeyContext(store, keys, time, events ?? Events.NoEventOutbox.Instance);
        Keys = new KmsKeyLifecycle(context);
        Aliases = new KmsAliases(context);
        Crypto = new KmsCryptography(context);
        Rotations = new KmsKeyRotations(context);
        Policies = new KmsKeyPolicies(context);
        Tags = new KmsTags(context);
    }

    public string AccountId { get; }

    /// <summary>CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey/DisableKey, key deletion, background maintenance.</summary>
    public KmsKeyLifecycle Keys { get; }

    public KmsAliases Aliases { get; }

    /// <summary>Encrypt, Decrypt, GenerateDataKey, ReEncrypt (GenerateRandom is static on <see cref="KmsCryptography"/>).</summary>
    public KmsCryptography Crypto { get; }

    public KmsKeyRotations Rotations { get; }

    public KmsKeyPolicies Policies { get; }

    public KmsTags Tags { get; }
}
