using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Strongroom.Core;
using Strongroom.Core.Errors;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Web identity federation in process, with a fake clock and an in-memory issuer (discovery document and JWKS
/// served by a fake HTTP handler): the lifetime boundaries, the key cache's rate limits, and the pure rules
/// (issuer URLs, Federated principals, session tags, known regions).
/// </summary>
public sealed class WebIdentityTests : IAsyncLifetime, IDisposable
{
    private const string Issuer = "https://issuer.test/cluster";
    private const string Audience = "strongroom";
    private const string Subject = "system:serviceaccount:payments:api";
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private string _kid = "k1";
    private bool _fail;
    private ServiceFixture _fx = null!;
    private FakeHttpHandler _http = null!;
    private IamService _iam = null!;
    private OidcKeySource _keys = null!;
    private WebIdentityFederation _federation = null!;
    private IamRole _role = null!;

    public async Task InitializeAsync()
    {
        _fx = await ServiceFixture.CreateAsync();
        _http = new FakeHttpHandler(Answer);
        _iam = new IamService(_fx.Store, new RootWrap(_fx.Root), new ServerIdentity("111122223333", ServiceFixture.Region), _fx.Time);
        _keys = new OidcKeySource(null, _fx.Time, handler: _http);
        _federation = new WebIdentityFederation(_iam, _keys, _fx.Time);
        var provider = await _iam.OidcProviders.CreateOidcProviderAsync(Issuer, [Audience], null, null, CancellationToken.None);
        var trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"PROVIDER"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"issuer.test/cluster:sub":"SUBJECT"}}}]}"""
            .Replace("PROVIDER", provider.Arn, StringComparison.Ordinal).Replace("SUBJECT", Subject, StringComparison.Ordinal);
        _role = await _iam.Roles.CreateRoleAsync("pods", null, trust, null, null, null, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _fx.DisposeAsync();

    public void Dispose()
    {
        _key.Dispose();
        _keys?.Dispose();
    }

    private HttpResponseMessage Answer(HttpRequestMessage request)
    {
        if (_fail)
        {
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }

        var parameters = _key.ExportParameters(false);
        var body = request.RequestUri!.AbsolutePath switch
        {
            "/cluster/.well-known/openid-configuration" => $$"""{"issuer":"{{Issuer}}","jwks_uri":"https://issuer.test/cluster/jwks"}""",
            "/cluster/jwks" => $$"""{"keys":[{"kty":"EC","crv":"P-256","use":"sig","kid":"{{_kid}}","x":"{{Base64UrlEncoder.Encode(parameters.Q.X!)}}","y":"{{Base64UrlEncoder.Encode(parameters.Q.Y!)}}"}]}""",
            _ => null,
        };
        return body is null ? new HttpResponseMessage(HttpStatusCode.NotFound) : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body) };
    }

    private string Token(DateTimeOffset expires, string? kid = null, string subject = Subject)
    {
        var now = _fx.Time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer, Audience = Audience, Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            IssuedAt = now, NotBefore = now, Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = kid ?? _kid }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    private Task<WebIdentityResult> AssumeAsync(string token) =>
        _federation.AssumeRoleWithWebIdentityAsync(new WebIdentityRequest(_role.Arn, "pod", token, null, null, null, false), new Dictionary<string, IReadOnlyList<string>>(), CancellationToken.None);

    private async Task<DomainException> RefusedAsync(string token)
    {
        var e = await Assert.ThrowsAsync<DomainException>(() => AssumeAsync(token));
        Assert.DoesNotContain(token, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task AssumeRoleWithWebIdentity_ExpiryWithinSkew_AcceptedThenRefused()
    {
        var token = Token(_fx.Time.GetUtcNow().AddMinutes(5));
        var result = await AssumeAsync(token);
        Assert.Equal(Subject, result.Subject);
        Assert.Equal(Audience, result.Audience);
        Assert.Equal(IamSession.WebIdentityKind, result.Session.Kind);
        Assert.Equal(Subject, result.Session.FederationKeys!["issuer.test/cluster:sub"].Single());
        _fx.Time.Advance(TimeSpan.FromMinutes(5) + WebIdentityFederation.ClockSkew - TimeSpan.FromSeconds(1));
        await AssumeAsync(token);
        _fx.Time.Advance(TimeSpan.FromSeconds(2));
        var e = await RefusedAsync(token);
        Assert.Equal("ExpiredTokenException", e.Code);
        Assert.StartsWith("Token expired: current date/time ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssumeRoleWithWebIdentity_SubjectOutsideTrust_AccessDenied()
    {
        var e = await RefusedAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5), subject: "system:serviceaccount:payments:other"));
        Assert.Equal(("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"), (e.Code, e.Status, e.Message));
    }

    [Fact]
    public async Task KeySource_UnknownKid_RefreshesAtMostOncePerInterval()
    {
        await AssumeAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5)));
        Assert.Equal(1, _http.Requests("/cluster/jwks"));
        _kid = "k2";
        await AssumeAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5)));
        Assert.Equal(2, _http.Requests("/cluster/jwks"));
        var e = await RefusedAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5), kid: "k3"));
        Assert.Equal("InvalidIdentityToken", e.Code);
        Assert.Equal(2, _http.Requests("/cluster/jwks"));
        _fx.Time.Advance(OidcKeySource.UnknownKidRefreshInterval);
        await RefusedAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5), kid: "k3"));
        Assert.Equal(3, _http.Requests("/cluster/jwks"));
    }

    [Fact]
    public async Task KeySource_FailedFetch_BacksOffBeforeTryingAgain()
    {
        _fail = true;
        var e = await RefusedAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5)));
        Assert.Equal("InvalidIdentityToken", e.Code);
        await RefusedAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5)));
        Assert.Equal(1, _http.Requests("/cluster/.well-known/openid-configuration"));
        _fail = false;
        _fx.Time.Advance(OidcKeySource.UnknownKidRefreshInterval);
        await AssumeAsync(Token(_fx.Time.GetUtcNow().AddMinutes(5)));
        Assert.Equal(2, _http.Requests("/cluster/.well-known/openid-configuration"));
    }

    [Theory]
    [InlineData("https://token.actions.githubusercontent.com", "https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com")]
    [InlineData("https://Oidc.Example.com/id/ABC/", "https://oidc.example.com/id/ABC", "oidc.example.com/id/ABC")]
    [InlineData("https://oidc.example.com:8443/x", "https://oidc.example.com:8443/x", "oidc.example.com:8443/x")]
    [InlineData("http://127.0.0.1:5556", "http://127.0.0.1:5556", "127.0.0.1:5556")]
    [InlineData("http://localhost:5556/dex", "http://localhost:5556/dex", "localhost:5556/dex")]
    public void CanonicalIssuer_AcceptedUrls(string url, string canonical, string name) =>
        Assert.Equal((canonical, name), IamOidcProviders.CanonicalIssuer(url));

    [Theory]
    [InlineData("http://oidc.example.com")]
    [InlineData("http://10.0.0.5:8080")]
    [InlineData("https://oidc.example.com/?x=1")]
    [InlineData("https://oidc.example.com/#f")]
    [InlineData("https://user:pw@oidc.example.com")]
    [InlineData("ftp://oidc.example.com")]
    [InlineData("oidc.example.com")]
    [InlineData("")]
    public void CanonicalIssuer_RefusedUrls(string url) => Assert.Null(IamOidcProviders.CanonicalIssuer(url));

    [Theory]
    [InlineData("https://keys.example.com/jwks", true)]
    [InlineData("http://127.0.0.1:9000/jwks", true)]
    [InlineData("http://[::1]:9000/jwks", true)]
    [InlineData("http://192.0.2.10/jwks", false)]
    [InlineData("http://keys.example.com/jwks", false)]
    [InlineData("http://127.0.0.1.nip.io/jwks", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("/jwks", false)]
    public void KeySource_FetchesOnlyHttpsOrLoopback(string url, bool allowed) => Assert.Equal(allowed, OidcKeySource.IsAllowedFetchUrl(url));

    [Fact]
    public void PolicyEvaluator_FederatedPrincipal_MatchesOnlyItsProvider()
    {
        const string provider = "arn:aws:iam::123456789012:oidc-provider/oidc.example.com";
        static AuthorizationResult Eval(string principal, string? federated, string? arn = null, string? account = null)
        {
            var policy = PolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{{principal}},"Action":"sts:AssumeRoleWithWebIdentity"}]}""");
            var context = new RequestContext { Action = "sts:AssumeRoleWithWebIdentity", Resource = "arn:aws:iam::123456789012:role/r", FederatedPrincipal = federated, PrincipalArn = arn, AccountId = account };
            return PolicyEvaluator.Evaluate(context, [], new NamedPolicy("trust", policy));
        }

        Assert.True(Eval($$"""{"Federated":"{{provider}}"}""", provider).Allowed);
        Assert.False(Eval($$"""{"Federated":"{{provider}}-other"}""", provider).Allowed);
        Assert.False(Eval("""{"AWS":"*"}""", provider).Allowed);
        Assert.False(Eval("""{"AWS":"arn:aws:iam::123456789012:root"}""", provider, account: "123456789012").Allowed);
        Assert.True(Eval("\"*\"", provider).Allowed);
        Assert.False(Eval($$"""{"Federated":"{{provider}}"}""", null, "arn:aws:iam::123456789012:user/alice", "123456789012").Allowed);
    }

    [Fact]
    public void SessionTags_ValidateAndMerge()
    {
        SessionTags.Validate([new IamTag { Key = "team", Value = "blue" }], ["team"]);
        Assert.Throws<DomainException>(() => SessionTags.Validate([new IamTag { Key = "aws:username", Value = "admin" }], null));
        Assert.Throws<DomainException>(() => SessionTags.Validate([new IamTag { Key = "Team", Value = "a" }, new IamTag { Key = "team", Value = "b" }], null));
        Assert.Throws<DomainException>(() => SessionTags.Validate([new IamTag { Key = "bad#key", Value = "a" }], null));
        Assert.Throws<DomainException>(() => SessionTags.Validate([new IamTag { Key = "team", Value = "a" }], ["owner"]));
        Assert.Throws<DomainException>(() => SessionTags.Validate(Enumerable.Range(0, 51).Select(i => new IamTag { Key = "k" + i, Value = "v" }).ToList(), null));
        var merged = SessionTags.PrincipalTags([new IamTag { Key = "Team", Value = "red" }, new IamTag { Key = "cost", Value = "1" }], [new IamTag { Key = "team", Value = "blue" }]);
        Assert.Equal(["cost=1", "team=blue"], merged.Select(t => t.Key + "=" + t.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KnownRegions_PublicServerAndExtra()
    {
        var regions = new KnownRegions("eu-private-1", ["us-fake-7"]);
        Assert.True(regions.Contains("eu-west-1"));
        Assert.True(regions.Contains("eu-private-1"));
        Assert.True(regions.Contains("us-fake-7"));
        Assert.False(regions.Contains("xx-fake-9"));
        Assert.False(KnownRegions.Default.Contains("us-fake-7"));
        Assert.Throws<ArgumentException>(() => new KnownRegions(null, ["Not_A_Region"]));
    }

    [Fact]
    public void PasswordGenerator_SpaceIsNeverRequired()
    {
        for (var i = 0; i < 50; i++)
        {
            var password = PasswordGenerator.Generate(new RandomPasswordRequest(4, null, false, false, false, false, true, true));
            Assert.Equal(4, password.Length);
            Assert.DoesNotContain(' ', password);
        }
    }
}
