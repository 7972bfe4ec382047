using Microsoft.Extensions.Logging;

namespace Strongroom.Server;

/// <summary>
/// Delivers service events (parameter policy actions; later rotation outcomes) to an operator's webhook as
/// EventBridge-shaped JSON. Best effort: a failure is logged, never retried forever, and never holds a value.
/// </summary>
public sealed partial class EventWebhook : IDisposable
{
    private readonly Uri? _url;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ILogger<EventWebhook> _logger;
    private readonly TimeProvider _time;

    public EventWebhook(ServerOptions options, TimeProvider time, ILogger<EventWebhook> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _url = options.EventWebhook is null ? null : new Uri(options.EventWebhook);
        _time = time;
        _logger = logger;
    }

    public async Task SendAsync(string detailType, string resourceArn, IReadOnlyDictionary<string, string> detail, CancellationToken ct)
    {
        if (_url is null)
        {
            return;
        }

        try
        {
            // Sent with a Content-Length (not chunked): simple receivers (Python's http.server, say) need one.
            using var content = new ByteArrayContent(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["version"] = "0",
                ["id"] = Guid.NewGuid().ToString(),
                ["detail-type"] = detailType,
                ["source"] = "strongroom",
                ["time"] = _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["resources"] = new[] { resourceArn },
                ["detail"] = detail,
            }));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _http.PostAsync(_url, content, ct);
            if (!response.IsSuccessStatusCode)
            {
                LogFailed(_logger, detailType, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            LogFailed(_logger, detailType, 0);
        }
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Delivering a {DetailType} event to the webhook failed (status {Status})")]
    private static partial void LogFailed(ILogger logger, string detailType, int status);
}
