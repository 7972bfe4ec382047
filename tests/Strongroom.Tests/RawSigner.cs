using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Tests;

/// <summary>
/// Signs and sends arbitrary request bytes (mutated, malformed, hostile) as a botocore client signs a well-formed one, so
/// the server sees a correctly signed call whatever the body holds. Optionally connects from another loopback address
/// (127.0.0.2), to tell per-address limits apart. Thread-safe.
/// </summary>
internal sealed class RawSigner : IDisposable
{
    public const string JsonType = "application/x-amz-json-1.1";
    public const string FormType = "application/x-www-form-urlencoded; charset=utf-8";
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    public RawSigner(Uri endpoint, string accessKey = "test", string secret = "test", IPAddress? from = null)
    {
        _endpoint = endpoint;
        AccessKey = accessKey;
        Secret = secret;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 64 };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
    }

    public string AccessKey { get; }

    public string Secret { get; }

    /// <summary>The X-Amz-Target prefix of a JSON service.</summary>
    public static string Target(string service, string operation) => service switch
    {
        "kms" => "TrentService.",
        "ssm" => "AmazonSSM.",
        "strongroom" => "Strongroom.",
        "cloudtrail" => "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
        _ => "secretsmanager.",
    } + operation;

    public Task<Answer> JsonAsync(string service, string operation, string body, CancellationToken ct = default) =>
        SendAsync(service, Target(service, operation), JsonType, Encoding.UTF8.GetBytes(body), ct);

    public Task<Answer> FormAsync(string service, string body, CancellationToken ct = default) =>
        SendAsync(service, null, FormType, Encoding.UTF8.GetBytes(body), ct);

    /// <summary>Signs <paramref name="body"/> as is (content-type;host;x-amz-date[;x-amz-target]) and sends it.</summary>
    public async Task<Answer> SendAsync(string service, string? target, string contentType, byte[] body, CancellationToken ct = default, string? secretOverride = null)
    {
        var amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var host = _endpoint.Authority;
        var signed = target is null ? "content-type;host;x-amz-date" : "content-type;host;x-amz-date;x-amz-target";
        var canonicalHeaders = $"content-type:{contentType}\nhost:{host}\nx-amz-date:{amzDate}\n" + (target is null ? string.Empty : $"x-amz-target:{target}\n");
        var canonical = $"POST\n/\n\n{canonicalHeaders}\n{signed}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        var scope = $"{date}/us-east-1/{service}/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + (secretOverride ?? Secret));
        foreach (var part in new[] { date, "us-east-1", service, "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Add("X-Amz-Date", amzDate);
        if (target is not null)
        {
            request.Headers.Add("X-Amz-Target", target);
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={AccessKey}/{scope}, SignedHeaders={signed}, Signature={signature}");
        using var response = await _http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.First() : null;
        return new Answer((int)response.StatusCode, text, requestId);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>One answer: status, body text, and the request id the server gave it.</summary>
    public sealed record Answer(int Status, string Body, string? RequestId)
    {
        /// <summary>The JSON error's __type, or the XML error's Code, or null.</summary>
        public string? Code
        {
            get
            {
                if (Body.StartsWith('{'))
                {
                    using var document = System.Text.Json.JsonDocument.Parse(Body);
                    return document.RootElement.TryGetProperty("__type", out var type) ? type.GetString() : null;
                }

                var start = Body.IndexOf("<Code>", StringComparison.Ordinal);
                var end = Body.IndexOf("</Code>", StringComparison.Ordinal);
                return start >= 0 && end > start ? Body[(start + 6)..end] : null;
            }
        }
    }
}
