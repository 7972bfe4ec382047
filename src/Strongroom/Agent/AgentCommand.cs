using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Client;

namespace Strongroom.Agent;

/// <summary>
/// `strongroom agent`: a local caching endpoint compatible with AWS's Secrets Manager Agent (see <see cref="AgentHandler"/>),
/// fed by Strongroom's change stream so a rotated secret is served within a second. Credentials, region and endpoint
/// are found as the AWS CLI finds them. Exit 0 on a clean stop, 2 for a usage or configuration error.
/// </summary>
internal static class AgentCommand
{
    public const string TokenVariable = "AWS_TOKEN";

    public static Command Create()
    {
        var endpoint = new Option<string?>("--endpoint-url") { Description = "The Strongroom (or AWS) endpoint, e.g. http://127.0.0.1:4566 (else AWS_ENDPOINT_URL). Default: none." };
        var region = new Option<string?>("--region") { Description = "Region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)." };
        var profile = new Option<string?>("--profile") { Description = "Profile in the AWS shared credentials/config files (else AWS_PROFILE, else default)." };
        var listen = new Option<string>("--listen") { Description = "Address:port to listen on (loopback unless --allow-non-loopback). Default: none.", DefaultValueFactory = _ => "127.0.0.1:2773" };
        var ttl = new Option<string>("--ttl") { Description = "How long a value is served before it is checked again (e.g. 300s, 5m; 0s: always ask). Default: none.", DefaultValueFactory = _ => "300s" };
        var maxEntries = new Option<int>("--max-entries") { Description = "Most secrets cached (least recently used evicted). Default: none.", DefaultValueFactory = _ => 1000 };
        var maxStale = new Option<string>("--max-stale") { Description = "While the server is unreachable, how long cached values are still served (header X-Strongroom-Stale: true); then reads fail with 503. Default: none.", DefaultValueFactory = _ => "60s" };
        var tokenFile = new Option<string?>("--token-file") { Description = $"File holding the SSRF token (else ${TokenVariable}, whose value may be file://PATH). Default: none." };
        var allowRemote = new Option<bool>("--allow-non-loopback") { Description = "Allow --listen on an address other than loopback. Default: off." };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not follow Strongroom.WatchSecrets; the TTL alone decides (as AWS's agent). Default: off." };
        var command = new Command("agent", "A local caching endpoint with the HTTP contract of AWS's Secrets Manager Agent: GET /secretsmanager/get?secretId=ID with header X-Aws-Parameters-Secrets-Token.")
        {
            endpoint, region, profile, listen, ttl, maxEntries, maxStale, tokenFile, allowRemote, noWatch,
        };
        command.SetAction(async (result, ct) =>
        {
            AgentOptions options;
            ClientSettings settings;
            try
            {
                var address = ParseListen(result.GetValue(listen)!);
                if (!IPAddress.IsLoopback(address.Address) && !result.GetValue(allowRemote))
                {
                    throw new ClientConfigurationException($"--listen {address} is not a loopback address: the agent serves secrets to whoever can reach it (give --allow-non-loopback to mean it).");
                }

                options = new AgentOptions
                {
                    Listen = address,
                    Token = Token(result.GetValue(tokenFile)),
                    Ttl = Duration(result.GetValue(ttl)!, "--ttl"),
                    MaxEntries = result.GetValue(maxEntries) is var n and >= 1 and <= 100_000 ? n : throw new ClientConfigurationException("--max-entries must be between 1 and 100000."),
                    MaxStale = Duration(result.GetValue(maxStale)!, "--max-stale"),
                    Watch = !result.GetValue(noWatch),
                };
                settings = new ClientSettingsResolver().Resolve(result.GetValue(endpoint), result.GetValue(region), result.GetValue(profile));
            }
            catch (ClientConfigurationException e)
            {
                await Console.Error.WriteLineAsync("strongroom agent: " + e.Message);
                return 2;
            }

            await RunAsync(options, settings, ct);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(AgentOptions options, ClientSettings settings, CancellationToken ct)
    {
        var cacheOptions = new SecretCacheOptions { Ttl = options.Ttl, MaxEntries = options.MaxEntries, MaxStale = options.MaxStale, WatchChanges = options.Watch, WatchWait = TimeSpan.FromSeconds(10) };
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(30) };
        var json = settings.CreateJsonClient(http);
        await using var cache = new SecretCache(new SecretsManagerClient(json), cacheOptions);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });

        // A cached read is answered from memory without blocking, so it runs on the socket's own completion instead of
        // waiting for a thread-pool thread: one scheduling hop less per request, which is most of a cached read's tail.
        // (A cache miss awaits the server over HTTP; nothing in the handler blocks a thread.)
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(options.Listen);
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        await using var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Strongroom.Agent");
        var handler = new AgentHandler(cache, json, options, TimeProvider.System, logger);
        app.Run(handler.HandleAsync);
        await app.StartAsync(ct);
        AgentLog.Started(logger, options.Listen.ToString(), settings.Endpoint.ToString(), (int)options.Ttl.TotalSeconds, options.MaxEntries, options.Watch, (int)options.MaxStale.TotalSeconds);
        await app.WaitForShutdownAsync(ct);
    }

    /// <summary>The token from --token-file, else $AWS_TOKEN (a value, or file://PATH as AWS's agent reads it). Refuses to start without one.</summary>
    private static string Token(string? tokenFile)
    {
        string? token;
        if (tokenFile is { Length: > 0 })
        {
            token = ReadTokenFile(tokenFile);
        }
        else
        {
            token = Environment.GetEnvironmentVariable(TokenVariable);
            if (token is not null && token.StartsWith("file://", StringComparison.Ordinal))
            {
                token = ReadTokenFile(token["file://".Length..]);
            }
        }

        return token is { Length: > 0 } ? token : throw new ClientConfigurationException($"no SSRF token: set {TokenVariable} (or {TokenVariable}=file://PATH) or give --token-file; every request must carry it in X-Aws-Parameters-Secrets-Token.");
    }

    private static string ReadTokenFile(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClientConfigurationException($"the token file {path} cannot be read: {e.Message}");
        }
    }

    internal static IPEndPoint ParseListen(string text) =>
        IPEndPoint.TryParse(text, out var address) && address.Port is > 0 and <= 65535
            ? address
            : throw new ClientConfigurationException($"--listen '{text}' is not an address:port such as 127.0.0.1:2773.");

    /// <summary>"300s", "5m", "1h", "500ms", "0s".</summary>
    internal static TimeSpan Duration(string text, string flag)
    {
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001) : text.Length > 1 ? (text[..^1], text[^1] switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, _ => -1 }) : (text, -1);
        return unit > 0 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? TimeSpan.FromSeconds(n * unit)
            : throw new ClientConfigurationException($"{flag} '{text}' is not a duration such as 500ms, 30s, 5m or 1h.");
    }
}
