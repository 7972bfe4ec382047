using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>Strongroom.WatchSecrets against a real server: answers, waits, per-secret authorisation, the audit record, and the cache on it.</summary>
[Collection(ServerCollection.Name)]
public sealed class WatchSecretsTests : IDisposable
{
    private readonly StrongroomServer _server;
    private readonly HttpClient _http = new();

    public WatchSecretsTests(StrongroomServer server)
    {
        _server = server;
    }

    public void Dispose() => _http.Dispose();

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private SecretsManagerClient Admin => new(_server.Client(_http));

    private async Task<(string Name, string VersionId)> CreateAsync(string value)
    {
        var name = Unique("watch/secret");
        var r = await _server.Client(_http).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = value, ClientRequestToken = Guid.NewGuid().ToString() });
        return (name, r.GetProperty("VersionId").GetString()!);
    }

    [Fact]
    public async Task Watch_KnownVersionIsOld_AnswersAtOnceWithTheNewOne()
    {
        var (name, v1) = await CreateAsync("v1");
        var v2 = (await Admin.PutSecretValueAsync(name, Guid.NewGuid().ToString(), "v2")).VersionId;
        var r = await Admin.WatchSecretsAsync(new Dictionary<string, string?> { [name] = v1 }, TimeSpan.FromSeconds(20));
        var change = Assert.Single(r.Changed);
        Assert.Equal(name, change.SecretId);
        Assert.Equal(v2, change.VersionId);
        Assert.Empty(r.Errors);
    }

    [Fact]
    public async Task Watch_NothingChanges_EmptyAfterTheWait()
    {
        var (name, v1) = await CreateAsync("v1");
        var r = await Admin.WatchSecretsAsync(new Dictionary<string, string?> { [name] = v1 }, TimeSpan.FromSeconds(1));
        Assert.Empty(r.Changed);
        Assert.Empty(r.Errors);
    }

    [Fact]
    public async Task Watch_ChangeDuringTheWait_AnswersWithinASecond()
    {
        var (name, v1) = await CreateAsync("v1");
        var watching = Admin.WatchSecretsAsync(new Dictionary<string, string?> { [name] = v1 }, TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        Assert.False(watching.IsCompleted);
        var clock = Stopwatch.StartNew();
        var v2 = (await Admin.PutSecretValueAsync(name, Guid.NewGuid().ToString(), "v2")).VersionId;
        var r = await watching;
        Assert.Equal(v2, Assert.Single(r.Changed).VersionId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task Watch_SecretTheCallerMayNotDescribe_ChangeNeverReportedAndExistenceNotShown()
    {
        var (allowed, allowedVersion) = await CreateAsync("a");
        var (hidden, hiddenVersion) = await CreateAsync("h");
        var missing = Unique("watch/missing");
        var arn = (await Admin.DescribeSecretAsync(allowed)).Arn;
        var policy = JsonSerializer.Serialize(new { Version = "2012-10-17", Statement = new[] { new { Effect = "Allow", Action = "secretsmanager:DescribeSecret", Resource = arn } } });
        var watcher = new SecretsManagerClient(_server.Client(_http, await IamQuery.UserAsync(_http, _server.Endpoint, Unique("watcher"), policy)));

        // The hidden secret has changed already: a watch that could see it would answer at once.
        await Admin.PutSecretValueAsync(hidden, Guid.NewGuid().ToString(), "h2");
        var r = await watcher.WatchSecretsAsync(new Dictionary<string, string?> { [allowed] = allowedVersion, [hidden] = hiddenVersion, [missing] = hiddenVersion }, TimeSpan.FromSeconds(1));
        Assert.Empty(r.Changed);
        var hiddenError = Assert.Single(r.Errors, e => e.SecretId == hidden);
        var missingError = Assert.Single(r.Errors, e => e.SecretId == missing);
        Assert.Equal("AccessDeniedException", hiddenError.ErrorCode);
        Assert.Equal("AccessDeniedException", missingError.ErrorCode);
        Assert.Equal(hiddenError.Message.Replace(hidden, "X", StringComparison.Ordinal), missingError.Message.Replace(missing, "X", StringComparison.Ordinal));

        // By ARN, partial ARN or in another region: the same refusal.
        var hiddenArn = (await Admin.DescribeSecretAsync(hidden)).Arn;
        var byArn = await watcher.WatchSecretsAsync(new Dictionary<string, string?> { [hiddenArn] = hiddenVersion, [hiddenArn[..^7]] = hiddenVersion }, TimeSpan.FromSeconds(1));
        Assert.Empty(byArn.Changed);
        Assert.All(byArn.Errors, e => Assert.Equal("AccessDeniedException", e.ErrorCode));
        Assert.Equal(2, byArn.Errors.Count);

        // Without any policy, nothing at all.
        var nobody = new SecretsManagerClient(_server.Client(_http, await IamQuery.UserAsync(_http, _server.Endpoint, Unique("nobody"))));
        var none = await nobody.WatchSecretsAsync(new Dictionary<string, string?> { [allowed] = null }, TimeSpan.FromSeconds(1));
        Assert.Empty(none.Changed);
        Assert.Equal("AccessDeniedException", Assert.Single(none.Errors).ErrorCode);
    }

    [Theory]
    [InlineData("{}", "ValidationException")]
    [InlineData("{\"Secrets\":[]}", "ValidationException")]
    [InlineData("{\"Secrets\":[{\"SecretId\":\"x\"}],\"WaitTimeSeconds\":21}", "ValidationException")]
    [InlineData("{\"Secrets\":[\"x\"]}", "SerializationException")]
    [InlineData("{\"Secrets\":[{\"SecretId\":\"x\",\"VersionId\":\"short\"}]}", "ValidationException")]
    public async Task Watch_BadInput_AwsError(string body, string code)
    {
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => _server.Client(_http).CallAsync("strongroom", "Strongroom.WatchSecrets", System.Text.Encoding.UTF8.GetBytes(body)));
        Assert.Equal(400, e.HttpStatus);
        Assert.Equal(code, e.Code);
    }

    /// <summary>
    /// WaitTimeSeconds out of its range or of its type: the AWS error with its message, answered at once (never clamped
    /// to a wait, never a 5xx). A value in range but past int is a SerializationException, never a message naming a
    /// clamped value the caller did not send.
    /// </summary>
    [Theory]
    [InlineData("-5", "ValidationException", "1 validation error detected: Value '-5' at 'waitTimeSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0")]
    [InlineData("21", "ValidationException", "1 validation error detected: Value '21' at 'waitTimeSeconds' failed to satisfy constraint: Member must have value less than or equal to 20")]
    [InlineData("2147483648", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("99999999999999999999", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("-99999999999999999999", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("1.5", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("1e1", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("\"x\"", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("\"5\"", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("true", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    [InlineData("[5]", "SerializationException", "Unexpected value type for member 'WaitTimeSeconds': expected integer.")]
    public async Task Watch_WaitTimeSecondsOutOfRangeOrType_AwsErrorAtOnce(string wait, string code, string message)
    {
        var (name, v1) = await CreateAsync("v1");
        var body = $"{{\"Secrets\":[{{\"SecretId\":\"{name}\",\"VersionId\":\"{v1}\"}}],\"WaitTimeSeconds\":{wait}}}";
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => _server.Client(_http).CallAsync("strongroom", "Strongroom.WatchSecrets", System.Text.Encoding.UTF8.GetBytes(body)));
        Assert.Equal((400, code, message), (e.HttpStatus, e.Code, e.Message));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"answered after {clock.Elapsed}: it waited instead of refusing");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Watch_Call_IsAudited(bool cancelledByTheCaller)
    {
        var (name, v1) = await CreateAsync("v1");
        if (cancelledByTheCaller)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Admin.WatchSecretsAsync(new Dictionary<string, string?> { [name] = v1 }, TimeSpan.FromSeconds(20), cancel.Token));
        }
        else
        {
            await Admin.WatchSecretsAsync(new Dictionary<string, string?> { [name] = v1 }, TimeSpan.FromSeconds(1));
        }

        var found = false;
        for (var attempt = 0; attempt < 50 && !found; attempt++)
        {
            var events = await _server.Client(_http).CallAsync("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", new { LookupAttributes = new[] { new { AttributeKey = "EventName", AttributeValue = "WatchSecrets" } } });
            found = events.GetProperty("Events").EnumerateArray().Any(e => e.GetProperty("CloudTrailEvent").GetString()!.Contains(name, StringComparison.Ordinal));
            if (!found)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(found);
    }

    [Fact]
    public async Task Cache_WithTheStream_SeesANewVersionLongBeforeItsTtl()
    {
        var (name, _) = await CreateAsync("v1");
        await using var cache = new SecretCache(Admin, new SecretCacheOptions { Ttl = TimeSpan.FromHours(1) });
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cache.SecretChanged += (_, e) => changed.TrySetResult();
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        await Task.Delay(300); // the watch call is on its way
        var clock = Stopwatch.StartNew();
        await Admin.PutSecretValueAsync(name, Guid.NewGuid().ToString(), "v2");
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("v2", await cache.GetSecretStringAsync(name));
        Assert.True(cache.IsWatching);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), clock.Elapsed.ToString());
    }
}
