using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey/DisableKey, deletion (kms-api.md §2.1, §3.2, §3.3, §3.10).</summary>
public sealed class KeyLifecycleTests : KmsTestBase
{
    private static void AssertSymmetric(KeyMetadata meta, string state = "Enabled", string description = "")
    {
        Assert.Matches(@"^\d{12}$", meta.AWSAccountId);
        Assert.Matches(KeyIdRegex(), meta.KeyId);
        Assert.Equal($"arn:aws:kms:{Region}:{meta.AWSAccountId}:key/{meta.KeyId}", meta.Arn);
        AssertRecent(meta.CreationDate, "CreationDate");
        Assert.Equal(state == "Enabled", meta.Enabled);
        Assert.Equal(state, meta.KeyState?.Value);
        Assert.Equal(description, meta.Description);
        Assert.Equal(KeyUsageType.ENCRYPT_DECRYPT, meta.KeyUsage);
        Assert.Equal(OriginType.AWS_KMS, meta.Origin);
        Assert.Equal(KeyManagerType.CUSTOMER, meta.KeyManager);
        Assert.Equal(KeySpec.SYMMETRIC_DEFAULT, meta.KeySpec);
#pragma warning disable CS0618 // CustomerMasterKeySpec is deprecated, but AWS still sends it (spec §3.2)
        Assert.Equal(CustomerMasterKeySpec.SYMMETRIC_DEFAULT, meta.CustomerMasterKeySpec);
#pragma warning restore CS0618
        Assert.Equal(["SYMMETRIC_DEFAULT"], meta.EncryptionAlgorithms ?? []);
        Assert.False(meta.MultiRegion);
    }

    [Fact]
    public async Task CreateKey_Defaults_SymmetricEncryptDecryptKey()
    {
        var meta = await CreateKeyAsync();
        AssertSymmetric(meta);
        Assert.Null(meta.DeletionDate);
        var described = await DescribeAsync(meta.KeyId);
        AssertSymmetric(described);
        Assert.Equal(meta.Arn, described.Arn);
        Assert.Equal(Utc(meta.CreationDate), Utc(described.CreationDate));
    }

