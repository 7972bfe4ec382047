using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Strongroom.Core.Identity;

/// <summary>
/// The signing keys (JWKS) of OIDC issuers. For an issuer the operator mapped to a file (air-gapped sites), the
/// keys are read from that file, again whenever it changes. Otherwise they are discovered:
/// <c>&lt;issuer&gt;/.well-known/openid-configuration</c> names <c>jwks_uri</c>, which is fetched. Both URLs must be
/// https (plain http only on a loopback host); redirects are not followed; answers are capped at 1 MiB and 5 s.
/// When the JWKS endpoint's certificate is not signed by a CA this machine trusts, it is accepted only if one of
/// its chain's SHA-1 thumbprints is in the provider's ThumbprintList (AWS's rule for such IdPs).
/// Keys are cached per issuer for <see cref="MaxAge"/>; a token naming an unknown <c>kid</c> triggers a refresh,
/// at most once per <see cref="UnknownKidRefreshInterval"/> per issuer, so unknown kids can't make the server
/// hammer an issuer. A failed refresh keeps the keys already known. Thread-safe.
/// </summary>
public sealed class OidcKeySource : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);
    public static readonly TimeSpan UnknownKidRefreshInterval = TimeSpan.FromSeconds(30);
    private const int MaxDocumentBytes = 1024 * 1024;
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(5);
    private static readonly HttpRequestOptionsKey<IReadOnlyList<string>> ThumbprintsKey = new("strongroom.oidc.thumbprints");

    private readonly HttpClient _http;
    private readonly IReadOnlyDictionary<string, string> _files;
    private readonly TimeProvider _time;
    private readonly Action<string, string>? _fetchFailed;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <param name="jwksFiles">Issuer URL (canonical, as <see cref="IamOidcProviders.CanonicalIssuer"/> makes it) → JWKS file.</param>
    /// <param name="fetchFailed">Told (issuer, reason) when keys could not be fetched or read; the reason holds no key material.</param>
    /// <param name="handler">For tests: the HTTP handler to use (default: one that follows no redirects and applies the thumbprint rule).</param>
    public OidcKeySource(IReadOnlyDictionary<string, string>? jwksFiles, TimeProvider time, Action<string, string>? fetchFailed = null, HttpMessageHandler? handler = null)
    {
        _files = jwksFiles ?? new Dictionary<string, string>();
        _time = time;
        _fetchFailed = fetchFailed;
        _http = new HttpClient(handler ?? CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxDocumentBytes };
    }

    /// <summary>How many times keys were fetched or read (per issuer), for tests and diagnostics.</summary>
    public int Refreshes(string issuerUrl) => _cache.TryGetValue(issuerUrl, out var entry) ? entry.Refreshes : 0;

    private sealed class Entry
    {
        public IReadOnlyList<JsonWebKey> Keys { get; set; } = [];

        public DateTimeOffset FetchedAt { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset LastUnknownKidRefresh { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset LastFailure { get; set; } = DateTimeOffset.MinValue;

        public string? FailureReason { get; set; }

        public DateTime FileWriteTime { get; set; }

        public int Refreshes { get; set; }
    }

    private static HttpClientHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        ServerCertificateCustomValidationCallback = (request, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            // Only an untrusted chain (never a name mismatch) may be vouched for by a registered thumbprint.
            if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null
                || !request.Options.TryGetValue(ThumbprintsKey, out var thumbprints) || thumbprints.Count == 0)
            {
                return false;
            }

            var presented = new List<string> { Convert.ToHexStringLower(SHA1Thumbprint(certificate.RawData)) };
            if (chain is not null)
            {
                presented.AddRange(chain.ChainElements.Select(e => Convert.ToHexStringLower(SHA1Thumbprint(e.Certificate.RawData))));
            }

            return presented.Any(p => thumbprints.Contains(p, StringComparer.OrdinalIgnoreCase));
        },
    };

    // IdPs identify certificates by SHA-1 thumbprints (AWS's ThumbprintList); this compares, it does not secure.
#pragma warning disable CA5350 // SHA-1 is what a thumbprint is; it is matched against an operator-given list, not used for integrity.
    private static byte[] SHA1Thumbprint(byte[] raw) => SHA1.HashData(raw);
