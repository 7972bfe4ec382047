using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Bench;

/// <summary>
/// Client-side SigV4 (shared/api/sigv4.md) for awsJson 1.1 POST / requests, signing
/// content-type;host;x-amz-date;x-amz-target as botocore does. The signing key is derived once per
/// (day, service); every request is signed with the current time. Thread-safe.
/// </summary>
internal sealed class SigV4Signer
{
    public const string ContentType = "application/x-amz-json-1.1";
    public const string SignedHeaders = "content-type;host;x-amz-date;x-amz-target";
    private readonly byte[] _secret;
    private readonly ConcurrentDictionary<(string Date, string Service), byte[]> _keys = new();
    private DateCache? _date;

    public SigV4Signer(string accessKeyId, string secretAccessKey, string region)
    {
        AccessKeyId = accessKeyId;
        _secret = Encoding.UTF8.GetBytes("AWS4" + secretAccessKey);
        Region = region;
    }

    public string AccessKeyId { get; }

    public string Region { get; }

    /// <summary>X-Amz-Date for now, formatted once per second.</summary>
    public string AmzDateNow()
    {
        var now = DateTime.UtcNow;
        var second = now.Ticks / TimeSpan.TicksPerSecond;
        var cached = Volatile.Read(ref _date);
        if (cached is not null && cached.Second == second)
        {
            return cached.Text;
        }

        var text = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        Volatile.Write(ref _date, new DateCache(second, text));
        return text;
    }

    /// <summary>The Authorization header value for one request.</summary>
    public string Authorization(string host, string target, string service, string amzDate, ReadOnlySpan<byte> body)
    {
        var date = amzDate[..8];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        var canonical = $"POST\n/\n\ncontent-type:{ContentType}\nhost:{host}\nx-amz-date:{amzDate}\nx-amz-target:{target}\n\n{SignedHeaders}\n{Convert.ToHexStringLower(hash)}";
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), hash);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{date}/{Region}/{service}/aws4_request\n{Convert.ToHexStringLower(hash)}";
        var key = _keys.GetOrAdd((date, service), k => Derive(_secret, k.Date, Region, k.Service));
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign), hash);
        return $"AWS4-HMAC-SHA256 Credential={AccessKeyId}/{date}/{Region}/{service}/aws4_request, SignedHeaders={SignedHeaders}, Signature={Convert.ToHexStringLower(hash)}";
    }

    /// <summary>The Content-Type of a Query-protocol (IAM, STS) request.</summary>
    public const string QueryContentType = "application/x-www-form-urlencoded; charset=utf-8";

    /// <summary>The Authorization header value for one Query-protocol POST / (IAM, STS), signing content-type;host;x-amz-date as botocore does.</summary>
    public string QueryAuthorization(string host, string service, string amzDate, ReadOnlySpan<byte> body)
    {
        const string signed = "content-type;host;x-amz-date";
        var date = amzDate[..8];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        var canonical = $"POST\n/\n\ncontent-type:{QueryContentType}\nhost:{host}\nx-amz-date:{amzDate}\n\n{signed}\n{Convert.ToHexStringLower(hash)}";
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), hash);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{date}/{Region}/{service}/aws4_request\n{Convert.ToHexStringLower(hash)}";
        var key = _keys.GetOrAdd((date, service), k => Derive(_secret, k.Date, Region, k.Service));
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign), hash);
        return $"AWS4-HMAC-SHA256 Credential={AccessKeyId}/{date}/{Region}/{service}/aws4_request, SignedHeaders={signed}, Signature={Convert.ToHexStringLower(hash)}";
    }

    private static byte[] Derive(byte[] secret, string date, string region, string service)
    {
        var kDate = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(date));
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(kService, "aws4_request"u8);
    }

    /// <summary>Checks the signer against shared/api/sigv4.md §6.2. Returns null when it matches.</summary>
    public static string? SelfTest()
    {
        var signer = new SigV4Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1");
        var auth = signer.Authorization("localhost:8080", "secretsmanager.GetSecretValue", "secretsmanager", "20240115T120000Z", "{\"SecretId\": \"MyTestSecret\"}"u8);
        const string expected = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=9edc58540dad2b3f71ec9b24eabf01ad3425f0faea214778e47161978498d3ef";
        return auth == expected ? null : $"signer self-test failed: got {auth}";
    }

    private sealed record DateCache(long Second, string Text);
}
