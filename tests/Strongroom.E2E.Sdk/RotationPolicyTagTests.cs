using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations (kms-api.md §2.4, §3.9).</summary>
public sealed class RotationTests : KmsTestBase
{
    [Fact]
    public async Task GetKeyRotationStatus_NewKey_Disabled()
    {
        var meta = await CreateKeyAsync();
        var status = await Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = meta.KeyId });
        Assert.False(status.KeyRotationEnabled);
        var rotations = await Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = meta.KeyId });
        Assert.Empty(rotations.Rotations ?? []);
    }

    [Fact]
    public async Task EnableKeyRotation_DefaultPeriod_365DaysThenDisable()
    {
        var meta = await CreateKeyAsync();
        var now = DateTime.UtcNow;
        await Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = meta.KeyId });
        var status = await Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = meta.Arn });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(meta.Arn, status.KeyId);
        Assert.Equal(365, status.RotationPeriodInDays);
        AssertClose(now.AddDays(365), status.NextRotationDate, DateSlack, "NextRotationDate");
        await Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = meta.Arn });
        Assert.False((await Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = meta.KeyId })).KeyRotationEnabled);
    }

    [Theory]
    [InlineData(90, true)]
    [InlineData(2560, true)]
    [InlineData(89, false)]
    [InlineData(2561, false)]
    public async Task EnableKeyRotation_Period_90To2560(int days, bool ok)
    {
        var meta = await CreateKeyAsync();
        var request = new EnableKeyRotationRequest { KeyId = meta.KeyId, RotationPeriodInDays = days };
        if (!ok)
        {
            await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException", () => Kms.EnableKeyRotationAsync(request));
            return;
        }

        var now = DateTime.UtcNow;
        await Kms.EnableKeyRotationAsync(request);
        var status = await Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = meta.KeyId });
        Assert.Equal(days, status.RotationPeriodInDays);
        AssertClose(now.AddDays(days), status.NextRotationDate, DateSlack, "NextRotationDate");
    }

    [Fact]
    public async Task RotateKeyOnDemand_Repeatedly_OldAndNewCiphertextsDecrypt()
    {
        var meta = await CreateKeyAsync();
        var blobs = new List<byte[]>();
        for (byte i = 0; i < 3; i++)
        {
            blobs.Add(await EncryptAsync(meta.KeyId, [i]));
            var rotated = await Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = meta.KeyId });
            Assert.Contains(rotated.KeyId, new[] { meta.KeyId, meta.Arn });
        }

        blobs.Add(await EncryptAsync(meta.KeyId, [3]));
        for (byte i = 0; i < blobs.Count; i++)
        {
            Assert.Equal(new[] { i }, (await DecryptAsync(blobs[i])).Plaintext.ToArray());
        }

        var listed = await Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = meta.Arn });
        Assert.False(listed.Truncated);
        Assert.Equal(3, listed.Rotations.Count);
        foreach (var entry in listed.Rotations)
        {
            Assert.Equal(RotationType.ON_DEMAND, entry.RotationType);
            AssertRecent(entry.RotationDate, "RotationDate");
        }

        var page = await Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = meta.KeyId, Limit = 2 });
        Assert.Equal(2, page.Rotations.Count);
        Assert.True(page.Truncated);
        var rest = await Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = meta.KeyId, Limit = 2, Marker = page.NextMarker });
        Assert.Single(rest.Rotations);
    }

    [Fact]
    public async Task Rotation_UnknownOrDisabledKey_NotFoundOrDisabled()
    {
        var missing = Guid.NewGuid().ToString();
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = missing }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = missing }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = missing }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = missing }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = missing }));
        var meta = await CreateKeyAsync();
        await Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = meta.KeyId });
        await AssertAwsErrorAsync<DisabledException>("DisabledException",
            () => Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = meta.KeyId }));
        await AssertAwsErrorAsync<DisabledException>("DisabledException",
            () => Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = meta.KeyId }));
    }
}

/// <summary>GetKeyPolicy, PutKeyPolicy, ListKeyPolicies (kms-api.md §2.5, §3.6).</summary>
public sealed class KeyPolicyTests : KmsTestBase
{
    private static string Policy(string account, string sid) => JsonSerializer.Serialize(new
    {
        Version = "2012-10-17",
        Id = "e2e-policy",
        Statement = new object[]
        {
            new { Sid = sid, Effect = "Allow", Principal = new { AWS = $"arn:aws:iam::{account}:root" }, Action = "kms:*", Resource = "*" },
        },
    });

