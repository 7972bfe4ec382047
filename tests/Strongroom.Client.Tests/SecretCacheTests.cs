using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>SecretCache against a real server: the cache's clock is fake (TTL moves without sleeping), the calls are real.</summary>
[Collection(ServerCollection.Name)]
public sealed class SecretCacheTests : IDisposable
{
    private readonly StrongroomServer _server;
    private readonly CountingHandler _counter = new();
    private readonly HttpClient _http;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    public SecretCacheTests(StrongroomServer server)
    {
        _server = server;
        _http = new HttpClient(_counter);
    }

    public void Dispose() => _http.Dispose();

    private SecretsManagerClient Client => new(_server.Client(_http));

    private SecretCache Cache(SecretCacheOptions? options = null) => new(Client, options ?? new SecretCacheOptions { WatchChanges = false }, _clock);

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> CreateAsync(string value)
    {
        var name = Unique("cache/secret");
        using var admin = new HttpClient();
        await _server.Client(admin).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = value, ClientRequestToken = Guid.NewGuid().ToString() });
        return name;
    }

    private async Task PutAsync(string name, string value)
    {
        using var admin = new HttpClient();
        await new SecretsManagerClient(_server.Client(admin)).PutSecretValueAsync(name, Guid.NewGuid().ToString(), value);
    }

    [Fact]
    public async Task Get_WithinTtl_OneFetch()
    {
        var name = await CreateAsync("v1");
        await using var cache = Cache();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        }

        Assert.Equal(1, _counter["GetSecretValue"]);
        Assert.Equal(0, _counter["DescribeSecret"]);
    }

    [Fact]
    public async Task TryGetFresh_OnlyAHeldValueWithinItsTtl_NeverFetches()
    {
        var name = await CreateAsync("v1");
        await using var cache = Cache();
        Assert.False(cache.TryGetFresh(name, null, null, out _));
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        Assert.True(cache.TryGetFresh(name, null, null, out var held));
        Assert.Equal("v1", held.SecretString);
        Assert.True(cache.TryGetFresh(name, null, "AWSCURRENT", out _));
        Assert.False(cache.TryGetFresh(name, null, "AWSPREVIOUS", out _));
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGetFresh(name, null, null, out _));
        Assert.Equal(1, _counter["GetSecretValue"]);
        Assert.Equal(0, _counter["DescribeSecret"]);
    }

    [Fact]
    public async Task Get_TtlExpired_UnchangedVersionOnlyDescribes()
    {
        var name = await CreateAsync("v1");
        await using var cache = Cache();
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        Assert.Equal(1, _counter["DescribeSecret"]);
        Assert.Equal(1, _counter["GetSecretValue"]);
    }

    [Fact]
    public async Task Get_NewVersion_ServedAfterTtlNotBefore()
    {
        var name = await CreateAsync("v1");
        await using var cache = Cache();
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        await PutAsync(name, "v2");
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("v2", await cache.GetSecretStringAsync(name));
        Assert.Equal(1, _counter["DescribeSecret"]);
        Assert.Equal(2, _counter["GetSecretValue"]);
    }

    [Fact]
    public async Task RefreshNow_WithinTtl_FetchesTheNewValue()
    {
        var name = await CreateAsync("v1");
        await using var cache = Cache();
        Assert.Equal("v1", await cache.GetSecretStringAsync(name));
        await PutAsync(name, "v2");
        Assert.Equal("v2", (await cache.RefreshNowAsync(name)).SecretString);
        Assert.Equal("v2", await cache.GetSecretStringAsync(name));
        Assert.Equal(2, _counter["GetSecretValue"]);
    }

    [Fact]
    public async Task Get_HundredConcurrentMisses_OneFetch()
    {
        var name = await CreateAsync("stampede");
        await using var cache = Cache();
        var reads = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => cache.GetSecretStringAsync(name))));
        Assert.All(reads, r => Assert.Equal("stampede", r));
        Assert.Equal(1, _counter["GetSecretValue"]);
    }

    [Fact]
    public async Task Get_AtTheBound_LeastRecentlyUsedEvicted()
    {
        var names = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            names.Add(await CreateAsync("v" + i));
        }

        await using var cache = Cache(new SecretCacheOptions { WatchChanges = false, MaxEntries = 3 });
        foreach (var name in names.Take(3))
        {
            await cache.GetSecretStringAsync(name);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        await cache.GetSecretStringAsync(names[0]); // names[1] is now the least recently used
        _clock.Advance(TimeSpan.FromSeconds(1));
        await cache.GetSecretStringAsync(names[3]);
        Assert.Equal(3, cache.Count);
        Assert.Equal(4, _counter["GetSecretValue"]);
        await cache.GetSecretStringAsync(names[0]);
        await cache.GetSecretStringAsync(names[2]);
        Assert.Equal(4, _counter["GetSecretValue"]);
        await cache.GetSecretStringAsync(names[1]);
        Assert.Equal(5, _counter["GetSecretValue"]);
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public async Task GetBinary_BinarySecret_BytesBack()
    {
        var name = Unique("cache/binary");
        byte[] bytes = [0, 1, 2, 250, 255];
        using var admin = new HttpClient();
        await _server.Client(admin).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretBinary = Convert.ToBase64String(bytes), ClientRequestToken = Guid.NewGuid().ToString() });
        await using var cache = Cache();
        Assert.Equal(bytes, await cache.GetSecretBinaryAsync(name));
        Assert.Null(await cache.GetSecretStringAsync(name));
    }

    [Fact]
    public async Task Get_ByVersionIdAndStage_EachItsOwnEntry()
    {
        var name = await CreateAsync("v1");
        await using var cache = Cache();
        var v1 = (await cache.GetSecretValueAsync(name)).VersionId;
        await PutAsync(name, "v2");
        Assert.Equal("v1", (await cache.GetSecretValueAsync(name, versionId: v1)).SecretString);
        Assert.Equal("v1", (await cache.GetSecretValueAsync(name, versionStage: "AWSPREVIOUS")).SecretString);
        Assert.Equal("v2", (await cache.RefreshNowAsync(name)).SecretString);
    }

    [Fact]
    public async Task Get_MissingSecret_ServiceErrorPassesThrough()
    {
        await using var cache = Cache();
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => cache.GetSecretStringAsync(Unique("cache/missing")));
        Assert.Equal("ResourceNotFoundException", e.Code);
    }
}
