using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The web console's files on the server's own listener: the security headers on every answer, nothing fetched from
/// another host, and `--console off`. What the page does is proven in a real browser (tests/e2e/console).
/// </summary>
[Collection("processes")]
public sealed class ConsoleServingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-console-").FullName;
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false });

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, true);
    }

    private static void AssertHardened(HttpResponseMessage response)
    {
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("require-trusted-types-for 'script'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("http", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Cross-Origin-Opener-Policy").Single());
    }

    [Fact]
    public async Task Console_ServedWithStrictHeaders_NothingFromAnotherHost()
    {
        await using var server = await ServerProcess.StartAsync(Path.Combine(_dir, "data"));
        Assert.Contains("\"EventId\":7500", server.Output, StringComparison.Ordinal);

        using var redirect = await _http.GetAsync(new Uri(server.Endpoint, "/console"));
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal("/console/", redirect.Headers.Location?.ToString());
        AssertHardened(redirect);

        using var index = await _http.GetAsync(new Uri(server.Endpoint, "/console/"));
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        AssertHardened(index);
        var html = await index.Content.ReadAsStringAsync();
        // One module script by URL, no inline script or handler, nothing from another host.
        Assert.Matches("<script type=\"module\" src=\"app.js\"></script>", html);
        Assert.Single(Regex.Matches(html, "<script"));
        Assert.DoesNotMatch(" on[a-z]+=", html);
        Assert.DoesNotContain("//", Regex.Replace(html, "<!--.*?-->", string.Empty), StringComparison.Ordinal);

        foreach (var asset in new[] { "app.js", "app.css", "favicon.svg" })
        {
            using var response = await _http.GetAsync(new Uri(server.Endpoint, "/console/" + asset));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            AssertHardened(response);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(text.Length > 0, asset);
            // No URL of another host that a browser would fetch (the SVG's XML namespace is not fetched).
            Assert.DoesNotMatch(@"(url\(|import\(|src=|href=|fetch\()\s*['""]?(https?:)?//", text);
            var etag = response.Headers.ETag!.Tag;
            using var conditional = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Endpoint, "/console/" + asset));
            conditional.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var notModified = await _http.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        using var config = await _http.GetAsync(new Uri(server.Endpoint, "/console/config.json"));
        Assert.Equal("{\"region\":\"us-east-1\"}", await config.Content.ReadAsStringAsync());

        using var missing = await _http.GetAsync(new Uri(server.Endpoint, "/console/../strongroom.db"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var traversal = await _http.GetAsync(new Uri(server.Endpoint, "/console/%2e%2e/admin.credentials"));
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
        Assert.DoesNotContain("aws_secret_access_key", await traversal.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(server.Endpoint, "/console/app.js")));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        // The console is only read: a POST under /console/ is not the API and not served.
        using var post = await _http.PostAsync(new Uri(server.Endpoint, "/console/"), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task Console_Off_NotServed_ApiStillServes()
    {
        await using var server = await ServerProcess.StartAsync(Path.Combine(_dir, "data"), extra: ["--console", "off"]);
        Assert.Contains("\"EventId\":7501", server.Output, StringComparison.Ordinal);
        foreach (var path in new[] { "/console/", "/console/app.js", "/console" })
        {
            using var response = await _http.GetAsync(new Uri(server.Endpoint, path));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var admin = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(_dir, "data", "admin.credentials"));
        Assert.Equal(200, (await admin.CallAsync("ListSecrets", new { })).Status);
    }

    [Fact]
    public async Task Console_BadFlagValue_RefusesToStart()
    {
        var (code, output) = await ServerProcess.RunAsync("server", "--data-dir", Path.Combine(_dir, "data"), "--listen", $"127.0.0.1:{ServerProcess.FreePort()}", "--console", "maybe");
        Assert.Equal(2, code);
        Assert.Contains("--console: 'maybe' is not on or off", output, StringComparison.Ordinal);
    }
}
