namespace Strongroom.Client;

/// <summary>
/// Where and as whom an application's <see cref="SecretCache"/> calls, found as the AWS CLI finds them when left
/// null (AWS_ENDPOINT_URL, AWS_REGION, the credential chain of <see cref="ClientSettingsResolver"/>), and how it caches.
/// Not sealed: <see cref="StrongroomSecretsOptions"/> adds the configuration mapping to it.
/// </summary>
public class StrongroomClientOptions
{
    /// <summary>The server, e.g. http://127.0.0.1:4566 (else AWS_ENDPOINT_URL).</summary>
    public string? EndpointUrl { get; set; }

    public string? Region { get; set; }

    /// <summary>Profile in the shared credentials/config files (else AWS_PROFILE, else default).</summary>
    public string? Profile { get; set; }

    /// <summary>Explicit credentials (else the chain).</summary>
    public AwsCredentials? Credentials { get; set; }

    public SecretCacheOptions Cache { get; } = new();

    /// <summary>For tests and proxies: the handler under the cache's HttpClient (null: a default one). Not disposed by the cache.</summary>
    public HttpMessageHandler? Handler { get; set; }

    /// <summary>A cache per these settings; it owns its HttpClient. Throws <see cref="ClientConfigurationException"/> when something is missing.</summary>
    public SecretCache CreateCache(TimeProvider? time = null)
    {
        var resolver = new ClientSettingsResolver();
        var settings = Credentials is not null
            ? new ClientSettings(resolver.Endpoint(EndpointUrl), resolver.Region(Region, Profile), Credentials)
            : resolver.Resolve(EndpointUrl, Region, Profile);
        var http = Handler is null ? new HttpClient() : new HttpClient(Handler, disposeHandler: false);
        // The long poll of the change stream lasts up to WatchWait; the client's own timeout must outlast it.
        http.Timeout = Cache.WatchWait + TimeSpan.FromSeconds(30);
        var client = new SecretsManagerClient(settings.CreateJsonClient(http, time));
        return new SecretCache(client, Cache, time, http);
    }
}
