using System.Text.Json;
using Amazon.KeyManagementService.Model;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using Xunit;
using Tag = Amazon.SimpleSystemsManagement.Model.Tag;

namespace Strongroom.E2E.Sdk;

/// <summary>PutParameter, GetParameter(s), SecureString, versions and labels, history, delete, tags (ssm-parameter-store-api.md §2-§3).</summary>
public sealed class SsmParameterTests : SsmTestBase
{
    [Fact]
    public async Task PutParameter_NewThenOverwrite_VersionIncrementsAndExistingNeedsOverwrite()
    {
        var name = Name("app/db/url");
        var created = await PutAsync(new PutParameterRequest { Name = name, Value = "one", Type = ParameterType.String, Description = "the db" });
        Assert.Equal(1, created.Version);
        Assert.Equal(ParameterTier.Standard, created.Tier);
        Assert.Equal(2, (await PutAsync(name, "two", overwrite: true)).Version);
        await AssertAwsErrorAsync<ParameterAlreadyExistsException>("ParameterAlreadyExists", () => PutAsync(name, "three"));

        var p = await GetAsync(name);
        Assert.Equal((name, "two", 2L, "text"), (p.Name, p.Value, p.Version ?? 0, p.DataType));
        Assert.Equal(ParameterType.String, p.Type);
        Assert.Null(p.Selector);
        AssertParameterArn(p.ARN, name);
        AssertRecent(p.LastModifiedDate, "LastModifiedDate");

        var meta = await DescribeOneAsync(name);
        Assert.Equal("the db", meta.Description);
        Assert.Equal(2, meta.Version);
        Assert.Equal(ParameterTier.Standard, meta.Tier);
        Assert.False(string.IsNullOrEmpty(meta.LastModifiedUser), "LastModifiedUser missing");
    }

    [Fact]
    public async Task PutParameter_StringListAndOverwriteWithoutType_KeepsType()
    {
        var name = Name("hosts");
        await PutAsync(name, "a,b,c", ParameterType.StringList);
        await PutAsync(name, "d,e", overwrite: true);
        var p = await GetAsync(name);
        Assert.Equal(ParameterType.StringList, p.Type);
        Assert.Equal("d,e", p.Value);
    }

    [Fact]
    public async Task PutParameter_TagsTogetherWithOverwrite_ValidationException()
    {
        var name = Name("tagged");
        await PutAsync(new PutParameterRequest { Name = name, Value = "v", Type = ParameterType.String, Tags = [new Tag { Key = "env", Value = "dev" }] });
        Assert.Equal(new Dictionary<string, string> { ["env"] = "dev" }, await TagsAsync(name));
        await AssertValidationAsync(() => PutAsync(new PutParameterRequest
        {
            Name = name, Value = "v2", Overwrite = true, Tags = [new Tag { Key = "env", Value = "prod" }],
        }));
        Assert.Equal(1, (await GetAsync(name)).Version);
    }

    [Fact]
    public async Task PutParameter_AllowedPattern_EnforcedOnCreateAndOverwrite()
    {
        var name = Name("port");
        await AssertAwsErrorAsync<ParameterPatternMismatchException>("ParameterPatternMismatchException", () => PutAsync(new PutParameterRequest
        {
            Name = name, Value = "http", Type = ParameterType.String, AllowedPattern = @"^\d+$",
        }));
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound", () => GetAsync(name));
        await PutAsync(new PutParameterRequest { Name = name, Value = "8080", Type = ParameterType.String, AllowedPattern = @"^\d+$" });
        await AssertAwsErrorAsync<ParameterPatternMismatchException>("ParameterPatternMismatchException", () => PutAsync(name, "eighty", overwrite: true));
        await AssertAwsErrorAsync<InvalidAllowedPatternException>("InvalidAllowedPatternException", () => PutAsync(new PutParameterRequest
        {
            Name = Name("bad-regex"), Value = "x", Type = ParameterType.String, AllowedPattern = "([a-z",
        }));
        Assert.Equal("8080", (await GetAsync(name)).Value);
    }