    [Fact]
    public async Task GetKeyPolicy_Default_AllowsAccountRootEverything()
    {
        var meta = await CreateKeyAsync();
        var policy = await Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = meta.KeyId, PolicyName = "default" });
        using var doc = JsonDocument.Parse(policy.Policy);
        var statement = doc.RootElement.GetProperty("Statement").EnumerateArray()
            .Single(s => s.TryGetProperty("Sid", out var sid) && sid.GetString() == "Enable IAM User Permissions");
        Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
        Assert.Equal($"arn:aws:iam::{meta.AWSAccountId}:root", statement.GetProperty("Principal").GetProperty("AWS").GetString());
        var action = statement.GetProperty("Action");
        Assert.Equal("kms:*", action.ValueKind == JsonValueKind.Array ? action[0].GetString() : action.GetString());
        var names = await Kms.ListKeyPoliciesAsync(new ListKeyPoliciesRequest { KeyId = meta.Arn });
        Assert.Equal(["default"], names.PolicyNames);
        Assert.False(names.Truncated);
    }

    [Fact]
    public async Task PutKeyPolicy_ReplacesIt()
    {
        var meta = await CreateKeyAsync();
        var text = Policy(meta.AWSAccountId, "Root");
        await Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = meta.KeyId, PolicyName = "default", Policy = text });
        var got = (await Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = meta.Arn, PolicyName = "default" })).Policy;
        using var expected = JsonDocument.Parse(text);
        using var actual = JsonDocument.Parse(got);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), got);
    }

    [Fact]
    public async Task PutKeyPolicy_MalformedJson_MalformedPolicyDocument()
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<MalformedPolicyDocumentException>("MalformedPolicyDocumentException",
            () => Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = meta.KeyId, PolicyName = "default", Policy = "{not json" }));
    }

    [Fact]
    public async Task GetKeyPolicy_OtherNameOrUnknownKey_NotFound()
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = meta.KeyId, PolicyName = "other" }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = Guid.NewGuid().ToString(), PolicyName = "default" }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.ListKeyPoliciesAsync(new ListKeyPoliciesRequest { KeyId = Guid.NewGuid().ToString() }));
    }
}

/// <summary>TagResource, UntagResource, ListResourceTags (kms-api.md §2.6).</summary>
public sealed class KmsTagTests : KmsTestBase
{
    private async Task<List<string>> TagsAsync(string keyId) =>
        ((await Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyId })).Tags ?? [])
        .Select(t => $"{t.TagKey}={t.TagValue}").Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task TagResource_OverwriteAndUntag()
    {
        var meta = await CreateKeyAsync();
        await Kms.TagResourceAsync(new TagResourceRequest
        {
            KeyId = meta.KeyId,
            Tags = [new Tag { TagKey = "a", TagValue = "1" }, new Tag { TagKey = "b", TagValue = "" }],
        });
        await Kms.TagResourceAsync(new TagResourceRequest { KeyId = meta.Arn, Tags = [new Tag { TagKey = "a", TagValue = "2" }] });
        Assert.Equal(["a=2", "b="], await TagsAsync(meta.KeyId));
        await Kms.UntagResourceAsync(new UntagResourceRequest { KeyId = meta.KeyId, TagKeys = ["a", "absent"] });
        Assert.Equal(["b="], await TagsAsync(meta.Arn));
    }

    [Fact]
    public async Task TagResource_AwsPrefixOrUnknownKey_Fails()
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<TagException>("TagException",
            () => Kms.TagResourceAsync(new TagResourceRequest { KeyId = meta.KeyId, Tags = [new Tag { TagKey = "aws:x", TagValue = "y" }] }));
        Assert.Empty(await TagsAsync(meta.KeyId));
        var missing = Guid.NewGuid().ToString();
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.TagResourceAsync(new TagResourceRequest { KeyId = missing, Tags = [new Tag { TagKey = "a", TagValue = "b" }] }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.UntagResourceAsync(new UntagResourceRequest { KeyId = missing, TagKeys = ["a"] }));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException",
            () => Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = missing }));
    }
}
