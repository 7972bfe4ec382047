using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Strongroom.Tests;

/// <summary>
/// A minimal SigV4 client for the process-level tests (durability, leaks), which need many calls from
/// .NET. API compatibility itself is proven with the AWS CLI, boto3 and the JS SDK in tests/e2e.
/// </summary>
internal sealed class TestSigner : IDisposable
{
    private readonly HttpClient _http = new();
    private readonly Uri _endpoint;
    private readonly string _accessKey;
    private readonly string _secret;

    public TestSigner(Uri endpoint, string accessKey, string secret)
    {
        _endpoint = endpoint;
        _accessKey = accessKey;
        _secret = secret;
    }

    public static TestSigner FromCredentialsFile(Uri endpoint, string path)
    {
        var lines = File.ReadAllLines(path);
        string Value(string key) => lines.First(l => l.StartsWith(key, StringComparison.Ordinal)).Split('=', 2)[1].Trim();
        return new TestSigner(endpoint, Value("aws_access_key_id"), Value("aws_secret_access_key"));
    }

    public Task<(int Status, JsonElement Body)> CallAsync(string operation, object input, CancellationToken ct = default) =>
        CallAsync("secretsmanager", operation, input, ct);

    public Task<(int Status, JsonElement Body)> KmsAsync(string operation, object input, CancellationToken ct = default) =>
        CallAsync("kms", operation, input, ct);

    public async Task<(int Status, JsonElement Body)> CallAsync(string service, string operation, object input, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(input);
        var now = DateTime.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var host = _endpoint.Authority;
        var target = service switch
        {
            "kms" => "TrentService.",
            "ssm" => "AmazonSSM.",
            "strongroom" => "Strongroom.",
            "cloudtrail" => "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
            _ => "secretsmanager.",
        } + operation;
        var canonical = $"POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:{host}\nx-amz-date:{amzDate}\nx-amz-target:{target}\n\ncontent-type;host;x-amz-date;x-amz-target\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        var scope = $"{date}/us-east-1/{service}/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + _secret);
        foreach (var part in new[] { date, "us-east-1", service, "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Date", amzDate);
        request.Headers.Add("X-Amz-Target", target);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={_accessKey}/{scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={signature}");
        using var response = await _http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>An AWS Query-protocol call (IAM, STS): form-encoded body, XML answer.</summary>
    public async Task<(int Status, string Body)> QueryAsync(string service, IReadOnlyDictionary<string, string> form, CancellationToken ct = default)
    {
        var body = Encoding.UTF8.GetBytes(string.Join('&', form.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
        var amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        const string contentType = "application/x-www-form-urlencoded; charset=utf-8";
        var canonical = $"POST\n/\n\ncontent-type:{contentType}\nhost:{_endpoint.Authority}\nx-amz-date:{amzDate}\n\ncontent-type;host;x-amz-date\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        var scope = $"{date}/us-east-1/{service}/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + _secret);
        foreach (var part in new[] { date, "us-east-1", service, "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Add("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={_accessKey}/{scope}, SignedHeaders=content-type;host;x-amz-date, Signature={Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)))}");
        using var response = await _http.SendAsync(request, ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    public void Dispose() => _http.Dispose();
}
