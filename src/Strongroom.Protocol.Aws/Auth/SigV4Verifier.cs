using System.Buffers;
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
    private static readonly ConcurrentDictionary<string, string[]> SignedHeaderLists = new(StringComparer.Ordinal);
    [ThreadStatic] private static StringBuilder? t_canonical;
    [ThreadStatic] private static Encoder? t_encoder;

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

        var signedHeaders = SignedHeaderList(parsed.SignedHeaders);
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

            var key = SigningKey(accessKeyId, credential.SecretAccessKey, scopeDate, region, service);
            if (!SignatureMatches(request, signedHeaders, parsed, payloadHash, $"{Algorithm}\n{requestTime}\n{scopeDate}/{region}/{service}/aws4_request\n", key))
            {
                throw new AwsError("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
            }
        }

        return new CallerIdentity(accessKeyId, credential.PrincipalArn, credential.UserName, region, service, credential.PrincipalId, credential.SessionTokenHash is not null, credential.Kind);
    }

    /// <summary>
    /// SignedHeaders split at ';'. A client signs the same list on every call, so short lists are kept (at most 1,024 of
    /// them); the arrays are only read.
    /// </summary>
    private static string[] SignedHeaderList(string text)
    {
        if (SignedHeaderLists.TryGetValue(text, out var list))
        {
            return list;
        }

        list = text.Split(';');
        if (text.Length <= 512 && SignedHeaderLists.Count < 1024)
        {
            SignedHeaderLists.TryAdd(text, list);
        }

        return list;
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
        var rest = authorization.AsSpan(Algorithm.Length + 1);
        foreach (var range in rest.Split(','))
        {
            var part = rest[range].Trim();
            if (part.IsEmpty)
            {
                continue;
            }

            var eq = part.IndexOf('=');
            if (eq < 0)
            {
                throw new AwsError("IncompleteSignatureException", $"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'.");
            }

            // Only the three members are kept as strings; the rest of the header is read in place.
            var key = part[..eq];
            if (key.SequenceEqual("Credential"))
            {
                credential = part[(eq + 1)..].ToString();
            }
            else if (key.SequenceEqual("SignedHeaders"))
            {
                signedHeaders = part[(eq + 1)..].ToString();
            }
            else if (key.SequenceEqual("Signature"))
            {
                signature = part[(eq + 1)..].ToString();
            }
        }

        if (credential is not null && signature is not null && signedHeaders is not null)
        {
            return (credential, signedHeaders, signature);
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

    /// <summary>
    /// Whether <paramref name="parsed"/>'s signature is HMAC(key, string to sign) in lower-case hex, the string to sign
    /// being <paramref name="stringToSignPrefix"/> followed by the hex SHA-256 of the canonical request. The canonical
    /// request is built in this thread's reused builder and hashed from pooled bytes, so a call allocates no copy of it.
    /// </summary>
    private static bool SignatureMatches(SigV4Request request, string[] signedHeaders, (string Credential, string SignedHeaders, string Signature) parsed, string payloadHash, string stringToSignPrefix, byte[] key)
    {
        var builder = t_canonical ??= new StringBuilder(1024);
        builder.Clear();
        AppendCanonicalRequest(builder, request, signedHeaders, parsed.SignedHeaders, payloadHash);
        Span<byte> canonicalHash = stackalloc byte[SHA256.HashSizeInBytes];
        HashUtf8(builder, canonicalHash);
        if (builder.Capacity > 16 * 1024)
        {
            t_canonical = null; // an unusually large request's builder is not kept
        }

        // The string to sign ends with the canonical request's hash in hex: 64 ASCII bytes after the prefix.
        var prefixBytes = Encoding.UTF8.GetByteCount(stringToSignPrefix);
        var rented = ArrayPool<byte>.Shared.Rent(prefixBytes + (2 * SHA256.HashSizeInBytes));
        try
        {
            var written = Encoding.UTF8.GetBytes(stringToSignPrefix, rented);
            Convert.TryToHexStringLower(canonicalHash, rented.AsSpan(written), out var hexWritten);
            written += hexWritten;
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(key, rented.AsSpan(0, written), mac);
            Span<byte> expected = stackalloc byte[2 * HMACSHA256.HashSizeInBytes];
            Convert.TryToHexStringLower(mac, expected, out _);
            var signature = parsed.Signature;
            if (signature.Length != expected.Length)
            {
                return false; // as FixedTimeEquals answers any length mismatch: the length is not the secret
            }

            Span<byte> given = stackalloc byte[2 * HMACSHA256.HashSizeInBytes];
            Encoding.ASCII.GetBytes(signature, given);

            return CryptographicOperations.FixedTimeEquals(expected, given);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>SHA-256 of the builder's text in UTF-8 (a surrogate pair split across two chunks is encoded whole).</summary>
    private static void HashUtf8(StringBuilder builder, Span<byte> hash)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(builder.Length));
        try
        {
            var encoder = t_encoder ??= Encoding.UTF8.GetEncoder();
            encoder.Reset();
            var written = 0;
            foreach (var chunk in builder.GetChunks())
            {
                written += encoder.GetBytes(chunk.Span, rented.AsSpan(written), flush: false);
            }

            written += encoder.GetBytes([], rented.AsSpan(written), flush: true);
            SHA256.HashData(rented.AsSpan(0, written), hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    /// <summary>The canonical request (api/sigv4.md §2, step 1).</summary>
    private static void AppendCanonicalRequest(StringBuilder builder, SigV4Request request, string[] signedHeaders, string signedHeadersText, string payloadHash)
    {
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

                AppendHeaderValue(builder, values[i]);
            }

            builder.Append('\n');
        }

        builder.Append('\n').Append(signedHeadersText).Append('\n').Append(payloadHash);
    }

    /// <summary>A header value as SigV4 canonicalises it: trimmed, each run of spaces one space (in place when it already is).</summary>
    private static void AppendHeaderValue(StringBuilder builder, string value)
    {
        var plain = value.Length == 0 || (!char.IsWhiteSpace(value[0]) && !char.IsWhiteSpace(value[^1]) && !value.Contains("  ", StringComparison.Ordinal));
        for (var i = 0; plain && i < value.Length; i++)
        {
            plain = value[i] == ' ' || !char.IsWhiteSpace(value[i]);
        }

        if (plain)
        {
            builder.Append(value);
            return;
        }

        builder.Append(string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
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
