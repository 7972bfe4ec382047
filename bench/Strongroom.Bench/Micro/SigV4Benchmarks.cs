using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Strongroom.Protocol.Aws.Auth;

namespace Strongroom.Bench.Micro;

/// <summary>
/// SigV4Verifier.VerifyAsync on a GetSecretValue request signed the way botocore signs it, with a fake
/// credential source (so no store round trip) and a fixed clock. Two header lookups: plain arrays (the
/// verifier alone) and a Kestrel HeaderDictionary read through the same lambda ApiEndpoint passes in.
/// </summary>
[MemoryDiagnoser]
public class SigV4Benchmarks
{
    private const string Host = "127.0.0.1:4566";
    private const string AmzDate = "20260115T120000Z";
    private SigV4Verifier _verifier = null!;
    private SigV4Request _arrays = null!;
    private SigV4Request _kestrel = null!;

    [GlobalSetup]
    public void Setup()
    {
        var body = "{\"SecretId\":\"bench/read/00042\"}"u8.ToArray();
        var signer = new SigV4Signer("AKIDBENCHMICRO", "micro-secret", "us-east-1");
        var authorization = signer.Authorization(Host, "secretsmanager.GetSecretValue", "secretsmanager", AmzDate, body);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Host"] = Host,
            ["Content-Type"] = SigV4Signer.ContentType,
            ["X-Amz-Target"] = "secretsmanager.GetSecretValue",
            ["X-Amz-Date"] = AmzDate,
            ["Authorization"] = authorization,
            ["Content-Length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var arrays = values.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[p.Value], StringComparer.OrdinalIgnoreCase);
        _arrays = new SigV4Request("POST", "/", string.Empty, name => arrays.TryGetValue(name, out var v) ? v : [], body);
        var headers = new HeaderDictionary();
        foreach (var (name, value) in values)
        {
            headers[name] = value;
        }

        _kestrel = new SigV4Request("POST", "/", string.Empty, name => headers[name].Select(v => v ?? string.Empty).ToArray(), body);
        _verifier = new SigV4Verifier(new FakeCredentials(Encoding.UTF8.GetBytes("micro-secret")), new FixedTime(new DateTimeOffset(2026, 1, 15, 12, 0, 30, TimeSpan.Zero)));
        // Fail now, not with a misleading number, if the request does not verify.
        _ = _verifier.VerifyAsync(_arrays, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _ = _verifier.VerifyAsync(_kestrel, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<CallerIdentity> Verify() => _verifier.VerifyAsync(_arrays, CancellationToken.None);

    [Benchmark]
    public ValueTask<CallerIdentity> VerifyWithServerHeaderLookup() => _verifier.VerifyAsync(_kestrel, CancellationToken.None);

    private sealed class FakeCredentials(byte[] secret) : ICredentialSource
    {
        private readonly ResolvedCredential _credential = new("arn:aws:iam::111122223333:user/admin", "admin", secret);

        public ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken) => new(_credential);
    }
}

/// <summary>A clock that never moves, so a signed request stays inside the 5-minute window.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
