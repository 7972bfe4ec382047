using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Core.Identity;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Xunit;

namespace Strongroom.Tests;

public sealed class SigV4VectorTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private sealed class Keys(string? secret = Secret) : ICredentialSource
    {
        public ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(accessKeyId == "AKIDEXAMPLE" ? new ResolvedCredential("arn:aws:iam::111122223333:user/x", "x", secret is null ? null : Encoding.UTF8.GetBytes(secret)) : null);
    }

    private static SigV4Request Request(string method, string body, params (string Name, string Value)[] headers) =>
        new(method, "/", string.Empty, name => headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray(), Encoding.UTF8.GetBytes(body));

    private static SigV4Verifier Verifier(DateTimeOffset now) => new(new Keys(), new FakeTimeProvider(now));

    private static readonly DateTimeOffset VanillaTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    [Fact]
    public void DeriveSigningKey_GetVanilla_MatchesPublishedKey()
    {
        var key = SigV4Verifier.DeriveSigningKey(Encoding.UTF8.GetBytes(Secret), "20150830", "us-east-1", "service");
        Assert.Equal("938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75", Convert.ToHexStringLower(key));
    }

    [Theory]
    [InlineData("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    public async Task VerifyAsync_AwsSuiteVanilla_Accepts(string method, string signature)
    {
        var request = Request(method, string.Empty,
            ("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"));
        var caller = await Verifier(VanillaTime).VerifyAsync(request, CancellationToken.None);
        Assert.Equal("service", caller.Service);
        Assert.Equal("us-east-1", caller.Region);
    }

    [Fact]
    public async Task VerifyAsync_HeaderValueTrim_Accepts()
    {
        var request = Request("GET", string.Empty,
            ("Host", "example.amazonaws.com"), ("My-Header1", "value1"), ("My-Header2", "\"a   b   c\""), ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
        await Verifier(VanillaTime).VerifyAsync(request, CancellationToken.None);
    }

    private static readonly DateTimeOffset SmTime = new(2024, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static SigV4Request SecretsManagerRequest(string body = "{\"SecretId\": \"MyTestSecret\"}", string date = "20240115T120000Z", string scopeDate = "20240115", string signature = "9edc58540dad2b3f71ec9b24eabf01ad3425f0faea214778e47161978498d3ef", string key = "AKIDEXAMPLE") =>
        Request("POST", body,
            ("Host", "localhost:8080"), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.GetSecretValue"), ("X-Amz-Date", date),
            ("Authorization", $"AWS4-HMAC-SHA256 Credential={key}/{scopeDate}/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={signature}"));

    [Fact]
    public async Task VerifyAsync_SecretsManagerVector_Accepts()
    {
        var caller = await Verifier(SmTime).VerifyAsync(SecretsManagerRequest(), CancellationToken.None);
        Assert.Equal("secretsmanager", caller.Service);
        Assert.Equal("AKIDEXAMPLE", caller.AccessKeyId);
    }

    [Fact]
    public async Task VerifyAsync_KmsVectorWithSessionToken_Accepts()
    {
        const string body = "{\"KeyId\": \"alias/aws/secretsmanager\", \"KeySpec\": \"AES_256\", \"EncryptionContext\": {\"SecretARN\": \"arn:aws:secretsmanager:us-east-1:111122223333:secret:MyTestSecret-a1b2c3\", \"SecretVersionId\": \"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\"}}";
        Assert.Equal("f0af3868d115058a426811a7ba9086f6432757cb15c89a5af21e4c6fab2671cd", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        var request = Request("POST", body,
            ("Host", "kms.us-east-1.amazonaws.com"), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.GenerateDataKey"),
            ("X-Amz-Date", "20240115T120000Z"), ("X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=734a71bb1d2cacb25aaa53a6ddc56cb23ed4b4c2195c53cef51cb1b3392335f6"));
        var caller = await Verifier(SmTime).VerifyAsync(request, CancellationToken.None);
        Assert.Equal("kms", caller.Service);
    }

    private static async Task<AwsError> Rejects(SigV4Request request, DateTimeOffset now) =>
        await Assert.ThrowsAsync<AwsError>(async () => await Verifier(now).VerifyAsync(request, CancellationToken.None));

    [Fact]
    public async Task VerifyAsync_FlippedBodyByte_InvalidSignature()
    {
        var error = await Rejects(SecretsManagerRequest(body: "{\"SecretId\": \"MyTestSecreu\"}"), SmTime);
        Assert.Equal("InvalidSignatureException", error.Code);
        Assert.StartsWith("The request signature we calculated does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_FiveMinutesOneSecondLate_SignatureExpired()
    {
        var error = await Rejects(SecretsManagerRequest(), SmTime.AddMinutes(5).AddSeconds(1));
        Assert.Equal("InvalidSignatureException", error.Code);
        Assert.Equal("Signature expired: 20240115T120000Z is now earlier than 20240115T120001Z (20240115T120501Z - 5 min.)", error.Message);
    }

    [Fact]
    public async Task VerifyAsync_FiveMinutesOneSecondEarly_NotYetCurrent()
    {
        var error = await Rejects(SecretsManagerRequest(), SmTime.AddMinutes(-5).AddSeconds(-1));
        Assert.Equal("Signature not yet current: 20240115T120000Z is still later than 20240115T115959Z (20240115T115459Z + 5 min.)", error.Message);
    }

    [Fact]
    public async Task VerifyAsync_ScopeDateMismatch_InvalidSignature()
    {
        var error = await Rejects(SecretsManagerRequest(scopeDate: "20240114"), SmTime);
        Assert.Equal("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240114' != '20240115', from '20240115T120000Z'.", error.Message);
    }

    [Fact]
    public async Task VerifyAsync_UnknownAccessKey_UnrecognizedClient()
    {
        var error = await Rejects(SecretsManagerRequest(key: "AKIDOTHER"), SmTime);
        Assert.Equal("UnrecognizedClientException", error.Code);
        Assert.Equal("The security token included in the request is invalid.", error.Message);
    }

    [Fact]
    public async Task VerifyAsync_NoAuthorization_MissingAuthenticationToken()
    {
        var error = await Rejects(Request("POST", "{}", ("Host", "h"), ("X-Amz-Date", "20240115T120000Z")), SmTime);
        Assert.Equal("MissingAuthenticationTokenException", error.Code);
    }

    [Fact]
    public async Task VerifyAsync_MalformedAuthorization_IncompleteSignature()
    {
        var error = await Rejects(Request("POST", "{}", ("Host", "h"), ("X-Amz-Date", "20240115T120000Z"), ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/secretsmanager/aws4_request")), SmTime);
        Assert.Equal("IncompleteSignatureException", error.Code);
        Assert.Contains("Authorization header requires 'Signature' parameter.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_SignedHeaderMissingFromRequest_InvalidSignature()
    {
        var request = Request("POST", "{}", ("Host", "localhost:8080"), ("X-Amz-Date", "20240115T120000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00"));
        var error = await Rejects(request, SmTime);
        Assert.Equal("InvalidSignatureException", error.Code);
    }

    private sealed class SessionKeys(string tokenHash, DateTimeOffset expiration) : ICredentialSource
    {
        public ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ResolvedCredential?>(new ResolvedCredential("arn:aws:sts::111122223333:assumed-role/r/s", accessKeyId, Encoding.UTF8.GetBytes(Secret), tokenHash, expiration, Kind: PrincipalKind.AssumedRoleSession));
    }

    private static SigV4Request KmsSessionRequest() => Request("POST",
        "{\"KeyId\": \"alias/aws/secretsmanager\", \"KeySpec\": \"AES_256\", \"EncryptionContext\": {\"SecretARN\": \"arn:aws:secretsmanager:us-east-1:111122223333:secret:MyTestSecret-a1b2c3\", \"SecretVersionId\": \"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\"}}",
        ("Host", "kms.us-east-1.amazonaws.com"), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.GenerateDataKey"),
        ("X-Amz-Date", "20240115T120000Z"), ("X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=734a71bb1d2cacb25aaa53a6ddc56cb23ed4b4c2195c53cef51cb1b3392335f6"));

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    [Fact]
    public async Task VerifyAsync_SessionCredentials_CheckTokenAndExpiry()
    {
        var valid = new SigV4Verifier(new SessionKeys(Hash("FQoGZXIvYXdzEXAMPLETOKEN"), SmTime.AddMinutes(15)), new FakeTimeProvider(SmTime));
        Assert.Equal("kms", (await valid.VerifyAsync(KmsSessionRequest(), CancellationToken.None)).Service);

        var expired = new SigV4Verifier(new SessionKeys(Hash("FQoGZXIvYXdzEXAMPLETOKEN"), SmTime.AddSeconds(-1)), new FakeTimeProvider(SmTime));
        var error = await Assert.ThrowsAsync<AwsError>(async () => await expired.VerifyAsync(KmsSessionRequest(), CancellationToken.None));
        Assert.Equal("ExpiredTokenException", error.Code);
        Assert.Equal("The security token included in the request is expired", error.Message);

        var otherToken = new SigV4Verifier(new SessionKeys(Hash("another-token"), SmTime.AddMinutes(15)), new FakeTimeProvider(SmTime));
        Assert.Equal("UnrecognizedClientException", (await Assert.ThrowsAsync<AwsError>(async () => await otherToken.VerifyAsync(KmsSessionRequest(), CancellationToken.None))).Code);
    }
}