#pragma warning restore CA5350

    /// <summary>True for an absolute https URL, or http on a loopback host: the only URLs keys are fetched from.</summary>
    public static bool IsAllowedFetchUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && string.IsNullOrEmpty(uri.UserInfo)
        && (uri.Scheme == "https" || (uri.Scheme == "http" && IamOidcProviders.IsLoopbackHost(uri.Host)));

    /// <summary>
    /// The issuer's keys, refreshed when stale, or when <paramref name="kid"/> is not among them (rate-limited).
    /// Throws <see cref="OidcKeysUnavailableException"/> when no keys can be had at all.
    /// </summary>
    public async Task<IReadOnlyList<JsonWebKey>> GetKeysAsync(IamOidcProvider provider, string? kid, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var entry = _cache.GetOrAdd(provider.Url, _ => new Entry());
        var now = _time.GetUtcNow();
        var file = _files.GetValueOrDefault(provider.Url);
        var stale = now - entry.FetchedAt > MaxAge || (file is not null && FileChanged(file, entry));
        var unknownKid = kid is not null && !entry.Keys.Any(k => k.Kid == kid) && now - entry.LastUnknownKidRefresh >= UnknownKidRefreshInterval;
        if (!stale && !unknownKid)
        {
            return entry.Keys;
        }

        var gate = _locks.GetOrAdd(provider.Url, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            // Another caller may have refreshed while this one waited.
            now = _time.GetUtcNow();
            stale = now - entry.FetchedAt > MaxAge || (file is not null && FileChanged(file, entry));
            unknownKid = kid is not null && !entry.Keys.Any(k => k.Kid == kid) && now - entry.LastUnknownKidRefresh >= UnknownKidRefreshInterval;
            // After a failure, unauthenticated callers can't make the server try again before the interval is over.
            var backingOff = now - entry.LastFailure < UnknownKidRefreshInterval;
            if (backingOff && entry.Keys.Count == 0)
            {
                throw new OidcKeysUnavailableException(entry.FailureReason ?? "the keys could not be fetched");
            }

            if ((stale || unknownKid) && !backingOff)
            {
                if (unknownKid && !stale)
                {
                    entry.LastUnknownKidRefresh = now;
                }

                try
                {
                    var (keys, writeTime) = file is not null ? await ReadFileAsync(file, ct) : (await DiscoverAsync(provider, ct), default);
                    entry.Keys = keys;
                    entry.FetchedAt = now;
                    entry.FileWriteTime = writeTime;
                    entry.Refreshes++;
                }
                catch (OidcKeysUnavailableException e)
                {
                    entry.LastFailure = now;
                    entry.FailureReason = e.Message;
                    _fetchFailed?.Invoke(provider.Url, e.Message);
                    if (entry.Keys.Count == 0)
                    {
                        throw;
                    }
                }
            }

            return entry.Keys;
        }
        finally
        {
            gate.Release();
        }
    }

    private static bool FileChanged(string file, Entry entry)
    {
        try
        {
            return File.GetLastWriteTimeUtc(file) != entry.FileWriteTime;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static async Task<(IReadOnlyList<JsonWebKey> Keys, DateTime WriteTime)> ReadFileAsync(string file, CancellationToken ct)
    {
        try
        {
            var writeTime = File.GetLastWriteTimeUtc(file);
            var info = new FileInfo(file);
            if (info.Length > MaxDocumentBytes)
            {
                throw new OidcKeysUnavailableException($"the JWKS file {file} is larger than 1 MiB");
            }

            return (ParseKeys(await File.ReadAllTextAsync(file, ct), "the JWKS file " + file), writeTime);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OidcKeysUnavailableException($"the JWKS file {file} cannot be read: {e.GetType().Name}");
        }
    }

    private async Task<IReadOnlyList<JsonWebKey>> DiscoverAsync(IamOidcProvider provider, CancellationToken ct)
    {
        var discoveryUrl = provider.Url + "/.well-known/openid-configuration";
        var discovery = await FetchAsync(discoveryUrl, provider, ct);
        string? jwksUri;
        try
        {
            using var document = JsonDocument.Parse(discovery);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new OidcKeysUnavailableException($"{discoveryUrl} is not a JSON object");
            }

            var issuer = root.TryGetProperty("issuer", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
            if (IamOidcProviders.CanonicalIssuer(issuer)?.Url != provider.Url)
            {
                throw new OidcKeysUnavailableException($"{discoveryUrl} names another issuer");
            }

            jwksUri = root.TryGetProperty("jwks_uri", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
        }
        catch (JsonException)
        {
            throw new OidcKeysUnavailableException($"{discoveryUrl} is not valid JSON");
        }

        if (!IsAllowedFetchUrl(jwksUri))
        {
            throw new OidcKeysUnavailableException($"{discoveryUrl} names a jwks_uri that is not https (plain http is allowed only on loopback)");
        }

        return ParseKeys(await FetchAsync(jwksUri!, provider, ct), jwksUri!);
    }

    private async Task<string> FetchAsync(string url, IamOidcProvider provider, CancellationToken ct)
    {
        if (!IsAllowedFetchUrl(url))
        {
            throw new OidcKeysUnavailableException($"{url} is not https (plain http is allowed only on loopback)");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FetchTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Options.Set(ThumbprintsKey, provider.Thumbprints);
        // A fresh connection per fetch (fetches are rare): a pooled one would skip the certificate check above, so a
        // changed ThumbprintList, or another provider on the same host, would be judged by an earlier handshake.
        request.Headers.ConnectionClose = true;
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new OidcKeysUnavailableException($"{url} answered HTTP {(int)response.StatusCode}");
            }

            return await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new OidcKeysUnavailableException($"{url} could not be fetched: {e.GetType().Name}");
        }
    }

    /// <summary>The signing keys of a JWKS document: RSA and EC keys whose use is "sig" or unstated.</summary>
    internal static IReadOnlyList<JsonWebKey> ParseKeys(string json, string source)
    {
        try
        {
            var set = new JsonWebKeySet(json) { SkipUnresolvedJsonWebKeys = true };
            var keys = set.Keys.Where(k => k.Kty is "RSA" or "EC" && (string.IsNullOrEmpty(k.Use) || k.Use == "sig")).ToList();
            return keys.Count > 0 ? keys : throw new OidcKeysUnavailableException($"{source} holds no RSA or EC signing key");
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException)
        {
            throw new OidcKeysUnavailableException($"{source} is not a JWKS document");
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        foreach (var gate in _locks.Values)
        {
            gate.Dispose();
        }
    }
}
