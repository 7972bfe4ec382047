using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Core.Identity;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The server's verifier against tests/vectors/sigv4.json, the same file the web console's signer is tested with
/// (src/Strongroom.Console/test/sigv4.test.ts): a vector both accept is a signature the server takes from the console.
/// </summary>
public sealed class SharedSigV4VectorTests
{
    private static readonly JsonElement[] Vectors = Load();

    private static JsonElement[] Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "sigv4.json")));
        return [.. document.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.Clone())];
    }

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var vector in Vectors)
        {
            names.Add(vector.GetProperty("name").GetString()!);
        }

        return names;
    }

    private sealed class Keys(JsonElement vector) : ICredentialSource
    {
        public ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken)
        {
            var token = vector.TryGetProperty("sessionToken", out var t) ? t.GetString() : null;
            return ValueTask.FromResult(accessKeyId == vector.GetProperty("accessKeyId").GetString()
                ? new ResolvedCredential(
                    "arn:aws:iam::111122223333:user/x", "x",
                    Encoding.UTF8.GetBytes(vector.GetProperty("secretAccessKey").GetString()!),
                    token is null ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))),
                    token is null ? null : DateTimeOffset.MaxValue,
                    Kind: token is null ? PrincipalKind.User : PrincipalKind.UserSession)
                : null);
        }
    }

    private static (SigV4Verifier Verifier, SigV4Request Request) Build(string name, Func<string, string>? tamperSignature = null)
    {
        var v = Vectors.Single(x => x.GetProperty("name").GetString() == name);
        var amzDate = v.GetProperty("amzDate").GetString()!;
        var expected = v.GetProperty("expected");
        var scope = $"{amzDate[..8]}/{v.GetProperty("region").GetString()}/{v.GetProperty("service").GetString()}/aws4_request";
        var signature = expected.GetProperty("signature").GetString()!;
        var headers = new List<(string Name, string Value)> { ("Host", v.GetProperty("host").GetString()!), ("X-Amz-Date", amzDate) };
        headers.AddRange(v.GetProperty("headers").EnumerateObject().Select(h => (h.Name, h.Value.GetString()!)));
        if (v.TryGetProperty("sessionToken", out var token))
        {
            headers.Add(("X-Amz-Security-Token", token.GetString()!));
        }

        headers.Add(("Authorization", $"AWS4-HMAC-SHA256 Credential={v.GetProperty("accessKeyId").GetString()}/{scope}, SignedHeaders={expected.GetProperty("signedHeaders").GetString()}, Signature={(tamperSignature ?? (s => s))(signature)}"));
        var request = new SigV4Request(v.GetProperty("method").GetString()!, v.GetProperty("path").GetString()!, string.Empty,
            header => [.. headers.Where(h => string.Equals(h.Name, header, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)],
            Encoding.UTF8.GetBytes(v.GetProperty("body").GetString()!));
        var now = DateTimeOffset.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
        return (new SigV4Verifier(new Keys(v), new FakeTimeProvider(now)), request);
    }

    [Fact]
    public void VectorFile_HoldsTheFiveSpecVectors()
    {
        Assert.Equal(["get-vanilla", "post-vanilla", "get-header-value-trim", "secretsmanager-get-secret-value", "kms-generate-data-key-session-token"], Vectors.Select(v => v.GetProperty("name").GetString()));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task VerifyAsync_SharedVector_Accepts(string name)
    {
        var (verifier, request) = Build(name);
        var caller = await verifier.VerifyAsync(request, CancellationToken.None);
        Assert.Equal(Vectors.Single(x => x.GetProperty("name").GetString() == name).GetProperty("service").GetString(), caller.Service);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task VerifyAsync_SharedVectorWithOneSignatureDigitChanged_InvalidSignature(string name)
    {
        var (verifier, request) = Build(name, s => (s[0] == '0' ? "1" : "0") + s[1..]);
        var error = await Assert.ThrowsAsync<AwsError>(async () => await verifier.VerifyAsync(request, CancellationToken.None));
        Assert.Equal("InvalidSignatureException", error.Code);
    }
}
