using Xunit;

using System.Net.Http.Headers;
using System.Text;

namespace Strongroom.Client.Tests;

/// <summary>The signer against every vector of shared/api/sigv4.md §6.</summary>
public sealed class SigV4SignerTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly AwsCredentials Example = new("AKIDEXAMPLE", Secret);
    private static readonly DateTimeOffset Suite = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Json = new(2024, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static string Signature(HttpRequestMessage request)
    {
        var auth = request.Headers.GetValues("Authorization").Single();
        return auth[(auth.IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)..];
    }

    private static HttpRequestMessage JsonRequest(string uri, string target, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Content = content;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        return request;
    }

    [Fact]
    public void SigningKey_GetVanillaScope_MatchesDerivedKey()
    {
        Assert.Equal("938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75", Convert.ToHexStringLower(SigV4Signer.SigningKey(Secret, "20150830", "us-east-1", "service")));
    }

    [Fact]
    public void SigningKey_SecretsManagerScope_MatchesDerivedKey()
    {
        Assert.Equal("870b4b1eae97ebc1374d915002c58bd907344e4fd11a681a88b88f1110c24729", Convert.ToHexStringLower(SigV4Signer.SigningKey(Secret, "20240115", "us-east-1", "secretsmanager")));
    }

    [Fact]
    public void SigningKey_KmsScope_MatchesDerivedKey()
    {
        Assert.Equal("7dc7def2d1bc8036681ceab27e542c63886c844848158f1b359881fc00e13a92", Convert.ToHexStringLower(SigV4Signer.SigningKey(Secret, "20240115", "us-east-1", "kms")));
    }

    [Fact]
    public void Sign_GetVanilla_MatchesSuite()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://example.amazonaws.com/");
        SigV4Signer.Sign(request, [], "service", "us-east-1", Example, Suite);
        Assert.Equal("20150830T123600Z", request.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public void Sign_PostVanilla_MatchesSuite()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://example.amazonaws.com/");
        SigV4Signer.Sign(request, [], "service", "us-east-1", Example, Suite);
        Assert.Equal("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", Signature(request));
    }

    [Fact]
    public void Sign_GetHeaderValueTrim_MatchesSuite()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://example.amazonaws.com/");
        request.Headers.TryAddWithoutValidation("My-Header1", "value1");
        request.Headers.TryAddWithoutValidation("My-Header2", "\"a   b   c\"");
        SigV4Signer.Sign(request, [], "service", "us-east-1", Example, Suite);
        Assert.Contains("SignedHeaders=host;my-header1;my-header2;x-amz-date,", request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
        Assert.Equal("acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736", Signature(request));
    }

    [Fact]
    public async Task SignAsync_SecretsManagerJson_MatchesBotocore()
    {
        using var request = JsonRequest("http://localhost:8080/", "secretsmanager.GetSecretValue", "{\"SecretId\": \"MyTestSecret\"}");
        await SigV4Signer.SignAsync(request, "secretsmanager", "us-east-1", Example, Json);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=9edc58540dad2b3f71ec9b24eabf01ad3425f0faea214778e47161978498d3ef",
            request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public async Task SignAsync_KmsWithSessionToken_MatchesBotocoreAndSendsToken()
    {
        const string body = "{\"KeyId\": \"alias/aws/secretsmanager\", \"KeySpec\": \"AES_256\", \"EncryptionContext\": {\"SecretARN\": \"arn:aws:secretsmanager:us-east-1:111122223333:secret:MyTestSecret-a1b2c3\", \"SecretVersionId\": \"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\"}}";
        using var request = JsonRequest("https://kms.us-east-1.amazonaws.com/", "TrentService.GenerateDataKey", body);
        await SigV4Signer.SignAsync(request, "kms", "us-east-1", Example with { SessionToken = "FQoGZXIvYXdzEXAMPLETOKEN" }, Json);
        Assert.Equal("FQoGZXIvYXdzEXAMPLETOKEN", request.Headers.GetValues("X-Amz-Security-Token").Single());
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,", request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
        Assert.Equal("734a71bb1d2cacb25aaa53a6ddc56cb23ed4b4c2195c53cef51cb1b3392335f6", Signature(request));
    }

    [Fact]
    public void Sign_Twice_ReplacesHeadersInsteadOfDuplicating()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://example.amazonaws.com/");
        SigV4Signer.Sign(request, [], "service", "us-east-1", Example, Suite.AddDays(1));
        SigV4Signer.Sign(request, [], "service", "us-east-1", Example, Suite);
        Assert.Equal("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", Signature(request));
    }

    [Fact]
    public void AwsCredentials_ToString_HidesSecretAndToken()
    {
        var text = (Example with { SessionToken = "TOKEN-VALUE" }).ToString();
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("TOKEN-VALUE", text, StringComparison.Ordinal);
    }
}
