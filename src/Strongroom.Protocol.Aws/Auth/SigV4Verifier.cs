using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Protocol.Aws.Auth;

/// <summary>
/// Server-side AWS Signature Version 4 verification (api/sigv4.md §2). Every failure is an
/// <see cref="AwsError"/> with AWS's code and text. Caches derived signing keys per
/// (access key, date, region, service) — never decisions. Thread-safe.
/// </summary>
public sealed class SigV4Verifier
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    private static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);
    private readonly ICredentialSource _credentials;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string, string, string, string), (byte[] Secret, byte[] Key)> _signingKeys = new();

    public SigV4Verifier(ICredentialSource credentials, TimeProvider time)
    {
        _credentials = credentials;
        _time = time;
    }

    public async ValueTask<CallerIdentity> VerifyAsync(SigV4Request request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorizations = request.Header("authorization");
        if (authorizations.Count == 0 || string.IsNullOrWhiteSpace(authorizations[0]))
        {
            throw new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        var authorization = authorizations[0];
        var parsed = ParseAuthorization(authorization);
        var amzDate = FirstHeader(request, "x-amz-date");
        string requestTime;
        if (amzDate is not null)
        {
            requestTime = amzDate.Trim();
        }
        else if (FirstHeader(request, "date") is { } date && DateTimeOffset.TryParseExact(date.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsedDate))
        {
            requestTime = parsedDate.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        }
        else
        {
            throw new AwsError("IncompleteSignatureException", $"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}");
        }

        if (!DateTimeOffset.TryParseExact(requestTime, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var when))
        {
            throw new AwsError("IncompleteSignatureException", $"Date must be in ISO-8601 'basic format'. Got '{requestTime}'. See http://en.wikipedia.org/wiki/ISO_8601");
        }

        var scope = parsed.Credential.Split('/');
        if (scope.Length != 5 || scope[0].Length == 0)
        {
            throw new AwsError("IncompleteSignatureException", $"Credential should be scoped to a valid region. Authorization={authorization}");
        }

        var (accessKeyId, scopeDate, region, service, terminator) = (scope[0], scope[1], scope[2], scope[3], scope[4]);
        if (scopeDate != requestTime[..8])
        {
            throw new AwsError("InvalidSignatureException", $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scopeDate}' != '{requestTime[..8]}', from '{requestTime}'.");
        }

        if (!IsRegion(region))
        {
            throw new AwsError("InvalidSignatureException", $"Credential should be scoped to a valid region, not '{region}'. ");
        }

        if (terminator != "aws4_request")
        {
            throw new AwsError("InvalidSignatureException", $"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. ");
        }

        var now = _time.GetUtcNow();
        if (when < now - MaxSkew)
        {
            throw new AwsError("InvalidSignatureException", $"Signature expired: {requestTime} is now earlier than {Basic(now - MaxSkew)} ({Basic(now)} - 5 min.)");
        }

        if (when > now + MaxSkew)
        {
            throw new AwsError("InvalidSignatureException", $"Signature not yet current: {requestTime} is still later than {Basic(now + MaxSkew)} ({Basic(now)} + 5 min.)");
        }

        var credential = await _credentials.ResolveAsync(accessKeyId, cancellationToken)
            ?? throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");

        var signedHeaders = parsed.SignedHeaders.Split(';');
        if (credential.SessionTokenHash is not null)
        {
            var token = FirstHeader(request, "x-amz-security-token");
            if (token is null || !signedHeaders.Contains("x-amz-security-token")
                || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token.Trim())))), Encoding.ASCII.GetBytes(credential.SessionTokenHash)))
            {
                throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");
            }

            if (credential.Expiration <= now)
            {
                throw new AwsError("ExpiredTokenException", "The security token included in the request is expired");
            }
        }
        if (!signedHeaders.Contains("host"))
        {
            throw new AwsError("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }

        if (amzDate is not null && !signedHeaders.Contains("x-amz-date"))
        {
            throw new AwsError("InvalidSignatureException", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
        }

        for (var i = 0; i < signedHeaders.Length; i++)
        {
            var name = signedHeaders[i];
            if (name.Length == 0 || name != name.ToLowerInvariant() || (i > 0 && string.CompareOrdinal(signedHeaders[i - 1], name) >= 0))
            {
                throw new AwsError("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
            }
        }

        if (credential.SecretAccessKey is not null)
        {
            var payloadHash = Convert.ToHexStringLower(SHA256.HashData(request.Body.Span));
            if (FirstHeader(request, "x-amz-content-sha256") is { } declared && signedHeaders.Contains("x-amz-content-sha256") && declared.Trim() != payloadHash)
            {
                throw new AwsError("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
            }

            var canonical = CanonicalRequest(request, signedHeaders, parsed.SignedHeaders, payloadHash);
            var stringToSign = $"{Algorithm}\n{requestTime}\n{scopeDate}/{region}/{service}/aws4_request\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
            var key = SigningKey(accessKeyId, credential.SecretAccessKey, scopeDate, region, service);
            var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign))));
            var given = Encoding.ASCII.GetBytes(parsed.Signature);
            if (!CryptographicOperations.FixedTimeEquals(expected, given))
            {
                throw new AwsError("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
            }
        }

        return new CallerIdentity(accessKeyId, credential.PrincipalArn, credential.UserName, region, service, credential.PrincipalId, credential.SessionTokenHash is not null);
    }

    private static string? FirstHeader(SigV4Request request, string name)
    {
        var values = request.Header(name);
        return values.Count == 0 ? null : values[0];
    }

    private static string Basic(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    internal static bool IsRegion(string region)
    {
        var parts = region.Split('-');
        return parts.Length >= 2
            && parts[..^1].All(p => p.Length > 0 && p.All(char.IsAsciiLetterLower))
            && parts[^1].Length > 0 && parts[^1].All(char.IsAsciiDigit);
    }

    private static (string Credential, string SignedHeaders, string Signature) ParseAuthorization(string authorization)
    {
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            throw new AwsError("IncompleteSignatureException", $"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={authorization}");
        }

        string? credential = null, signedHeaders = null, signature = null;
        foreach (var rawPart in authorization[(Algorithm.Length + 1)..].Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new AwsError("IncompleteSignatureException", $"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'.");
            }

            var (key, value) = (part[..eq], part[(eq + 1)..]);
            switch (key)
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": signature = value; break;
                default: break;
            }
        }

        var missing = new StringBuilder();
        if (credential is null)
        {
            missing.Append("Authorization header requires 'Credential' parameter. ");
        }

        if (signature is null)
        {
            missing.Append("Authorization header requires 'Signature' parameter. ");
        }

        if (signedHeaders is null)
        {
            missing.Append("Authorization header requires 'SignedHeaders' parameter. ");
        }

        if (missing.Length > 0)
        {
            throw new AwsError("IncompleteSignatureException", $"{missing}Authorization={authorization}");
        }

        return (credential!, signedHeaders!, signature!);
    }

    internal static string CanonicalRequest(SigV4Request request, string[] signedHeaders, string signedHeadersText, string payloadHash)
    {
        var builder = new StringBuilder(256);
        builder.Append(request.Method).Append('\n');
        builder.Append(CanonicalUri(request.Path)).Append('\n');
        builder.Append(CanonicalQuery(request.QueryString)).Append('\n');
        foreach (var name in signedHeaders)
        {
            var values = request.Header(name);
            if (values.Count == 0)
            {
                throw new AwsError("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
            }

            builder.Append(name).Append(':');
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                builder.Append(string.Join(' ', values[i].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            }

            builder.Append('\n');
        }

        builder.Append('\n').Append(signedHeadersText).Append('\n').Append(payloadHash);
        return builder.ToString();
    }

    private static string CanonicalUri(string path)
    {
        if (string.IsNullOrEmpty(path) || path == "/")
        {
            return "/";
        }

        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            segments.Add(UriEncode(UriEncode(Uri.UnescapeDataString(segment))));
        }

        var result = "/" + string.Join('/', segments);
        return path.EndsWith('/') && segments.Count > 0 ? result + "/" : result;
    }

    private static string CanonicalQuery(string query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return string.Empty;
        }

        var pairs = query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p =>
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? p : p[..eq];
                var value = eq < 0 ? string.Empty : p[(eq + 1)..];
                return (UriEncode(Uri.UnescapeDataString(name.Replace('+', ' '))), UriEncode(Uri.UnescapeDataString(value.Replace('+', ' '))));
            })
            .OrderBy(p => p.Item1, StringComparer.Ordinal).ThenBy(p => p.Item2, StringComparer.Ordinal);
        return string.Join('&', pairs.Select(p => p.Item1 + "=" + p.Item2));
    }

    internal static string UriEncode(string value)
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

    internal byte[] SigningKey(string accessKeyId, byte[] secret, string date, string region, string service)
    {
        var cacheKey = (accessKeyId, date, region, service);
        if (_signingKeys.TryGetValue(cacheKey, out var cached) && CryptographicOperations.FixedTimeEquals(cached.Secret, secret))
        {
            return cached.Key;
        }

        var key = DeriveSigningKey(secret, date, region, service);
        if (_signingKeys.Count > 10_000)
        {
            _signingKeys.Clear();
        }

        _signingKeys[cacheKey] = (secret.ToArray(), key);
        return key;
    }

    public static byte[] DeriveSigningKey(byte[] secret, string date, string region, string service)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var seed = new byte[secret.Length + 4];
        "AWS4"u8.CopyTo(seed);
        secret.CopyTo(seed, 4);
        var kDate = HMACSHA256.HashData(seed, Encoding.UTF8.GetBytes(date));
        CryptographicOperations.ZeroMemory(seed);
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(kService, "aws4_request"u8);
    }
}
