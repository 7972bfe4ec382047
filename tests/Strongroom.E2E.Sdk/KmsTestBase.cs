using System.Text.RegularExpressions;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>
/// Base of the end-to-end tests that drive a running Strongroom server through the AWS SDK for .NET
/// (AWSSDK.KeyManagementService). The server URL comes from STRONGROOM_ENDPOINT; without it every test
/// fails (never skips) with a message saying so. Credentials test/test, region us-east-1, no retries.
/// Keys a test creates are scheduled for deletion (7 days) and its aliases deleted when it ends.
/// </summary>
public abstract partial class KmsTestBase : IAsyncLifetime, IDisposable
{
    public const string Region = "us-east-1";
    public const string ManagedAlias = "alias/aws/secretsmanager";

    private readonly List<string> _keys = [];
    private readonly List<string> _aliases = [];

    protected KmsTestBase()
    {
        Kms = CreateClient();
        Prefix = "t-" + Guid.NewGuid().ToString("N")[..8] + "/";
    }

    protected AmazonKeyManagementServiceClient Kms { get; }

    /// <summary>A fresh `t-&lt;uuid8&gt;/` prefix for this test's alias names.</summary>
    protected string Prefix { get; }

    public static string Endpoint()
    {
        var url = Environment.GetEnvironmentVariable("STRONGROOM_ENDPOINT")?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            throw new InvalidOperationException(
                "STRONGROOM_ENDPOINT is not set: export it to the server URL, e.g. STRONGROOM_ENDPOINT=http://127.0.0.1:4566");
        }

        return url.TrimEnd('/');
    }

    public static AmazonKeyManagementServiceClient CreateClient()
    {
        var config = new AmazonKeyManagementServiceConfig
        {
            ServiceURL = Endpoint(),
            AuthenticationRegion = Region,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(60),
        };
        return new AmazonKeyManagementServiceClient(new BasicAWSCredentials("test", "test"), config);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var alias in _aliases)
        {
            try
            {
                await Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias });
            }
            catch (AmazonServiceException)
            {
                // best effort: the test may have deleted it already
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
        Kms.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---------------------------------------------------------------- keys and aliases

    protected async Task<KeyMetadata> CreateKeyAsync(CreateKeyRequest? request = null)
    {
        var meta = (await Kms.CreateKeyAsync(request ?? new CreateKeyRequest())).KeyMetadata;
        _keys.Add(meta.Arn);
        return meta;
    }

    protected string AliasName(string suffix = "key") => "alias/" + Prefix + suffix;

    protected async Task<string> CreateAliasAsync(string targetKeyId, string suffix = "key")
    {
        var name = AliasName(suffix);
        await Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = name, TargetKeyId = targetKeyId });
        _aliases.Add(name);
        return name;
    }

    protected static string AliasArn(KeyMetadata meta, string aliasName) =>
        $"arn:aws:kms:{Region}:{meta.AWSAccountId}:{aliasName}";

    protected async Task<KeyMetadata> DescribeAsync(string keyId) =>
        (await Kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;

    protected async Task<byte[]> EncryptAsync(string keyId, byte[] plaintext, Dictionary<string, string>? context = null)
    {
        using var stream = new MemoryStream(plaintext);
        var request = new EncryptRequest { KeyId = keyId, Plaintext = stream };
        if (context is not null)
        {
            request.EncryptionContext = context;
        }

        return (await Kms.EncryptAsync(request)).CiphertextBlob.ToArray();
    }

    protected async Task<DecryptResponse> DecryptAsync(byte[] blob, Dictionary<string, string>? context = null, string? keyId = null)
    {
        using var stream = new MemoryStream(blob);
        var request = new DecryptRequest { CiphertextBlob = stream, KeyId = keyId };
        if (context is not null)
        {
            request.EncryptionContext = context;
        }

        return await Kms.DecryptAsync(request);
    }

    protected static MemoryStream Blob(byte[] bytes) => new(bytes);

    // ---------------------------------------------------------------- assertions

    /// <summary>
    /// Asserts that the call fails with exception type <typeparamref name="T"/> (or a subclass) and the given
    /// error code, HTTP 400, and if given the exact message. Codes the KMS model doesn't declare
    /// (ValidationException, AccessDeniedException) arrive as AmazonKeyManagementServiceException.
    /// </summary>
    protected static Task<T> AssertAwsErrorAsync<T>(string code, Func<Task> call, string? message = null)
        where T : AmazonServiceException => AwsAssert.ErrorAsync<T>(code, call, message);

    protected static DateTime Utc(DateTime? value)
    {
        Assert.True(value.HasValue, "timestamp missing");
        var v = value.Value;
        return v.Kind switch
        {
            DateTimeKind.Local => v.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(v, DateTimeKind.Utc),
            _ => v,
        };
    }

    protected static void AssertClose(DateTime expected, DateTime? actual, TimeSpan slack, string what)
    {
        var delta = (Utc(actual) - expected).Duration();
        Assert.True(delta <= slack, $"{what} {Utc(actual):O} is not within {slack} of {expected:O}");
    }

    protected static void AssertRecent(DateTime? actual, string what) =>
        AssertClose(DateTime.UtcNow, actual, TimeSpan.FromMinutes(5), what);

    protected static void AssertKeyArn(string? arn, string keyId)
    {
        Assert.NotNull(arn);
        var m = KeyArnRegex().Match(arn);
        Assert.True(m.Success, $"bad key ARN {arn}");
        Assert.Equal(Region, m.Groups["region"].Value);
        Assert.Equal(keyId, m.Groups["id"].Value);
    }

    [GeneratedRegex(@"^arn:aws:kms:(?<region>[a-z]+(?:-[a-z]+)*-\d+):(?<account>\d{12}):key/(?<id>[0-9a-f-]{36})$")]
    protected static partial Regex KeyArnRegex();

    [GeneratedRegex(@"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    protected static partial Regex KeyIdRegex();

    /// <summary>DeletionDate/NextRotationDate are "now + N days"; a server may round to the day.</summary>
    protected static readonly TimeSpan DateSlack = TimeSpan.FromDays(1) + TimeSpan.FromMinutes(10);
}
