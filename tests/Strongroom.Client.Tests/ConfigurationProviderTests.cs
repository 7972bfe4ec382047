using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>AddStrongroomSecrets against a real server: flattening, prefixes, reload seen through IOptionsMonitor, DI.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConfigurationProviderTests : IDisposable
{
    private readonly StrongroomServer _server;
    private readonly HttpClient _http = new();

    public ConfigurationProviderTests(StrongroomServer server)
    {
        _server = server;
    }

    public void Dispose() => _http.Dispose();

    public sealed class DatabaseOptions
    {
        public string Username { get; set; } = string.Empty;

        public string Password { get; set; } = string.Empty;

        public int Port { get; set; }
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task CreateAsync(string name, string value) =>
        await _server.Client(_http).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = value, ClientRequestToken = Guid.NewGuid().ToString() });

    private void Connect(StrongroomClientOptions o)
    {
        o.EndpointUrl = _server.Endpoint.ToString();
        o.Region = "us-east-1";
        o.Credentials = new AwsCredentials("test", "test");
    }

    [Fact]
    public async Task Load_JsonSecretAndPrefix_FlattenedIntoSections()
    {
        var app = Unique("cfgapp");
        await CreateAsync(app + "/db", "{\"Username\":\"app\",\"Password\":\"p1\",\"Port\":5432,\"Hosts\":[\"a\",\"b\"],\"Tls\":{\"Mode\":\"require\"}}");
        await CreateAsync(app + "/features/Search", "on");
        await CreateAsync(app + "/features/Nested/Flag", "{\"Enabled\":true}");
        using var config = (IDisposable)new ConfigurationBuilder().AddStrongroomSecrets(o =>
        {
            Connect(o);
            o.Secret(app + "/db", "Database");
            o.NamePrefix(app + "/features/", "Features");
        }).Build();
        var c = (IConfiguration)config;
        Assert.Equal("app", c["Database:Username"]);
        Assert.Equal("5432", c["Database:Port"]);
        Assert.Equal("b", c["Database:Hosts:1"]);
        Assert.Equal("require", c["Database:Tls:Mode"]);
        Assert.Equal("on", c["Features:Search"]);
        Assert.Equal("true", c["Features:Nested:Flag:Enabled"]);
    }

    [Fact]
    public async Task Reload_SecretRotated_OptionsMonitorSeesTheNewPassword()
    {
        var name = Unique("cfgapp") + "/db";
        await CreateAsync(name, "{\"Username\":\"app\",\"Password\":\"old\"}");
        var configuration = new ConfigurationBuilder().AddStrongroomSecrets(o =>
        {
            Connect(o);
            o.Secret(name, "Database");
        }).Build();
        var services = new ServiceCollection();
        services.Configure<DatabaseOptions>(configuration.GetSection("Database"));
        await using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<DatabaseOptions>>();
        Assert.Equal("old", monitor.CurrentValue.Password);
        var changed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = monitor.OnChange(o => changed.TrySetResult(o.Password));
        await new SecretsManagerClient(_server.Client(_http)).PutSecretValueAsync(name, Guid.NewGuid().ToString(), "{\"Username\":\"app\",\"Password\":\"new\"}");
        Assert.Equal("new", await changed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("new", monitor.CurrentValue.Password);
        ((IDisposable)configuration).Dispose();
    }

    [Fact]
    public async Task Load_MissingSecret_FailsUnlessOptional()
    {
        var missing = Unique("cfgapp/missing");
        var e = Assert.Throws<AwsServiceException>(() => new ConfigurationBuilder().AddStrongroomSecrets(o => { Connect(o); o.Secret(missing); }).Build());
        Assert.Equal("ResourceNotFoundException", e.Code);
        using var config = (IDisposable)new ConfigurationBuilder().AddStrongroomSecrets(o => { Connect(o); o.Secret(missing); o.Optional = true; }).Build();
        Assert.Empty(((IConfiguration)config).AsEnumerable());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AddStrongroomSecretCache_Resolved_ReadsThroughOneCache()
    {
        var name = Unique("cfgapp/di");
        await CreateAsync(name, "di-value");
        var services = new ServiceCollection();
        services.AddStrongroomSecretCache(Connect);
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<SecretCache>();
        Assert.Same(cache, provider.GetRequiredService<SecretCache>());
        Assert.Equal("di-value", await cache.GetSecretStringAsync(name));
        Assert.Same(cache.Client, provider.GetRequiredService<SecretsManagerClient>());
    }
}
