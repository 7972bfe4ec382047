using System.Net;
using System.Text;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Parameter policies enforced by the running server: expiration deletes, notifications reach the trail and the webhook.</summary>
[Collection("processes")]
public sealed class ParameterPolicyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-ssm-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Policies_ExpireAndNotify_ThroughTrailAndWebhook()
    {
        var port = ServerProcess.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var received = new List<string>();
        var receiving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                    var body = await reader.ReadToEndAsync();
                    lock (received)
                    {
                        received.Add(body);
                    }

                    context.Response.StatusCode = 204;
                    context.Response.Close();
                }
                catch (HttpListenerException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        });

        await using (var server = await ServerProcess.StartAsync(DataDir, extra: ["--maintenance-interval", "1s", "--event-webhook", $"http://127.0.0.1:{port}/hook/"]))
        {
            using var client = TestSigner.FromCredentialsFile(server.Endpoint, Path.Combine(DataDir, "admin.credentials"));
            var expiry = DateTimeOffset.UtcNow.AddSeconds(3).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var policies = "[{\"Type\":\"Expiration\",\"Version\":\"1.0\",\"Attributes\":{\"Timestamp\":\"" + expiry + "\"}},"
                + "{\"Type\":\"ExpirationNotification\",\"Version\":\"1.0\",\"Attributes\":{\"Before\":\"1\",\"Unit\":\"Hours\"}},"
                + "{\"Type\":\"NoChangeNotification\",\"Version\":\"1.0\",\"Attributes\":{\"After\":\"30\",\"Unit\":\"Days\"}}]";
            var (status, body) = await client.CallAsync("ssm", "PutParameter", new { Name = "/policy/short-lived", Value = "v", Type = "String", Tier = "Advanced", Policies = policies }, CancellationToken.None);
            Assert.True(status == 200, body.ToString());

            var deadline = DateTime.UtcNow.AddSeconds(30);
            int gone;
            do
            {
                await Task.Delay(250);
                (gone, _) = await client.CallAsync("ssm", "GetParameter", new { Name = "/policy/short-lived" }, CancellationToken.None);
            }
            while (gone == 200 && DateTime.UtcNow < deadline);
            Assert.Equal(400, gone);

            // Both policy actions reach the webhook from the outbox: the notification and the expiration's deletion.
            while (DateTime.UtcNow < deadline && Count() < 2)
            {
                await Task.Delay(250);
            }

            await server.TerminateAsync();
        }

        listener.Stop();
        await receiving;

        int Count()
        {
            lock (received)
            {
                return received.Count;
            }
        }
        lock (received)
        {
            Assert.Equal(2, received.Count);
            Assert.All(received, r => Assert.Contains("\"detail-type\":\"Parameter Store Policy Action\",\"source\":\"strongroom.ssm\"", r, StringComparison.Ordinal));
            Assert.Contains("\"policyType\":\"ExpirationNotification\"", received[0], StringComparison.Ordinal);
            Assert.Contains("\"policyType\":\"Expiration\",\"action\":\"DeleteParameter\"", received[1], StringComparison.Ordinal);
        }

        var (_, trail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", DataDir);
        Assert.Contains("\"eventName\":\"ExpirationNotification\"", trail, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Expiration policy\"", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("\"eventName\":\"NoChangeNotification\"", trail, StringComparison.Ordinal);
    }
}
