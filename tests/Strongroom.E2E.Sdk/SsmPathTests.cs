using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using Xunit;
using Tag = Amazon.SimpleSystemsManagement.Model.Tag;

namespace Strongroom.E2E.Sdk;

/// <summary>GetParametersByPath and DescribeParameters: hierarchy, filters, pagination (ssm-parameter-store-api.md §3.4).</summary>
public sealed class SsmPathTests : SsmTestBase
{
    // One over the model's maximum; not constants, so the SDK's analyzer lets the server judge them.
    private static readonly int ElevenResults = int.Parse("11", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly int FiftyOneResults = int.Parse("51", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<Dictionary<string, string>> TreeAsync()
    {
        var app = Name("app");
        var names = new Dictionary<string, string>
        {
            ["a"] = app + "/a", ["b"] = app + "/b", ["c"] = app + "/sub/c", ["d"] = app + "/sub/deep/d",
        };
        foreach (var (key, name) in names)
        {
            await PutAsync(name, "value-" + key);
        }

        await PutAsync(new PutParameterRequest { Name = app + "/secret", Value = "tree-secret", Type = ParameterType.SecureString });
        names["secret"] = app + "/secret";
        names["app"] = app;
        return names;
    }

    private static IEnumerable<string> Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal);

    [Fact]
    public async Task GetParametersByPath_OneLevelAndRecursive()
    {
        var n = await TreeAsync();
        var oneLevel = await ByPathAsync(new GetParametersByPathRequest { Path = n["app"] });
        Assert.Equal(Sorted([n["a"], n["b"], n["secret"]]), Sorted(oneLevel.Select(p => p.Name)));
        var recursive = await ByPathAsync(new GetParametersByPathRequest { Path = n["app"], Recursive = true });
        Assert.Equal(Sorted([n["a"], n["b"], n["c"], n["d"], n["secret"]]), Sorted(recursive.Select(p => p.Name)));
        var sub = await ByPathAsync(new GetParametersByPathRequest { Path = n["app"] + "/sub" });
        Assert.Equal([n["c"]], sub.Select(p => p.Name));
        Assert.Empty(await ByPathAsync(new GetParametersByPathRequest { Path = n["a"], Recursive = true }));

        var d = recursive.Single(p => p.Name == n["d"]);
        Assert.Equal(("value-d", 1L), (d.Value, d.Version ?? 0));
        AssertParameterArn(d.ARN, n["d"]);
        Assert.DoesNotContain("tree-secret", recursive.Single(p => p.Name == n["secret"]).Value, StringComparison.Ordinal);
        var clear = await ByPathAsync(new GetParametersByPathRequest { Path = n["app"], WithDecryption = true });
        Assert.Equal("tree-secret", clear.Single(p => p.Name == n["secret"]).Value);
    }

    [Fact]
    public async Task GetParametersByPath_TypeAndLabelFilters()
    {
        var n = await TreeAsync();
        await PutAsync(n["a"], "value-a2", overwrite: true);
        await Ssm.LabelParameterVersionAsync(new LabelParameterVersionRequest { Name = n["a"], ParameterVersion = 1, Labels = ["prod"] });
        var secure = await ByPathAsync(new GetParametersByPathRequest
        {
            Path = n["app"], Recursive = true, ParameterFilters = [Filter("Type", "Equals", "SecureString")],
        });
        Assert.Equal([n["secret"]], secure.Select(p => p.Name));
        var labelled = Assert.Single(await ByPathAsync(new GetParametersByPathRequest
        {
            Path = n["app"], Recursive = true, ParameterFilters = [Filter("Label", "Equals", "prod")],
        }));
        Assert.Equal((n["a"], "value-a", 1L), (labelled.Name, labelled.Value, labelled.Version ?? 0));
    }

    [Theory]
    [InlineData("tag:env")]
    [InlineData("Name")]
    [InlineData("Path")]
    [InlineData("Tier")]
    [InlineData("DataType")]
    public async Task GetParametersByPath_FilterKeyNotAllowedHere_InvalidFilterKey(string key)
    {
        await AssertAwsErrorAsync<InvalidFilterKeyException>("InvalidFilterKey", () => Ssm.GetParametersByPathAsync(new GetParametersByPathRequest
        {
            Path = Root, ParameterFilters = [Filter(key, null, "x")],
        }));
    }

    [Fact]
    public async Task GetParametersByPath_MaxResultsAndNextToken()
    {
        await AssertValidationAsync(() => Ssm.GetParametersByPathAsync(new GetParametersByPathRequest { Path = Root, MaxResults = ElevenResults }));
        await AssertAwsErrorAsync<InvalidNextTokenException>("InvalidNextToken",
            () => Ssm.GetParametersByPathAsync(new GetParametersByPathRequest { Path = Root, MaxResults = 10, NextToken = "not-a-token" }));
    }

    [Fact]
    public async Task GetParametersByPath_Paginator_ReadsEveryParameterInAStableOrder()
    {
        var many = Name("many");
        var names = Enumerable.Range(0, 120).Select(i => $"{many}/g{i % 3}/p{i:D3}").ToList();
        Track([.. names]);
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(names.Select(async name =>
            {
                await gate.WaitAsync();
                try
                {
                    await Ssm.PutParameterAsync(new PutParameterRequest { Name = name, Value = "v", Type = ParameterType.String });
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var byTen = (await ByPathAsync(new GetParametersByPathRequest { Path = many, Recursive = true, MaxResults = 10 })).Select(p => p.Name).ToList();
        Assert.Equal(names.Count, byTen.Count);
        Assert.Equal(Sorted(names), Sorted(byTen));
        var byFour = (await ByPathAsync(new GetParametersByPathRequest { Path = many, Recursive = true, MaxResults = 4 })).Select(p => p.Name).ToList();
        Assert.Equal(byTen, byFour);

        var described = await DescribeAsync(Filter("Path", "Recursive", many));
        Assert.Equal(Sorted(names), Sorted(described.Select(p => p.Name)));
    }

    [Fact]
    public async Task DescribeParameters_Filters()
    {
        var n = await TreeAsync();
        await Ssm.AddTagsToResourceAsync(new AddTagsToResourceRequest
        {
            ResourceType = ResourceTypeForTagging.Parameter, ResourceId = n["c"], Tags = [new Tag { Key = "env", Value = "prod" }],
        });
        await PutAsync(new PutParameterRequest { Name = n["app"] + "/adv", Value = "big", Type = ParameterType.String, Tier = ParameterTier.Advanced });
        var under = Filter("Path", "Recursive", n["app"]);

        async Task<IEnumerable<string>> Names(params ParameterStringFilter[] filters) => Sorted((await DescribeAsync(filters)).Select(p => p.Name));

        Assert.Equal(Sorted([n["a"], n["b"], n["c"], n["d"], n["secret"], n["app"] + "/adv"]), await Names(under));
        Assert.Equal(Sorted([n["a"], n["b"], n["secret"], n["app"] + "/adv"]), await Names(Filter("Path", "OneLevel", n["app"])));
        Assert.Equal(Sorted([n["c"], n["d"]]), await Names(Filter("Name", "BeginsWith", n["app"] + "/sub/")));
        Assert.Equal([n["secret"]], await Names(under, Filter("Type", "Equals", "SecureString")));
        Assert.Equal([n["secret"]], await Names(under, Filter("KeyId", "Equals", SsmManagedAlias)));
        Assert.Equal([n["app"] + "/adv"], await Names(under, Filter("Tier", "Equals", "Advanced")));
        Assert.Equal([n["c"]], await Names(under, Filter("tag:env", "Equals", "prod")));
        Assert.Equal(6, (await Names(under, Filter("DataType", "Equals", "text"))).Count());

        var all = await DescribeAsync(under);
        Assert.All(all, p => AssertRecent(p.LastModifiedDate, "LastModifiedDate"));
    }

    [Fact]
    public async Task DescribeParameters_BadFiltersAndPages()
    {
        var n = await TreeAsync();
        var under = Filter("Path", "Recursive", n["app"]);
        await AssertAwsErrorAsync<InvalidFilterKeyException>("InvalidFilterKey", () => Ssm.DescribeParametersAsync(new DescribeParametersRequest
        {
            ParameterFilters = [under, Filter("Label", null, "prod")],
        }));
        await AssertAwsErrorAsync<InvalidFilterOptionException>("InvalidFilterOption", () => Ssm.DescribeParametersAsync(new DescribeParametersRequest
        {
            ParameterFilters = [under, Filter("Type", "Recursive", "String")],
        }));
        await AssertValidationAsync(() => Ssm.DescribeParametersAsync(new DescribeParametersRequest { MaxResults = FiftyOneResults }));

        var seen = new List<string>();
        string? token = null;
        var calls = 0;
        do
        {
            var page = await Ssm.DescribeParametersAsync(new DescribeParametersRequest { ParameterFilters = [under], MaxResults = 2, NextToken = token });
            Assert.True((page.Parameters?.Count ?? 0) <= 2, $"a page of {page.Parameters?.Count} with MaxResults=2");
            seen.AddRange((page.Parameters ?? []).Select(p => p.Name));
            token = page.NextToken;
            Assert.True(++calls < 100, "pagination does not end");
        }
        while (!string.IsNullOrEmpty(token));
        Assert.Equal(Sorted([n["a"], n["b"], n["c"], n["d"], n["secret"]]), Sorted(seen));
    }
}
