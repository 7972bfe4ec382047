namespace Strongroom.Tests;

/// <summary>An HTTP handler that answers from a function and counts the requests by path (for the JWKS tests).</summary>
internal sealed class FakeHttpHandler : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, HttpResponseMessage> _answer;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    public FakeHttpHandler(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        _answer = answer;
    }

    public int Requests(string path) => _requests.GetValueOrDefault(path);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _requests.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
        return Task.FromResult(_answer(request));
    }
}
