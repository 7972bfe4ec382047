using System.Net.Http.Headers;
using System.Text.Json;

namespace Strongroom.Client;

/// <summary>
/// awsJson 1.1 calls: POST / with X-Amz-Target, SigV4-signed for the call's signing service. A non-2xx answer
/// becomes <see cref="AwsServiceException"/>. Thread-safe (the HttpClient is the caller's and is not disposed).
/// </summary>
public sealed class AwsJsonClient
{
    public const string ContentType = "application/x-amz-json-1.1";
    private static readonly JsonSerializerOptions Serializer = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly WebIdentityCredentials? _webIdentity;

    public AwsJsonClient(HttpClient http, Uri endpoint, string region, AwsCredentials credentials, TimeProvider? time = null)
        : this(http, endpoint, region, time)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        Credentials = credentials;
    }

    /// <summary>Signs with temporary credentials from AssumeRoleWithWebIdentity, renewed before they expire.</summary>
    public AwsJsonClient(HttpClient http, Uri endpoint, string region, WebIdentityCredentials webIdentity, TimeProvider? time = null)
        : this(http, endpoint, region, time)
    {
        ArgumentNullException.ThrowIfNull(webIdentity);
        _webIdentity = webIdentity;
    }

    private AwsJsonClient(HttpClient http, Uri endpoint, string region, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrEmpty(region);
        _http = http;
        Endpoint = endpoint;
        Region = region;
        _time = time ?? TimeProvider.System;
    }

    public Uri Endpoint { get; }

    public string Region { get; }

    /// <summary>The fixed credentials; null when they come from web identity (they change at each renewal).</summary>
    public AwsCredentials? Credentials { get; }

    /// <summary>Calls <paramref name="target"/> (e.g. "secretsmanager.GetSecretValue") with <paramref name="body"/> serialised as JSON (null members left out).</summary>
    public Task<JsonElement> CallAsync(string signingService, string target, object? body, CancellationToken ct = default) =>
        CallAsync(signingService, target, body is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Serializer), ct);

    /// <summary>Calls <paramref name="target"/> with a ready JSON body. Returns the answer's root element (an empty object for an empty answer).</summary>
    public async Task<JsonElement> CallAsync(string signingService, string target, ReadOnlyMemory<byte> body, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingService);
        ArgumentException.ThrowIfNullOrEmpty(target);
        // POST to the endpoint URL as given (its path included), as the AWS CLI does with --endpoint-url.
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint);
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        request.Content = content;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        var credentials = Credentials ?? await _webIdentity!.GetAsync(ct).ConfigureAwait(false);
        SigV4Signer.Sign(request, body.Span, signingService, Region, credentials, _time.GetUtcNow());
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
        if (!response.IsSuccessStatusCode)
        {
            throw Error(bytes, (int)response.StatusCode, requestId, response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.FirstOrDefault() : null);
        }

        if (bytes.Length == 0)
        {
            return JsonDocument.Parse("{}").RootElement.Clone();
        }

        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.Clone();
    }

    private static AwsServiceException Error(byte[] body, int status, string? requestId, string? errorTypeHeader)
    {
        string? code = null;
        string? message = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                code = root.TryGetProperty("__type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
                message = root.TryGetProperty("message", out var lower) && lower.ValueKind == JsonValueKind.String ? lower.GetString()
                    : root.TryGetProperty("Message", out var upper) && upper.ValueKind == JsonValueKind.String ? upper.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's error page): the status says what happened.
        }

        code ??= errorTypeHeader?.Split(':')[0];
        code = code is null ? (status >= 500 ? "InternalFailure" : "Unknown") : code[(code.LastIndexOf('#') + 1)..];
        return new AwsServiceException(code, message ?? $"HTTP {status}", status, requestId);
    }
}
