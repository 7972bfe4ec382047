using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace Strongroom.Tests;

/// <summary>--tls-cert/--tls-key serve HTTPS; the loopback rule does not apply once TLS is on.</summary>
[Collection("processes")]
public sealed class TlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Server_WithTlsFlags_ServesHttps()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(_dir, "tls.crt");
        var keyFile = Path.Combine(_dir, "tls.key");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

        var port = ServerProcess.FreePort();
        using var process = Process.Start(ServerProcess.Command("server", "--dev", "--listen", $"127.0.0.1:{port}", "--tls-cert", certFile, "--tls-key", keyFile))!;
        try
        {
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            HttpResponseMessage? ready = null;
            while (DateTime.UtcNow < deadline && ready?.IsSuccessStatusCode != true)
            {
                try
                {
                    ready = await http.GetAsync(new Uri($"https://127.0.0.1:{port}/health/ready"));
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200);
                }
                catch (TaskCanceledException)
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(ready?.IsSuccessStatusCode == true, "the server did not answer over HTTPS");
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
