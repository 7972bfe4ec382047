using System.Globalization;
using System.Xml.Linq;

namespace Strongroom.Client;

/// <summary>
/// Temporary credentials from STS AssumeRoleWithWebIdentity on the configured endpoint (Strongroom, or AWS's STS):
/// the token file is read at each call, the call is unsigned (the token is the proof), and the answer is kept until
/// <see cref="RefreshBefore"/> before it expires (or half its lifetime, when shorter). Concurrent callers share one
/// refresh. If a refresh fails while the held credentials are still valid, they are used and the next call tries
/// again. The token is never put in an exception message. Thread-safe.
/// </summary>
public sealed class WebIdentityCredentials
{
    /// <summary>How long before expiry credentials are renewed.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);
    private static readonly XNamespace Sts = "https://sts.amazonaws.com/doc/2011-06-15/";
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly WebIdentitySettings _settings;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (AwsCredentials Credentials, DateTimeOffset Expires, DateTimeOffset RefreshAt)? _held;

    public WebIdentityCredentials(HttpClient http, Uri endpoint, WebIdentitySettings settings, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(settings);
        _http = http;
        _endpoint = endpoint;
        _settings = settings;
        _time = time ?? TimeProvider.System;
    }

    public WebIdentitySettings Settings => _settings;

    /// <summary>Valid credentials, assuming the role again when those held are near their expiry.</summary>
    /// <exception cref="AwsServiceException">STS refused (the token, the trust policy) and nothing valid is held.</exception>
    /// <exception cref="ClientConfigurationException">The token file cannot be read and nothing valid is held.</exception>
    public async ValueTask<AwsCredentials> GetAsync(CancellationToken ct = default)
    {
        if (_held is { } held && _time.GetUtcNow() < held.RefreshAt)
        {
            return held.Credentials;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_held is { } again && now < again.RefreshAt)
            {
                return again.Credentials;
            }

            try
            {
                var (credentials, expires) = await AssumeAsync(ct).ConfigureAwait(false);
                var lifetime = expires - now;
                _held = (credentials, expires, expires - (lifetime / 2 < RefreshBefore ? lifetime / 2 : RefreshBefore));
                return credentials;
            }
            catch (Exception e) when (e is AwsServiceException or HttpRequestException or ClientConfigurationException && _held is { } stillValid && now < stillValid.Expires)
            {
                return stillValid.Credentials;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(AwsCredentials Credentials, DateTimeOffset Expires)> AssumeAsync(CancellationToken ct)
    {
        string token;
        try
        {
            token = (await File.ReadAllTextAsync(_settings.TokenFile, ct).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClientConfigurationException($"The web identity token file {_settings.TokenFile} cannot be read: {e.Message}");
        }

        var session = _settings.SessionName is { Length: > 0 } name ? name : "strongroom-client-" + _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity",
            ["Version"] = "2011-06-15",
            ["RoleArn"] = _settings.RoleArn,
            ["RoleSessionName"] = session,
            ["WebIdentityToken"] = token,
        });
        using var response = await _http.PostAsync(_endpoint, form, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
        XDocument document;
        try
        {
            document = XDocument.Parse(text);
        }
        catch (System.Xml.XmlException)
        {
            throw new AwsServiceException(response.IsSuccessStatusCode ? "InvalidResponse" : "Unknown", $"AssumeRoleWithWebIdentity answered HTTP {(int)response.StatusCode} without an STS XML document.", (int)response.StatusCode, requestId);
        }

        if (!response.IsSuccessStatusCode)
        {
            var error = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            string? Part(string part) => error?.Elements().FirstOrDefault(e => e.Name.LocalName == part)?.Value;
            throw new AwsServiceException(Part("Code") ?? "Unknown", "AssumeRoleWithWebIdentity: " + (Part("Message") ?? $"HTTP {(int)response.StatusCode}"), (int)response.StatusCode, requestId);
        }

        var answer = document.Descendants(Sts + "Credentials").FirstOrDefault() ?? document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Credentials");
        string Value(string member) => answer?.Elements().FirstOrDefault(e => e.Name.LocalName == member)?.Value is { Length: > 0 } v
            ? v
            : throw new AwsServiceException("InvalidResponse", $"AssumeRoleWithWebIdentity's answer has no Credentials/{member}.", (int)response.StatusCode, requestId);
        var expires = DateTimeOffset.Parse(Value("Expiration"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return (new AwsCredentials(Value("AccessKeyId"), Value("SecretAccessKey"), Value("SessionToken")), expires);
    }
}
