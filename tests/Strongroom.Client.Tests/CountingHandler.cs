using System.Collections.Concurrent;

namespace Strongroom.Client.Tests;

/// <summary>Counts the calls that go out, by X-Amz-Target, so a test can tell a cache hit from a fetch.</summary>
internal sealed class CountingHandler() : DelegatingHandler(new HttpClientHandler())
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public int this[string operation] => _counts.TryGetValue(operation, out var n) ? n : 0;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.First() : "?";
        _counts.AddOrUpdate(target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..], 1, (_, n) => n + 1);
        return base.SendAsync(request, cancellationToken);
    }
}
