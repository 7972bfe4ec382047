using System.Text.RegularExpressions;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>
/// Base of the end-to-end tests that drive a running Strongroom server's Parameter Store through the AWS SDK
/// for .NET (AWSSDK.SimpleSystemsManagement), as ssm-parameter-store-api.md describes AWS. Same rules as
/// <see cref="KmsTestBase"/>: the server URL comes from STRONGROOM_ENDPOINT (every test fails without it, none
/// skips), credentials test/test, region us-east-1, no retries. Every parameter name lives below a fresh
/// `/t-&lt;uuid8&gt;` hierarchy; parameters a test creates are deleted and its KMS keys scheduled for deletion
/// when it ends.
/// </summary>
public abstract partial class SsmTestBase : IAsyncLifetime, IDisposable
{
    public const string Region = KmsTestBase.Region;
    public const string SsmManagedAlias = "alias/aws/ssm";

    private readonly List<string> _parameters = [];
    private readonly List<string> _keys = [];

    protected SsmTestBase()
    {
        Ssm = CreateClient();
        Kms = KmsTestBase.CreateClient();
        Root = "/t-" + Guid.NewGuid().ToString("N")[..8];
    }

    protected AmazonSimpleSystemsManagementClient Ssm { get; }

    protected AmazonKeyManagementServiceClient Kms { get; }

    /// <summary>This test's hierarchy, `/t-&lt;uuid8&gt;`; every parameter name starts with it.</summary>
    protected string Root { get; }

