using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Client;

/// <summary>
/// Client-side AWS Signature Version 4 (header form) as botocore does it: signs host, x-amz-date,
/// x-amz-security-token (with temporary credentials) and every other header present at signing time except
/// the ones botocore leaves out. The body must already be set (its bytes are hashed). Thread-safe.
/// </summary>
public static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Headers botocore never signs (they may be changed by proxies or added later).</summary>
    private static readonly HashSet<string> Unsigned = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id", "content-length",
    };

    /// <summary>Adds X-Amz-Date, X-Amz-Security-Token (when the credentials have one) and Authorization to <paramref name="request"/>.</summary>
    public static async Task SignAsync(HttpRequestMessage request, string service, string region, AwsCredentials credentials, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        Sign(request, body, service, region, credentials, now);
    }

    /// <summary>Signs with <paramref name="body"/> as the payload (the bytes of request.Content).</summary>
    public static void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body, string service, string region, AwsCredentials credentials, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credentials);
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("The request URI must be absolute.", nameof(request));
        }

        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        request.Headers.Remove("X-Amz-Date");
        request.Headers.Remove("X-Amz-Security-Token");
        request.Headers.Authorization = null;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (credentials.SessionToken is { Length: > 0 } token)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", token);
        }

        var host = request.Headers.Host ?? (uri.IsDefaultPort ? uri.Host : uri.Authority);
        var headers = new SortedDictionary<string, List<string>>(StringComparer.Ordinal) { ["host"] = [host] };
        Collect(headers, request.Headers);
        if (request.Content is not null)
        {
            Collect(headers, request.Content.Headers);
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonical = new StringBuilder();
        canonical.Append(request.Method.Method.ToUpperInvariant()).Append('\n')
            .Append(CanonicalUri(uri.AbsolutePath)).Append('\n')
            .Append(CanonicalQuery(uri.Query)).Append('\n');
        foreach (var (name, values) in headers)
        {
            canonical.Append(name).Append(':').Append(string.Join(',', values.Select(Trim))).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Convert.ToHexStringLower(SHA256.HashData(body)));
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = SigningKey(credentials.SecretAccessKey, date, region, service);
        try
        {
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
            request.Headers.TryAddWithoutValidation("Authorization", $"{Algorithm} Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>kSigning = HMAC chain over date, region, service, "aws4_request" (sigv4.md §5).</summary>
    public static byte[] SigningKey(string secretAccessKey, string date, string region, string service)
    {
        ArgumentNullException.ThrowIfNull(secretAccessKey);
        var secret = Encoding.UTF8.GetBytes("AWS4" + secretAccessKey);
        var kDate = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(date));
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        var kSigning = HMACSHA256.HashData(kService, "aws4_request"u8);
        CryptographicOperations.ZeroMemory(secret);
        CryptographicOperations.ZeroMemory(kDate);
        CryptographicOperations.ZeroMemory(kRegion);
        CryptographicOperations.ZeroMemory(kService);
        return kSigning;
    }

    private static void Collect(SortedDictionary<string, List<string>> into, HttpHeaders headers)
    {
        foreach (var (name, values) in headers.NonValidated)
        {
            var lower = name.ToLowerInvariant();
            if (Unsigned.Contains(lower) || lower == "host")
            {
                continue;
            }

            if (!into.TryGetValue(lower, out var list))
            {
                into[lower] = list = [];
            }

            list.AddRange(values);
        }
    }

    /// <summary>Leading/trailing whitespace removed, inner runs collapsed to one space (botocore's ' '.join(v.split())).</summary>
    private static string Trim(string value) => string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Each segment URI-encoded twice (every service but S3), empty path = "/".</summary>
    private static string CanonicalUri(string path)
    {
        if (string.IsNullOrEmpty(path) || path == "/")
        {
            return "/";
        }

        var segments = path.Split('/').Select(s => Encode(Encode(Uri.UnescapeDataString(s))));
        return string.Join('/', segments);
    }

    private static string CanonicalQuery(string query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return string.Empty;
        }

        var pairs = query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p =>
        {
            var equals = p.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? p : p[..equals];
            var value = equals < 0 ? string.Empty : p[(equals + 1)..];
            return (Name: Encode(Uri.UnescapeDataString(name.Replace('+', ' '))), Value: Encode(Uri.UnescapeDataString(value.Replace('+', ' '))));
        });
        return string.Join('&', pairs.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>RFC 3986 encoding: A-Z a-z 0-9 - _ . ~ stay, everything else %XX upper-case.</summary>
    private static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
