using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>CreateAlias, UpdateAlias, DeleteAlias, ListAliases (kms-api.md §2.2, §3.7).</summary>
public sealed class AliasTests : KmsTestBase
{
    [Fact]
    public async Task CreateAlias_ListAliasesForKey_ShowsArnAndTargetKeyId()
    {
        var meta = await CreateKeyAsync();
        var a = await CreateAliasAsync(meta.KeyId, "a");
        var b = await CreateAliasAsync(meta.Arn, "b"); // TargetKeyId as a key ARN
        foreach (var keyId in new[] { meta.KeyId, meta.Arn })
        {
            var listed = await Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyId });
            Assert.False(listed.Truncated);
            var entries = listed.Aliases.OrderBy(e => e.AliasName, StringComparer.Ordinal).ToList();
            Assert.Equal([a, b], entries.Select(e => e.AliasName));
            foreach (var entry in entries)
            {
                Assert.Equal(AliasArn(meta, entry.AliasName), entry.AliasArn);
                Assert.Equal(meta.KeyId, entry.TargetKeyId);
                AssertRecent(entry.CreationDate, "alias CreationDate");
            }
        }
    }

    [Fact]
    public async Task CreateAlias_ReservedOrUnprefixed_InvalidAliasName()
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<InvalidAliasNameException>("InvalidAliasNameException",
            () => Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/aws/" + Prefix + "x", TargetKeyId = meta.KeyId }));
        await AssertAwsErrorAsync<InvalidAliasNameException>("InvalidAliasNameException",
            () => Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = ManagedAlias, TargetKeyId = meta.KeyId }));
        // Without the alias/ prefix: AWS answers InvalidAliasNameException or ValidationException.
        try
        {
            await Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = Prefix + "x", TargetKeyId = meta.KeyId });
            Assert.Fail("CreateAlias without the alias/ prefix succeeded");
        }
        catch (Amazon.Runtime.AmazonServiceException ex)
        {
            Assert.Contains(ex.ErrorCode, new[] { "InvalidAliasNameException", "ValidationException" });
        }

        Assert.Empty((await Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = meta.KeyId })).Aliases ?? []);
    }

    [Fact]
    public async Task CreateAlias_Duplicate_AlreadyExists_MissingTarget_NotFound()
    {
        var one = await CreateKeyAsync();
        var two = await CreateKeyAsync();
        var alias = await CreateAliasAsync(one.KeyId);
        await AssertAwsErrorAsync<AlreadyExistsException>("AlreadyExistsException",
            () => Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = two.KeyId }));
        Assert.Equal(one.KeyId, (await DescribeAsync(alias)).KeyId);
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = AliasName("orphan"), TargetKeyId = Guid.NewGuid().ToString() }));
    }

    [Fact]
    public async Task UpdateAlias_PointsItAtAnotherKey()
    {
        var one = await CreateKeyAsync();
        var two = await CreateKeyAsync();
        var alias = await CreateAliasAsync(one.KeyId);
        await Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = two.KeyId });
        Assert.Equal(two.KeyId, (await DescribeAsync(alias)).KeyId);
        Assert.Empty((await Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = one.KeyId })).Aliases ?? []);
        using var plaintext = Blob([1, 2, 3]);
        var encrypted = await Kms.EncryptAsync(new EncryptRequest { KeyId = alias, Plaintext = plaintext });
        Assert.Equal(two.Arn, encrypted.KeyId);
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = AliasName("missing"), TargetKeyId = one.KeyId }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = Guid.NewGuid().ToString() }));
    }

    [Fact]
    public async Task DeleteAlias_RemovesIt_MissingNotFound()
    {
        var meta = await CreateKeyAsync();
        var alias = await CreateAliasAsync(meta.KeyId);
        await Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias });
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException", () => DescribeAsync(alias));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias }));
        Assert.Equal(KeyState.Enabled, (await DescribeAsync(meta.KeyId)).KeyState);
    }

    [Fact]
    public async Task ListAliases_LimitAndMarker_Paginates()
    {
        var meta = await CreateKeyAsync();
        var mine = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add(await CreateAliasAsync(meta.KeyId, "p" + i));
        }

        var seen = new HashSet<string>();
        string? marker = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = meta.KeyId, Limit = 2, Marker = marker });
            Assert.True(page.Aliases.Count <= 2, $"page of {page.Aliases.Count} aliases with Limit 2");
            seen.UnionWith(page.Aliases.Select(a => a.AliasName));
            if (page.Truncated != true)
            {
                break;
            }

            marker = page.NextMarker;
        }

        Assert.Equal(mine.Order(), seen.Order());
    }
}