    public static AmazonSimpleSystemsManagementClient CreateClient()
    {
        var config = new AmazonSimpleSystemsManagementConfig
        {
            ServiceURL = KmsTestBase.Endpoint(),
            AuthenticationRegion = Region,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(60),
        };
        return new AmazonSimpleSystemsManagementClient(new BasicAWSCredentials("test", "test"), config);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var names = _parameters.Distinct().ToList();
        for (var i = 0; i < names.Count; i += 10)
        {
            try
            {
                await Ssm.DeleteParametersAsync(new DeleteParametersRequest { Names = names.Skip(i).Take(10).ToList() });
            }
            catch (AmazonServiceException)
            {
                // best effort: the test may have deleted them already
            }
        }

        foreach (var key in _keys)
        {
            try
            {
                await Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 });
            }
            catch (AmazonServiceException)
            {
                // best effort: the test may have scheduled it already
            }
        }
    }

    public void Dispose()
    {
        Ssm.Dispose();
        Kms.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---------------------------------------------------------------- parameters

    protected string Name(string suffix) => Root + "/" + suffix;

    /// <summary>Deletes these names when the test ends (for parameters created another way, or maybe created).</summary>
    protected void Track(params string[] names) => _parameters.AddRange(names);

    protected async Task<PutParameterResponse> PutAsync(PutParameterRequest request)
    {
        _parameters.Add(request.Name);
        return await Ssm.PutParameterAsync(request);
    }

    protected Task<PutParameterResponse> PutAsync(string name, string value, ParameterType? type = null, bool overwrite = false) =>
        PutAsync(new PutParameterRequest
        {
            Name = name,
            Value = value,
            Type = type ?? (overwrite ? null : ParameterType.String),
            Overwrite = overwrite ? true : null,
        });

    protected async Task<Parameter> GetAsync(string name, bool? decrypt = null) =>
        (await Ssm.GetParameterAsync(new GetParameterRequest { Name = name, WithDecryption = decrypt })).Parameter;

    protected async Task<List<Parameter>> ByPathAsync(GetParametersByPathRequest request)
    {
        var all = new List<Parameter>();
        await foreach (var page in Ssm.Paginators.GetParametersByPath(request).Responses)
        {
            var items = page.Parameters ?? [];
            Assert.True(items.Count <= (request.MaxResults ?? 10), $"a page of {items.Count} parameters");
            all.AddRange(items);
        }

        return all;
    }

    protected async Task<List<ParameterMetadata>> DescribeAsync(params ParameterStringFilter[] filters)
    {
        var all = new List<ParameterMetadata>();
        await foreach (var page in Ssm.Paginators.DescribeParameters(new DescribeParametersRequest { ParameterFilters = [.. filters] }).Responses)
        {
            all.AddRange(page.Parameters ?? []);
        }

        return all;
    }

    protected async Task<ParameterMetadata> DescribeOneAsync(string name)
    {
        var found = await DescribeAsync(Filter("Name", "Equals", name));
        Assert.Equal([name], found.Select(p => p.Name));
        return found[0];
    }

    protected async Task<List<ParameterHistory>> HistoryAsync(string name, bool? decrypt = null, int? pageSize = null)
    {
        var all = new List<ParameterHistory>();
        var request = new GetParameterHistoryRequest { Name = name, WithDecryption = decrypt, MaxResults = pageSize };
        await foreach (var page in Ssm.Paginators.GetParameterHistory(request).Responses)
        {
            all.AddRange(page.Parameters ?? []);
        }

        return all;
    }

    protected async Task<Dictionary<string, string>> TagsAsync(string name)
    {
        var resp = await Ssm.ListTagsForResourceAsync(new ListTagsForResourceRequest { ResourceType = ResourceTypeForTagging.Parameter, ResourceId = name });
        return (resp.TagList ?? []).ToDictionary(t => t.Key, t => t.Value);
    }

    protected static ParameterStringFilter Filter(string key, string? option, params string[] values) =>
        new() { Key = key, Option = option, Values = [.. values] };

    // ---------------------------------------------------------------- keys

    protected async Task<KeyMetadata> CreateKeyAsync()
    {
        var meta = (await Kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        _keys.Add(meta.Arn);
        return meta;
    }

    // ---------------------------------------------------------------- assertions

    /// <summary>
    /// Asserts that the call fails with exception type <typeparamref name="T"/> (or a subclass), one of the given
    /// error codes and HTTP 400. Codes an operation's model doesn't declare (ValidationException for most
    /// Parameter Store operations) arrive as AmazonSimpleSystemsManagementException.
    /// </summary>
    protected static Task<T> AssertAwsErrorAsync<T>(string code, Func<Task> call, string? message = null)
        where T : AmazonServiceException => AwsAssert.ErrorAsync<T>(code, call, message);

    protected static Task<AmazonSimpleSystemsManagementException> AssertValidationAsync(Func<Task> call) =>
        AssertAwsErrorAsync<AmazonSimpleSystemsManagementException>("ValidationException", call);

    protected static void AssertRecent(DateTime? value, string what)
    {
        Assert.True(value.HasValue, $"{what} missing");
        var v = value.Value.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(value.Value, DateTimeKind.Utc) : value.Value.ToUniversalTime();
        Assert.True((DateTime.UtcNow - v).Duration() < TimeSpan.FromMinutes(5), $"{what} {v:O} is not within 5 min of now");
    }

    /// <summary>arn:aws:ssm:us-east-1:&lt;account&gt;:parameter/&lt;name without its leading slash&gt; (spec §3.1).</summary>
    protected static void AssertParameterArn(string? arn, string name)
    {
        Assert.NotNull(arn);
        var m = ParameterArnRegex().Match(arn);
        Assert.True(m.Success, $"bad parameter ARN {arn}");
        Assert.Equal(Region, m.Groups["region"].Value);
        Assert.Equal(name.StartsWith('/') ? name[1..] : name, m.Groups["name"].Value);
    }

    [GeneratedRegex(@"^arn:aws:ssm:(?<region>[a-z]+(?:-[a-z]+)*-\d+):(?<account>\d{12}):parameter/(?<name>[A-Za-z0-9_.\-/]+)$")]
    protected static partial Regex ParameterArnRegex();
}
