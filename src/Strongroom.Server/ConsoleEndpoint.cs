using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.WebConsole;

namespace Strongroom.Server;

/// <summary>
/// GET/HEAD /console/…: the web console's files, embedded in Strongroom.Console, on the API's own listener. The
/// console holds no server-side state and adds no way in: the page signs every API call in the browser with the
/// access key the person typed (kept in the page's memory only), so it can do exactly what that principal's
/// policies allow. Every answer carries a strict Content-Security-Policy (only this origin's script and styles,
/// no inline script, no framing) and the usual hardening headers. Thread-safe.
/// </summary>
public sealed class ConsoleEndpoint
{
    /// <summary>
    /// Only this origin, no inline script or style, no plugins, no framing, no form posts (the sign-in form never
    /// submits: a native submission would put the secret key in a URL), and Trusted Types so that no string can
    /// become markup or script through a DOM sink; the one policy allowed parses the XML answers of IAM and STS.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
        + "require-trusted-types-for 'script'; trusted-types strongroom-xml";

    private readonly byte[] _config;

    public ConsoleEndpoint(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // What the page needs before sign-in: the region to sign for by default.
        _config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["region"] = options.Region });
    }

    /// <summary>True for the paths this endpoint answers: /console and everything under /console/.</summary>
    public static bool Serves(string? path) =>
        path is not null && (path == "/console" || path.StartsWith("/console/", StringComparison.Ordinal));

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        AddHeaders(context);
        var path = context.Request.Path.Value ?? string.Empty;
        if (path == "/console")
        {
            response.StatusCode = StatusCodes.Status301MovedPermanently;
            response.Headers.Location = "/console/";
            return;
        }

        var relative = path["/console/".Length..];
        if (relative.Length == 0)
        {
            relative = "index.html";
        }

        if (relative == "config.json")
        {
            await WriteAsync(context, "application/json; charset=utf-8", _config, null);
            return;
        }

        if (!ConsoleAssets.All.TryGetValue(relative, out var asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync("Not found.");
            return;
        }

        await WriteAsync(context, asset.ContentType, asset.Content, asset.ETag);
    }

    private static async Task WriteAsync(HttpContext context, string contentType, byte[] content, string? etag)
    {
        var response = context.Response;
        if (etag is not null)
        {
            response.Headers.ETag = etag;
            if (context.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(content, context.RequestAborted);
        }
    }

    private static void AddHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), clipboard-read=()";
        // Revalidate every time (ETag): a new server version's console is never mixed with an old cached one.
        headers.CacheControl = "no-cache";
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = "max-age=31536000";
        }
    }
}
