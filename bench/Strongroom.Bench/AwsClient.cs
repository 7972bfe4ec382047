using System.Net;
using System.Text.Json;

namespace Strongroom.Bench;

/// <summary>A signed awsJson 1.1 caller for setup and loading (not for the timed loops). Not thread-safe.</summary>
internal sealed class AwsClient : IDisposable
{
    private readonly RawHttpConnection _connection;
    private readonly SigV4Signer _signer;

    public AwsClient(IPEndPoint endPoint, SigV4Signer signer)
    {
        _connection = new RawHttpConnection(endPoint);
        _signer = signer;
    }

    public static string ServiceOf(string target) =>
        target.StartsWith("TrentService.", StringComparison.Ordinal) ? "kms"
        : target.StartsWith("com.amazonaws.cloudtrail.", StringComparison.Ordinal) ? "cloudtrail"
        : "secretsmanager";

    /// <summary>Calls <paramref name="target"/> and returns the parsed answer; throws on a non-200 status.</summary>
    public async Task<JsonElement> CallAsync(string target, object body, CancellationToken ct)
    {
        var bytes = body as byte[] ?? JsonSerializer.SerializeToUtf8Bytes(body);
        var result = await _connection.PostAsync(_signer, target, ServiceOf(target), bytes, captureBody: true, ct);
        if (result.Status != 200)
        {
            throw new InvalidOperationException($"{target} answered HTTP {result.Status}: {result.BodyText}");
        }

        using var document = JsonDocument.Parse(result.Body ?? []);
        return document.RootElement.Clone();
    }

    /// <summary>Calls IAM or STS (<paramref name="service"/>) over the Query protocol and returns the XML answer; throws on a non-200 status.</summary>
    public async Task<string> QueryAsync(string service, IReadOnlyDictionary<string, string> parameters, CancellationToken ct)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(string.Join('&', parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
        var result = await _connection.QueryAsync(_signer, service, body, ct);
        if (result.Status != 200)
        {
            throw new InvalidOperationException($"{service} {parameters.GetValueOrDefault("Action")} answered HTTP {result.Status}: {result.BodyText}");
        }

        return result.BodyText;
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>
    /// Runs <paramref name="work"/> for indexes [from, to) on <paramref name="connections"/> concurrent
    /// clients, printing progress every 10 s; indexes for which <paramref name="skip"/> is true are passed over.
    /// </summary>
    public static async Task ForEachAsync(IPEndPoint endPoint, SigV4Signer signer, int connections, long from, long to, string what, Func<AwsClient, long, Task> work, CancellationToken ct, Func<long, bool>? skip = null)
    {
        var nextIndex = from - 1;
        var done = 0L;
        using var progress = new Timer(_ => Console.Error.WriteLine($"  {what}: {Interlocked.Read(ref done):N0} of {to - from:N0}"), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            using var client = new AwsClient(endPoint, signer);
            while (true)
            {
                var i = Interlocked.Increment(ref nextIndex);
                if (i >= to)
                {
                    return;
                }

                if (skip?.Invoke(i) == true)
                {
                    continue;
                }

                await work(client, i);
                Interlocked.Increment(ref done);
            }
        }, ct)).ToList();
        await Task.WhenAll(workers);
    }
}
