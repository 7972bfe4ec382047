using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>The agent while its server is gone: cached values for --max-stale, marked stale, then a clear 503. Its own server, since it kills it.</summary>
public sealed class AgentStaleTests
{
    [Fact]
    public async Task Get_ServerGone_StaleForABoundedTimeThen503()
    {
        var server = new StrongroomServer();
        await server.InitializeAsync();
        AgentProcess? agent = null;
        var serverStopped = false;
        try
        {
            using var http = new HttpClient();
            var name = "stale/" + Guid.NewGuid().ToString("N")[..8];
            await server.Client(http).CallAsync("secretsmanager", "secretsmanager.CreateSecret", new { Name = name, SecretString = "held", ClientRequestToken = Guid.NewGuid().ToString() });
            agent = await AgentProcess.StartAsync(server.Endpoint, "--max-stale", "3s");
            var url = $"http://127.0.0.1:{agent.Port}/secretsmanager/get?secretId={name}";
            var header = "X-Aws-Parameters-Secrets-Token: " + agent.Token;
            Assert.Equal((200, string.Empty), Pick(await AgentProcess.CurlAsync(url, header)));
            await server.DisposeAsync();
            serverStopped = true;

            // Served, marked stale, while the outage is shorter than --max-stale...
            (int Status, string Body, string Stale) r;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            do
            {
                r = await AgentProcess.CurlAsync(url, header);
            }
            while (r.Stale != "true" && r.Status == 200 && DateTime.UtcNow < deadline);
            Assert.Equal(200, r.Status);
            Assert.Equal("true", r.Stale);
            Assert.Contains("held", r.Body, StringComparison.Ordinal);

            // ...then refused with a clear error.
            await Task.Delay(TimeSpan.FromSeconds(4));
            r = await AgentProcess.CurlAsync(url, header);
            Assert.Equal(503, r.Status);
            Assert.Contains("ServiceUnavailable", r.Body, StringComparison.Ordinal);
            Assert.Contains("has not answered", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("held", r.Body, StringComparison.Ordinal);
        }
        finally
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            if (!serverStopped)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static (int, string) Pick((int Status, string Body, string Stale) r) => (r.Status, r.Stale);
}
