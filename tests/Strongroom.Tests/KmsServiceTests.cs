using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Key material rotation and deletion on schedule, driven by a fake clock.</summary>
public sealed class KmsServiceTests
{
    private static readonly Dictionary<string, string> Context = new() { ["purpose"] = "test" };

    private static CreateKeyRequest NewKey() => new(null, "k", null, null, null, null, null, null, false, null, false);

    [Fact]
    public async Task AutomaticRotation_OnItsPeriod_AddsMaterialAndEveryVersionStillDecrypts()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var key = await f.Kms.Keys.CreateKeyAsync(ServiceFixture.Region, NewKey(), CancellationToken.None);
        await f.Kms.Rotations.SetKeyRotationAsync(ServiceFixture.Region, key.Arn, true, 90, CancellationToken.None);
        var blobs = new List<(byte[] Blob, string Plaintext)>();
        for (var generation = 0; generation < 4; generation++)
        {
            var plaintext = "generation-" + generation;
            var encrypted = await f.Kms.Crypto.EncryptAsync(ServiceFixture.Region, key.KeyId.ToString(), Encoding.UTF8.GetBytes(plaintext), Context, CancellationToken.None);
            Assert.Equal((uint)(generation + 1), encrypted.Version);
            blobs.Add((encrypted.CiphertextBlob!, plaintext));

            f.Time.Advance(TimeSpan.FromDays(89));
            Assert.Empty((await f.Kms.Keys.RunMaintenanceAsync(CancellationToken.None)).Rotated);
            f.Time.Advance(TimeSpan.FromDays(1));
            Assert.Single((await f.Kms.Keys.RunMaintenanceAsync(CancellationToken.None)).Rotated);
        }

        foreach (var (blob, plaintext) in blobs)
        {
            var decrypted = await f.Kms.Crypto.DecryptAsync(ServiceFixture.Region, blob, Context, null, CancellationToken.None);
            Assert.Equal(plaintext, Encoding.UTF8.GetString(decrypted.Plaintext!));
        }

        var status = await f.Kms.Rotations.GetKeyRotationStatusAsync(ServiceFixture.Region, key.KeyId.ToString(), CancellationToken.None);
        Assert.Equal(5u, status.CurrentVersion);
        Assert.Equal(f.Time.GetUtcNow().AddDays(90).ToUnixTimeMilliseconds(), status.NextRotationDate!.Value.ToUnixTimeMilliseconds());
        var rotations = await f.Kms.Rotations.ListKeyRotationsAsync(ServiceFixture.Region, key.KeyId.ToString(), false, null, null, CancellationToken.None);
        Assert.Equal(4, rotations.Items.Count);
        Assert.All(rotations.Items, r => Assert.Equal("AUTOMATIC", r.RotationType));
    }

    [Fact]
    public async Task ScheduledDeletion_WhenDue_DeletesKeyAndItsSecretsBecomeUnreadable()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var key = await f.Kms.Keys.CreateKeyAsync(ServiceFixture.Region, NewKey(), CancellationToken.None);
        await f.Kms.Aliases.CreateAliasAsync(ServiceFixture.Region, "alias/doomed", key.KeyId.ToString(), CancellationToken.None);
        await f.Service.Writes.CreateSecretAsync(ServiceFixture.Region, new CreateSecretRequest("under-cmk", ServiceFixture.Token(), null, "alias/doomed", null, "v", null, null, false, null), CancellationToken.None);
        await f.Kms.Keys.ScheduleKeyDeletionAsync(ServiceFixture.Region, key.KeyId.ToString(), 7, CancellationToken.None);
        Assert.Equal(ErrorKind.DecryptionFailure, (await Assert.ThrowsAsync<DomainException>(() => f.ReadAsync("under-cmk"))).Kind);

        f.Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.Empty((await f.Kms.Keys.RunMaintenanceAsync(CancellationToken.None)).Deleted);
        await f.Kms.Keys.CancelKeyDeletionAsync(ServiceFixture.Region, key.KeyId.ToString(), CancellationToken.None);
        await f.Kms.Keys.SetEnabledAsync(ServiceFixture.Region, key.KeyId.ToString(), true, CancellationToken.None);
        Assert.Equal("v", await f.ReadAsync("under-cmk"));

        await f.Kms.Keys.ScheduleKeyDeletionAsync(ServiceFixture.Region, key.KeyId.ToString(), 7, CancellationToken.None);
        f.Time.Advance(TimeSpan.FromDays(7));
        Assert.Single((await f.Kms.Keys.RunMaintenanceAsync(CancellationToken.None)).Deleted);
        Assert.Equal(ErrorKind.KmsNotFound, (await Assert.ThrowsAsync<DomainException>(() => f.Kms.Keys.DescribeKeyAsync(ServiceFixture.Region, key.KeyId.ToString(), CancellationToken.None))).Kind);
        Assert.Equal(ErrorKind.KmsNotFound, (await Assert.ThrowsAsync<DomainException>(() => f.Kms.Keys.DescribeKeyAsync(ServiceFixture.Region, "alias/doomed", CancellationToken.None))).Kind);
        Assert.Equal(ErrorKind.DecryptionFailure, (await Assert.ThrowsAsync<DomainException>(() => f.ReadAsync("under-cmk"))).Kind);
    }

    [Fact]
    public async Task ManagedKey_RotatesYearly()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("s", "before");
        f.Time.Advance(TimeSpan.FromDays(365));
        var rotated = (await f.Kms.Keys.RunMaintenanceAsync(CancellationToken.None)).Rotated;
        Assert.Single(rotated);
        Assert.Equal(KmsKeyManager.Aws, rotated[0].Manager);
        await f.PutAsync("s", "after");
        Assert.Equal("after", await f.ReadAsync("s"));
        Assert.Equal("before", await f.ReadAsync("s", stage: "AWSPREVIOUS"));
    }
}