    [Fact]
    public async Task CreateKey_WithDescriptionAndTags_KeepsThem()
    {
        var meta = await CreateKeyAsync(new CreateKeyRequest
        {
            Description = "for e2e",
            KeySpec = KeySpec.SYMMETRIC_DEFAULT,
            KeyUsage = KeyUsageType.ENCRYPT_DECRYPT,
            Tags = [new Tag { TagKey = "team", TagValue = "core" }, new Tag { TagKey = "empty", TagValue = "" }],
        });
        AssertSymmetric(meta, description: "for e2e");
        var tags = (await Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = meta.KeyId })).Tags;
        Assert.Equal(["empty=", "team=core"], tags.Select(t => $"{t.TagKey}={t.TagValue}").Order());
    }

    [Theory]
    [InlineData("RSA_2048", "ENCRYPT_DECRYPT")]
    [InlineData("HMAC_256", "GENERATE_VERIFY_MAC")]
    public async Task CreateKey_NonSymmetricSpec_UnsupportedOperation(string spec, string usage)
    {
        var ex = await AssertAwsErrorAsync<UnsupportedOperationException>("UnsupportedOperationException", async () =>
        {
            var meta = await CreateKeyAsync(new CreateKeyRequest { KeySpec = new KeySpec(spec), KeyUsage = new KeyUsageType(usage) });
            Assert.Fail($"CreateKey {spec} made key {meta.KeyId}");
        });
        Assert.NotEmpty(ex.Message);
    }

    [Fact]
    public async Task DescribeKey_ByIdArnAliasAndAliasArn_FindsTheKey()
    {
        var meta = await CreateKeyAsync();
        var alias = await CreateAliasAsync(meta.KeyId);
        foreach (var id in new[] { meta.KeyId, meta.Arn, alias, AliasArn(meta, alias) })
        {
            var described = await DescribeAsync(id);
            Assert.Equal(meta.KeyId, described.KeyId);
            Assert.Equal(meta.Arn, described.Arn);
        }
    }

    [Fact]
    public async Task DescribeKey_Unknown_NotFound()
    {
        var meta = await CreateKeyAsync();
        var missing = Guid.NewGuid().ToString();
        foreach (var id in new[] { missing, $"arn:aws:kms:{Region}:{meta.AWSAccountId}:key/{missing}", AliasName("missing"), AliasArn(meta, AliasName("missing")) })
        {
            await AssertAwsErrorAsync<NotFoundException>("NotFoundException", () => DescribeAsync(id));
        }
    }

    [Fact]
    public async Task DescribeKey_SecretsManagerAlias_IsAwsManaged()
    {
        var meta = await DescribeAsync(ManagedAlias);
        Assert.Equal(KeyManagerType.AWS, meta.KeyManager);
        AssertKeyArn(meta.Arn, meta.KeyId);
        Assert.Equal(KeyState.Enabled, meta.KeyState);
        Assert.Equal(KeySpec.SYMMETRIC_DEFAULT, meta.KeySpec);
        Assert.Equal(meta.KeyId, (await DescribeAsync(meta.Arn)).KeyId);
        var aliases = (await Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = meta.KeyId })).Aliases;
        Assert.Contains(aliases, a => a.AliasName == ManagedAlias && a.TargetKeyId == meta.KeyId);
    }

    [Fact]
    public async Task ListKeys_LimitAndMarker_PagesThroughAllKeys()
    {
        var created = new List<KeyMetadata>();
        for (var i = 0; i < 3; i++)
        {
            created.Add(await CreateKeyAsync());
        }

        var first = await Kms.ListKeysAsync(new ListKeysRequest { Limit = 1 });
        Assert.Single(first.Keys);
        Assert.True(first.Truncated);
        Assert.False(string.IsNullOrEmpty(first.NextMarker));
        var second = await Kms.ListKeysAsync(new ListKeysRequest { Limit = 2, Marker = first.NextMarker });
        Assert.Equal(2, second.Keys.Count);
        Assert.DoesNotContain(first.Keys[0].KeyId, second.Keys.Select(k => k.KeyId));

        var seen = new Dictionary<string, string>();
        string? marker = null;
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 1000, "ListKeys never ends");
            var page = await Kms.ListKeysAsync(new ListKeysRequest { Limit = 100, Marker = marker });
            foreach (var entry in page.Keys)
            {
                Assert.True(seen.TryAdd(entry.KeyId, entry.KeyArn), $"key {entry.KeyId} listed twice");
            }

            if (page.Truncated != true)
            {
                Assert.Null(page.NextMarker);
                break;
            }

            marker = page.NextMarker;
        }

        foreach (var meta in created)
        {
            Assert.Equal(meta.Arn, seen.GetValueOrDefault(meta.KeyId));
        }
    }

    [Fact]
    public async Task ListKeys_BadLimitOrMarker_Rejected()
    {
#pragma warning disable KeyManagementService1004 // out of range on purpose: the server must say so
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.ListKeysAsync(new ListKeysRequest { Limit = 1001 }));
#pragma warning restore KeyManagementService1004
        await AssertAwsErrorAsync<InvalidMarkerException>("InvalidMarkerException",
            () => Kms.ListKeysAsync(new ListKeysRequest { Marker = "not-a-marker-" + Guid.NewGuid().ToString("N") }));
    }

    [Fact]
    public async Task UpdateKeyDescription_ChangesIt()
    {
        var meta = await CreateKeyAsync(new CreateKeyRequest { Description = "before" });
        await Kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = meta.KeyId, Description = "after" });
        Assert.Equal("after", (await DescribeAsync(meta.Arn)).Description);
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = Guid.NewGuid().ToString(), Description = "x" }));
    }

    [Fact]
    public async Task DisableKey_ThenEnableKey_ChangesState()
    {
        var meta = await CreateKeyAsync();
        await Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = meta.KeyId });
        var disabled = await DescribeAsync(meta.KeyId);
        Assert.Equal(KeyState.Disabled, disabled.KeyState);
        Assert.False(disabled.Enabled);
        await Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = meta.Arn });
        var enabled = await DescribeAsync(meta.KeyId);
        Assert.Equal(KeyState.Enabled, enabled.KeyState);
        Assert.True(enabled.Enabled);
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = Guid.NewGuid().ToString() }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = Guid.NewGuid().ToString() }));
    }

    [Fact]
    public async Task ScheduleKeyDeletion_DefaultWindow_ThirtyDaysPendingDeletion()
    {
        var meta = await CreateKeyAsync();
        var now = DateTime.UtcNow;
        var out1 = await Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = meta.KeyId });
        Assert.Equal(meta.Arn, out1.KeyId);
        Assert.Equal(KeyState.PendingDeletion, out1.KeyState);
        Assert.Equal(30, out1.PendingWindowInDays);
        AssertClose(now.AddDays(30), out1.DeletionDate, DateSlack, "DeletionDate");
        var described = await DescribeAsync(meta.Arn);
        Assert.Equal(KeyState.PendingDeletion, described.KeyState);
        Assert.False(described.Enabled);
        AssertClose(Utc(out1.DeletionDate), described.DeletionDate, TimeSpan.FromSeconds(5), "DescribeKey DeletionDate");
    }

    [Theory]
    [InlineData(6)]
    [InlineData(31)]
    public async Task ScheduleKeyDeletion_WindowOutside7To30_ValidationException(int days)
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = meta.KeyId, PendingWindowInDays = days }));
        Assert.Equal(KeyState.Enabled, (await DescribeAsync(meta.KeyId)).KeyState);
    }

    [Fact]
    public async Task ScheduleKeyDeletion_SevenDays_DeletionDateInAWeek()
    {
        var meta = await CreateKeyAsync();
        var now = DateTime.UtcNow;
        var out1 = await Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = meta.Arn, PendingWindowInDays = 7 });
        Assert.Equal(7, out1.PendingWindowInDays);
        AssertClose(now.AddDays(7), out1.DeletionDate, DateSlack, "DeletionDate");
    }

    [Fact]
    public async Task CancelKeyDeletion_LeavesKeyDisabled()
    {
        var meta = await CreateKeyAsync();
        await Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = meta.KeyId, PendingWindowInDays = 7 });
        var cancelled = await Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = meta.KeyId });
        Assert.Equal(meta.Arn, cancelled.KeyId);
        var described = await DescribeAsync(meta.KeyId);
        Assert.Equal(KeyState.Disabled, described.KeyState);
        Assert.Null(described.DeletionDate);
    }

    [Fact]
    public async Task CancelKeyDeletion_NotPending_KMSInvalidState()
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<KMSInvalidStateException>("KMSInvalidStateException",
            () => Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = meta.KeyId }),
            $"{meta.Arn} is not pending deletion.");
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = Guid.NewGuid().ToString() }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = Guid.NewGuid().ToString() }));
    }
}