    [Theory]
    [InlineData("Standard", 10, "Standard")]
    [InlineData("Advanced", 10, "Advanced")]
    [InlineData("Intelligent-Tiering", 10, "Standard")]
    [InlineData("Intelligent-Tiering", 5000, "Advanced")]
    [InlineData("Advanced", 8192, "Advanced")]
    public async Task PutParameter_Tier_AppliedTierReported(string tier, int size, string applied)
    {
        var name = Name("tiered");
        var resp = await PutAsync(new PutParameterRequest { Name = name, Value = new string('x', size), Type = ParameterType.String, Tier = tier });
        Assert.Equal(applied, resp.Tier.Value);
        Assert.Equal(applied, (await DescribeOneAsync(name)).Tier.Value);
        Assert.Equal(size, (await GetAsync(name)).Value.Length);
    }

    [Theory]
    [InlineData("Standard", 4097)]
    [InlineData("Advanced", 8193)]
    public async Task PutParameter_ValueOverTierLimit_ValidationException(string tier, int size)
    {
        var name = Name("too-big");
        Track(name);
        await AssertValidationAsync(() => Ssm.PutParameterAsync(new PutParameterRequest
        {
            Name = name, Value = new string('x', size), Type = ParameterType.String, Tier = tier,
        }));
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound", () => GetAsync(name));
    }

    [Fact]
    public async Task PutParameter_Hierarchy_FifteenLevelsOkSixteenRefused()
    {
        var fifteen = Root + string.Concat(Enumerable.Range(2, 13).Select(i => $"/l{i}")) + "/name";
        Assert.Equal(15, fifteen.Count(c => c == '/'));
        Assert.Equal(1, (await PutAsync(fifteen, "deep")).Version);
        var sixteen = Root + string.Concat(Enumerable.Range(2, 14).Select(i => $"/l{i}")) + "/name";
        Track(sixteen);
        await AssertAwsErrorAsync<HierarchyLevelLimitExceededException>("HierarchyLevelLimitExceededException", () => PutAsync(sixteen, "deeper"));
    }

