using System.Text;
using Strongroom.Core;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Crypto;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The key ring's caches under concurrent invalidation: on PostgreSQL every KMS change by any client reaches every node
/// through the change feed as <see cref="KeyRing.InvalidateAll"/>, at any moment of any other request.
/// </summary>
public sealed class KeyRingCacheTests
{
    private static readonly Dictionary<string, string> Context = new() { ["purpose"] = "cache" };

    [Fact]
    public async Task ReEncryptThenDecrypt_WhileTheChangeFeedInvalidatesTheRing_EveryCiphertextOpens()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var ct = CancellationToken.None;
        var key = await f.Kms.Keys.CreateKeyAsync(ServiceFixture.Region, new CreateKeyRequest(null, "k", null, null, null, null, null, null, false, null, false), ct);
        var source = (await f.Kms.Crypto.EncryptAsync(ServiceFixture.Region, key.KeyId.ToString(), Encoding.UTF8.GetBytes("gen0"), Context, ct)).CiphertextBlob!;
        for (var i = 0; i < 3; i++)
        {
            await f.Kms.Rotations.RotateKeyOnDemandAsync(ServiceFixture.Region, key.KeyId.ToString(), ct);
        }

        // What a node does when other clients change other keys: forget everything it caches, again and again.
        using var stop = new CancellationTokenSource();
        var invalidations = 0L;
        var invalidator = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                f.Keys.InvalidateAll();
                invalidations++;
            }
        });

        var failures = 0;
        var roundTrips = 0;
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                try
                {
                    var (_, moved) = await f.Kms.Crypto.ReEncryptAsync(ServiceFixture.Region, source, Context, null, key.KeyId.ToString(), Context, ct);
                    Assert.Equal(4u, moved.Version);
                    var opened = await f.Kms.Crypto.DecryptAsync(ServiceFixture.Region, moved.CiphertextBlob!, Context, null, ct);
                    Assert.Equal("gen0", Encoding.UTF8.GetString(opened.Plaintext!));
                    Interlocked.Increment(ref roundTrips);
                }
                catch (DomainException e) when (e.Kind == ErrorKind.InvalidCiphertext)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        await stop.CancelAsync();
        await invalidator;

        Assert.True(invalidations > 0);
        Assert.Equal(0, failures);
        Assert.Equal(3 * 1000, roundTrips);
    }

    [Fact]
    public async Task Decrypt_OnANodeThatCachedTheKeyBeforeAnotherNodeRotatedIt_OpensTheNewCiphertext()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var ct = CancellationToken.None;
        var canonical = EncryptionContext.Canonical(Context);
        var key = await f.Kms.Keys.CreateKeyAsync(ServiceFixture.Region, new CreateKeyRequest(null, "k", null, null, null, null, null, null, false, null, false), ct);
        var old = (await f.Kms.Crypto.EncryptAsync(ServiceFixture.Region, key.KeyId.ToString(), Encoding.UTF8.GetBytes("old"), Context, ct)).CiphertextBlob!;

        // A second node on the same store: it decrypts (and so caches the key record at version 1) ...
        using var otherNode = new KeyRing(f.Store, new RootWrap(f.Root), new ServerIdentity("111122223333", ServiceFixture.Region), f.Time);
        Assert.Equal(1u, (await otherNode.DecryptAsync(f.Store, old, canonical, ct)).Version);

        // ... then the first node rotates and encrypts under version 2; the change feed has not told the second node yet.
        await f.Kms.Rotations.RotateKeyOnDemandAsync(ServiceFixture.Region, key.KeyId.ToString(), ct);
        var fresh = (await f.Kms.Crypto.EncryptAsync(ServiceFixture.Region, key.KeyId.ToString(), Encoding.UTF8.GetBytes("new"), Context, ct)).CiphertextBlob!;

        var opened = await otherNode.DecryptAsync(f.Store, fresh, canonical, ct);
        Assert.Equal((2u, "new"), (opened.Version, Encoding.UTF8.GetString(opened.Plaintext)));
        Assert.Equal("old", Encoding.UTF8.GetString((await otherNode.DecryptAsync(f.Store, old, canonical, ct)).Plaintext));

        // A version the store has never had is still refused, after the store was asked.
        var forged = (byte[])fresh.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(20, 4), 3);
        var refused = await Assert.ThrowsAsync<KmsUnavailableException>(() => otherNode.DecryptAsync(f.Store, forged, canonical, ct));
        Assert.Equal(KmsFailure.InvalidCiphertext, refused.Failure);
    }
}
