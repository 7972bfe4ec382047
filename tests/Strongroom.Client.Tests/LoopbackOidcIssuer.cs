using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Strongroom.Client.Tests;

/// <summary>
/// A throw-away OpenID Connect issuer on loopback plain HTTP (the only plain-HTTP issuer the server fetches from):
/// discovery document and JWKS with one P-256 key, and ES256 ID tokens signed by it (JWS by hand: header.payload
/// signed with ECDsa's IEEE P1363 r||s, which is JWS's ES256 form). Counts the requests it serves. Dispose stops it.
/// </summary>
public sealed class LoopbackOidcIssuer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _kid = "k-" + Guid.NewGuid().ToString("N")[..8];
    private int _served;

    public LoopbackOidcIssuer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Url = $"http://127.0.0.1:{Port}/issuer";
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = ServeAsync();
    }

    public int Port { get; }

    /// <summary>The issuer URL (the tokens' iss; the IAM OIDC provider's URL).</summary>
    public string Url { get; }

    /// <summary>Requests served (discovery and JWKS).</summary>
    public int Served => Volatile.Read(ref _served);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _served);
            var p = _key.ExportParameters(false);
            var body = context.Request.Url!.AbsolutePath switch
            {
                "/issuer/.well-known/openid-configuration" => JsonSerializer.Serialize(new Dictionary<string, object> { ["issuer"] = Url, ["jwks_uri"] = Url + "/jwks", ["id_token_signing_alg_values_supported"] = new[] { "ES256" } }),
                "/issuer/jwks" => JsonSerializer.Serialize(new { keys = new[] { new { kty = "EC", crv = "P-256", use = "sig", alg = "ES256", kid = _kid, x = B64(p.Q.X!), y = B64(p.Q.Y!) } } }),
                _ => null,
            };
            context.Response.StatusCode = body is null ? 404 : 200;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body ?? "{}");
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An ES256 ID token for <paramref name="subject"/> and <paramref name="audience"/>, valid from now for <paramref name="lifetime"/>.</summary>
    public string Token(string subject, string audience, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", typ = "JWT", kid = _kid }));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new { iss = Url, sub = subject, aud = audience, iat = now, nbf = now, exp = now + (long)lifetime.TotalSeconds }));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return header + "." + payload + "." + B64(signature);
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _key.Dispose();
    }
}