    [Theory]
    [InlineData("awsParam-")]
    [InlineData("AWS-")]
    [InlineData("ssmParam-")]
    [InlineData("/SSM/t-")]
    public async Task PutParameter_ReservedPrefix_ValidationException(string prefix)
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..8];
        Track(name);
        await AssertValidationAsync(() => PutAsync(name, "v"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("hash#x")]
    [InlineData("colon:x")]
    public async Task PutParameter_BadCharacters_ValidationException(string suffix)
    {
        var name = Name(suffix);
        Track(name);
        await AssertValidationAsync(() => PutAsync(name, "v"));
    }

    [Fact]
    public async Task GetParameter_UnknownNameOrVersion_NotFoundErrors()
    {
        var name = Name("known");
        await PutAsync(name, "v1");
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound", () => GetAsync(Name("missing")));
        await AssertAwsErrorAsync<ParameterVersionNotFoundException>("ParameterVersionNotFound", () => GetAsync(name + ":2"));
        await AssertAwsErrorAsync<ParameterVersionNotFoundException>("ParameterVersionNotFound", () => GetAsync(name + ":nolabel"));
    }

    [Fact]
    public async Task GetParameter_VersionAndLabelSelectors_ThatVersionWithSelector()
    {
        var name = Name("selected");
        await PutAsync(name, "v1");
        await PutAsync(name, "v2", overwrite: true);
        await PutAsync(name, "v3", overwrite: true);
        var label = await Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = name, ParameterVersion = 2, Labels = ["beta"] });
        Assert.Equal(2, label.ParameterVersion);

        var byVersion = await GetAsync(name + ":1");
        Assert.Equal((name, ":1", "v1", 1L), (byVersion.Name, byVersion.Selector, byVersion.Value, byVersion.Version ?? 0));
        var byLabel = await GetAsync(name + ":beta");
        Assert.Equal((name, ":beta", "v2", 2L), (byLabel.Name, byLabel.Selector, byLabel.Value, byLabel.Version ?? 0));
        var byArn = await GetAsync(byLabel.ARN);
        Assert.Equal(("v3", 3L), (byArn.Value, byArn.Version ?? 0));
    }

    [Fact]
    public async Task GetParameters_ValidAndMissing_AlphabeticalAndInvalidParameters()
    {
        var (a, b, c, missing) = (Name("a"), Name("b"), Name("c"), Name("missing"));
        await PutAsync(c, "C");
        await PutAsync(a, "A");
        await PutAsync(b, "B", ParameterType.StringList);
        var resp = await Ssm.GetParametersAsync(new GetParametersRequest { Names = [c, missing, a, b] });
        Assert.Equal([a, b, c], resp.Parameters.Select(p => p.Name));
        Assert.Equal(["A", "B", "C"], resp.Parameters.Select(p => p.Value));
        Assert.Equal([missing], resp.InvalidParameters);
    }

    [Fact]
    public async Task GetParameter_SecureStringDefaultKey_CiphertextUnlessWithDecryption()
    {
        var name = Name("password");
        await PutAsync(name, "sdk-secret-value", ParameterType.SecureString);
        var clear = await GetAsync(name, true);
        Assert.Equal(("sdk-secret-value", ParameterType.SecureString), (clear.Value, clear.Type));
        foreach (var decrypt in new bool?[] { false, null })
        {
            var hidden = await GetAsync(name, decrypt);
            Assert.Equal(ParameterType.SecureString, hidden.Type);
            Assert.DoesNotContain("sdk-secret-value", hidden.Value, StringComparison.Ordinal);
            var blob = Convert.FromBase64String(hidden.Value);
            Assert.NotEmpty(blob);
        }

        Assert.Equal(SsmManagedAlias, (await DescribeOneAsync(name)).KeyId);
    }

    [Fact]
    public async Task SecureString_CustomerKeyDisabled_InvalidKeyIdUntilEnabled()
    {
        var key = await CreateKeyAsync();
        var name = Name("guarded");
        await PutAsync(new PutParameterRequest { Name = name, Value = "guarded-secret", Type = ParameterType.SecureString, KeyId = key.KeyId });
        Assert.Equal("guarded-secret", (await GetAsync(name, true)).Value);
        var ciphertext = (await GetAsync(name, false)).Value;

        await Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        await AssertAwsErrorAsync<InvalidKeyIdException>("InvalidKeyId", () => GetAsync(name, true));
        Assert.Equal(ciphertext, (await GetAsync(name, false)).Value);
        await AssertAwsErrorAsync<InvalidKeyIdException>("InvalidKeyId", () => PutAsync(name, "new-secret", overwrite: true));

        await Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
        Assert.Equal("guarded-secret", (await GetAsync(name, true)).Value);
        Assert.Equal(2, (await PutAsync(name, "new-secret", overwrite: true)).Version);
    }

    [Fact]
    public async Task PutParameter_UnknownKey_InvalidKeyId()
    {
        var name = Name("unknown-key");
        Track(name);
        await AssertAwsErrorAsync<InvalidKeyIdException>("InvalidKeyId", () => PutAsync(new PutParameterRequest
        {
            Name = name, Value = "s", Type = ParameterType.SecureString, KeyId = Guid.NewGuid().ToString(),
        }));
    }

    [Fact]
    public async Task LabelParameterVersion_MovesLabelsReportsInvalidOnesAndLimitsToTen()
    {
        var name = Name("labelled");
        await PutAsync(name, "v1");
        await PutAsync(name, "v2", overwrite: true);
        var first = await Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest
        {
            Name = name, ParameterVersion = 1, Labels = ["prod", "1digit", "awsLabel", "SSMlabel"],
        });
        Assert.Equal(1, first.ParameterVersion);
        Assert.Equal(["1digit", "SSMlabel", "awsLabel"], (first.InvalidLabels ?? []).Order(StringComparer.Ordinal));

        var moved = await Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = name, Labels = ["prod"] });
        Assert.Equal(2, moved.ParameterVersion);
        var history = await HistoryAsync(name);
        Assert.Equal([1L, 2L], history.Select(h => h.Version ?? 0));
        Assert.Empty(history[0].Labels ?? []);
        Assert.Equal(["prod"], history[1].Labels);

        await Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = name, ParameterVersion = 1, Labels = [.. Enumerable.Range(0, 10).Select(i => $"l{i}")] });
        await AssertAwsErrorAsync<ParameterVersionLabelLimitExceededException>("ParameterVersionLabelLimitExceeded",
            () => Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = name, ParameterVersion = 1, Labels = ["eleventh"] }));
        await AssertAwsErrorAsync<ParameterVersionNotFoundException>("ParameterVersionNotFound",
            () => Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = name, ParameterVersion = 3, Labels = ["x"] }));
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound",
            () => Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = Name("missing"), Labels = ["x"] }));
    }

    [Fact]
    public async Task UnlabelParameterVersion_RemovedAndInvalidLabels()
    {
        var name = Name("unlabelled");
        await PutAsync(name, "v1");
        await Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = name, ParameterVersion = 1, Labels = ["a", "b"] });
        var resp = await Ssm.UnlabelParameterVersionAsync(new UnlabelParameterVersionRequest { Name = name, ParameterVersion = 1, Labels = ["a", "c"] });
        Assert.Equal(["a"], resp.RemovedLabels);
        Assert.Equal(["c"], resp.InvalidLabels);
        Assert.Equal(["b"], (await HistoryAsync(name))[0].Labels);
        await AssertAwsErrorAsync<ParameterVersionNotFoundException>("ParameterVersionNotFound", () => GetAsync(name + ":a"));
        await AssertAwsErrorAsync<ParameterVersionNotFoundException>("ParameterVersionNotFound",
            () => Ssm.UnlabelParameterVersionAsync(new UnlabelParameterVersionRequest { Name = name, ParameterVersion = 5, Labels = ["b"] }));
    }

    [Fact]
    public async Task GetParameterHistory_EveryVersionOldestFirst_DecryptedOnlyWithDecryption()
    {
        var name = Name("history");
        await PutAsync(new PutParameterRequest { Name = name, Value = "old-sdk-secret", Type = ParameterType.SecureString, Description = "first" });
        await PutAsync(name, "mid-sdk-secret", overwrite: true);
        await PutAsync(name, "new-sdk-secret", overwrite: true);
        var clear = await HistoryAsync(name, decrypt: true, pageSize: 1);
        Assert.Equal([1L, 2L, 3L], clear.Select(h => h.Version ?? 0));
        Assert.Equal(["old-sdk-secret", "mid-sdk-secret", "new-sdk-secret"], clear.Select(h => h.Value));
        Assert.Equal("first", clear[0].Description);
        Assert.All(clear, h =>
        {
            Assert.Equal(name, h.Name);
            Assert.Equal(ParameterType.SecureString, h.Type);
            Assert.Equal(SsmManagedAlias, h.KeyId);
            AssertRecent(h.LastModifiedDate, "LastModifiedDate");
        });
        Assert.All(await HistoryAsync(name), h => Assert.DoesNotContain("sdk-secret", h.Value, StringComparison.Ordinal));
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound",
            () => Ssm.GetParameterHistoryAsync(new GetParameterHistoryRequest { Name = Name("missing") }));
    }

    [Fact]
    public async Task DeleteParameter_ThenMissing_ParameterNotFound()
    {
        var name = Name("gone");
        await PutAsync(name, "v1");
        await Ssm.DeleteParameterAsync(new DeleteParameterRequest { Name = name });
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound", () => GetAsync(name));
        await AssertAwsErrorAsync<ParameterNotFoundException>("ParameterNotFound",
            () => Ssm.DeleteParameterAsync(new DeleteParameterRequest { Name = name }));
        Assert.Equal(1, (await PutAsync(name, "again")).Version);
    }

    [Fact]
    public async Task DeleteParameters_MixedNames_DeletedAndInvalid()
    {
        var (a, b, missing) = (Name("a"), Name("b"), Name("missing"));
        await PutAsync(a, "A");
        await PutAsync(b, "B");
        var resp = await Ssm.DeleteParametersAsync(new DeleteParametersRequest { Names = [a, missing, b] });
        Assert.Equal([a, b], (resp.DeletedParameters ?? []).Order(StringComparer.Ordinal));
        Assert.Equal([missing], resp.InvalidParameters);
        Assert.Empty((await Ssm.GetParametersAsync(new GetParametersRequest { Names = [a, b] })).Parameters ?? []);
    }

    [Fact]
    public async Task Tags_AddListOverwriteRemove_AndUnknownParameter()
    {
        var name = Name("tagged");
        await PutAsync(name, "v");
        await Ssm.AddTagsToResourceAsync(new AddTagsToResourceRequest
        {
            ResourceType = ResourceTypeForTagging.Parameter, ResourceId = name, Tags = [new Tag { Key = "env", Value = "dev" }, new Tag { Key = "team", Value = "core" }],
        });
        await Ssm.AddTagsToResourceAsync(new AddTagsToResourceRequest
        {
            ResourceType = ResourceTypeForTagging.Parameter, ResourceId = name, Tags = [new Tag { Key = "env", Value = "prod" }],
        });
        Assert.Equal(new Dictionary<string, string> { ["env"] = "prod", ["team"] = "core" }, await TagsAsync(name));
        await Ssm.RemoveTagsFromResourceAsync(new RemoveTagsFromResourceRequest { ResourceType = ResourceTypeForTagging.Parameter, ResourceId = name, TagKeys = ["env"] });
        Assert.Equal(new Dictionary<string, string> { ["team"] = "core" }, await TagsAsync(name));
        await AssertAwsErrorAsync<InvalidResourceIdException>("InvalidResourceId", () => TagsAsync(Name("missing")));
    }

    [Fact]
    public async Task Tags_MoreThanFifty_TooManyTagsError()
    {
        var name = Name("many-tags");
        await PutAsync(name, "v");
        await Ssm.AddTagsToResourceAsync(new AddTagsToResourceRequest
        {
            ResourceType = ResourceTypeForTagging.Parameter, ResourceId = name, Tags = [.. Enumerable.Range(0, 50).Select(i => new Tag { Key = $"k{i}", Value = "v" })],
        });
        await AssertAwsErrorAsync<TooManyTagsErrorException>("TooManyTagsError", () => Ssm.AddTagsToResourceAsync(new AddTagsToResourceRequest
        {
            ResourceType = ResourceTypeForTagging.Parameter, ResourceId = name, Tags = [new Tag { Key = "one-more", Value = "v" }],
        }));
        Assert.Equal(50, (await TagsAsync(name)).Count);
    }

    [Fact]
    public async Task Policies_ExpirationOnAdvanced_ReportedPending()
    {
        var name = Name("expiring");
        var timestamp = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var policies = $$$"""[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"{{{timestamp}}}"}}]""";
        var resp = await PutAsync(new PutParameterRequest { Name = name, Value = "v", Type = ParameterType.String, Tier = ParameterTier.Advanced, Policies = policies });
        Assert.Equal(ParameterTier.Advanced, resp.Tier);
        var policy = Assert.Single((await DescribeOneAsync(name)).Policies ?? []);
        Assert.Equal("Expiration", policy.PolicyType);
        Assert.Equal("Pending", policy.PolicyStatus);
        using var text = JsonDocument.Parse(policy.PolicyText);
        Assert.Equal(timestamp, text.RootElement.GetProperty("Attributes").GetProperty("Timestamp").GetString());

        var twoExpirations = $"[{policies[1..^1]},{policies[1..^1]}]";
        Track(Name("incompatible"));
        await AssertAwsErrorAsync<IncompatiblePolicyException>("IncompatiblePolicyException", () => Ssm.PutParameterAsync(new PutParameterRequest
        {
            Name = Name("incompatible"), Value = "v", Type = ParameterType.String, Tier = ParameterTier.Advanced, Policies = twoExpirations,
        }));
        Track(Name("bad-type"));
        await AssertAwsErrorAsync<InvalidPolicyTypeException>("InvalidPolicyTypeException", () => Ssm.PutParameterAsync(new PutParameterRequest
        {
            Name = Name("bad-type"), Value = "v", Type = ParameterType.String, Tier = ParameterTier.Advanced,
            Policies = """[{"Type":"Teleport","Version":"1.0","Attributes":{}}]""",
        }));
    }
}
