using System.Globalization;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;

namespace Strongroom.Core.Identity;

/// <summary>
/// STS AssumeRoleWithWebIdentity: a caller without AWS credentials trades an OpenID Connect ID token for a role's
/// temporary credentials. The token must come from an IAM OIDC provider of this account (its iss claim), name one
/// of the provider's client ids (aud, or azp), be signed (RS256/384/512, PS256/384/512 or ES256/384/512 only) by a
/// key of the issuer's JWKS (<see cref="OidcKeySource"/>), and be inside its lifetime (exp, nbf, iat, with
/// <see cref="ClockSkew"/>). Then the role's trust policy must allow sts:AssumeRoleWithWebIdentity for
/// <c>{"Federated": provider ARN}</c>, with the provider's keys (<c>host/path:sub</c>, <c>:aud</c>, <c>:amr</c>…)
/// in the request context, and sts:TagSession when the token carries session tags. Each refusal is AWS's error.
/// The token itself is never logged, stored or put in an error message. Thread-safe.
/// </summary>
public sealed class WebIdentityFederation
{
    /// <summary>How far exp, nbf and iat may be off: clocks of the issuer and this server may differ a little.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>The signature algorithms accepted: asymmetric ones only, so a public key can never be used as an HMAC secret.</summary>
    public static readonly IReadOnlyList<string> AllowedAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>The claim that carries session tags (AWS's namespace).</summary>
    public const string TagsClaim = "https://aws.amazon.com/tags";

    private const string NotAJwt = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
    private const string NoKey = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
    private static readonly JsonWebTokenHandler Handler = new();

    private readonly IamService _iam;
    private readonly OidcKeySource _keys;
    private readonly TimeProvider _time;

    public WebIdentityFederation(IamService iam, OidcKeySource keys, TimeProvider time)
    {
        _iam = iam;
        _keys = keys;
        _time = time;
    }

    private static DomainException InvalidToken(string message) => DomainException.WithCode("InvalidIdentityToken", message);

    private static DomainException Rejected(string message) => DomainException.WithCode("IDPRejectedClaim", message, 403);

    private static DomainException Denied(string action) => DomainException.WithCode("AccessDenied", $"Not authorized to perform {action}", 403);

    private static DomainException Invalid(string message) => DomainException.WithCode("ValidationError", message);

    private static void ValidateInput(WebIdentityRequest request)
    {
        if (request.RoleArn.Length is < 20 or > 2048)
        {
            throw Invalid($"1 validation error detected: Value '{request.RoleArn}' at 'roleArn' failed to satisfy constraint: Member must have length {(request.RoleArn.Length < 20 ? "greater than or equal to 20" : "less than or equal to 2048")}");
        }

        if (request.RoleSessionName.Length is < 2 or > 64 || !request.RoleSessionName.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '=' or ',' or '.' or '@' or '_' or '-'))
        {
            throw Invalid($"1 validation error detected: Value '{request.RoleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
        }

        // The token is sensitive: a constraint message never quotes it.
        if (request.WebIdentityToken.Length is < 4 or > 20000)
        {
            throw Invalid($"1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length {(request.WebIdentityToken.Length < 4 ? "greater than or equal to 4" : "less than or equal to 20000")}");
        }

        if (request.DurationSeconds is < 900 or > 43200)
        {
            throw Invalid($"1 validation error detected: Value '{request.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value {(request.DurationSeconds < 900 ? "greater than or equal to 900" : "less than or equal to 43200")}");
        }

        if (request.ProviderId is not null)
        {
            throw InvalidToken("ProviderId is for OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com, which Strongroom does not accept; send an OpenID Connect ID token without ProviderId.");
        }

        if (request.HasPolicyArns)
        {
            throw Invalid("PolicyArns (managed session policies) are not supported by Strongroom; pass an inline session Policy instead.");
        }
    }

    /// <summary>
    /// Validates the token and the trust policy and issues the session. <paramref name="requestKeys"/> are the
    /// request's own condition keys (aws:SourceIp, aws:SecureTransport, aws:CurrentTime…), added to the trust
    /// policy's context.
    /// </summary>
    public async Task<WebIdentityResult> AssumeRoleWithWebIdentityAsync(WebIdentityRequest request, IReadOnlyDictionary<string, IReadOnlyList<string>> requestKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(requestKeys);
        ValidateInput(request);

        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(request.WebIdentityToken);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or FormatException or JsonException)
        {
            throw InvalidToken(NotAJwt);
        }

        if (jwt.IsEncrypted)
        {
            throw InvalidToken(NotAJwt);
        }

        var issuer = ClaimString(jwt, "iss");
        var provider = await _iam.OidcProviders.FindOidcProviderByIssuerAsync(issuer, ct)
            ?? throw InvalidToken($"No OpenIDConnect provider found in your account for {Shorten(issuer ?? string.Empty)}");
        var providerName = provider.Arn[(provider.Arn.IndexOf(":oidc-provider/", StringComparison.Ordinal) + ":oidc-provider/".Length)..];

        var audiences = jwt.Audiences.ToList();
        var azp = ClaimString(jwt, "azp");
        var audience = azp is not null && provider.ClientIds.Contains(azp, StringComparer.Ordinal) ? azp : audiences.FirstOrDefault(a => provider.ClientIds.Contains(a, StringComparer.Ordinal));
        if (audience is null)
        {
            throw InvalidToken("Incorrect token audience");
        }

        if (!AllowedAlgorithms.Contains(jwt.Alg, StringComparer.Ordinal))
        {
            throw InvalidToken($"The web identity token is signed with {Shorten(jwt.Alg ?? "no algorithm")}; only {string.Join(", ", AllowedAlgorithms)} are accepted.");
        }

        IReadOnlyList<JsonWebKey> keys;
        try
        {
            keys = await _keys.GetKeysAsync(provider, string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid, ct);
        }
        catch (OidcKeysUnavailableException)
        {
            throw InvalidToken(NoKey);
        }

        if (!string.IsNullOrEmpty(jwt.Kid) && !keys.Any(k => k.Kid == jwt.Kid))
        {
            throw InvalidToken(NoKey);
        }

        var validation = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidateIssuer = false, ValidateAudience = false, ValidateLifetime = false, RequireExpirationTime = false, RequireAudience = false,
            ValidateIssuerSigningKey = false, RequireSignedTokens = true, IssuerSigningKeys = keys, ValidAlgorithms = AllowedAlgorithms.ToList(),
            TryAllIssuerSigningKeys = string.IsNullOrEmpty(jwt.Kid), ValidateTokenReplay = false,
        });
        if (!validation.IsValid)
        {
            throw validation.Exception is SecurityTokenSignatureKeyNotFoundException
                ? InvalidToken(NoKey)
                : InvalidToken("The web identity token's signature could not be verified with the identity provider's keys. Get a new identity token from the identity provider and then retry the request.");
        }

        var now = _time.GetUtcNow();
        var exp = ClaimTime(jwt, "exp") ?? throw Rejected("Missing a required claim: exp");
        if (now > exp + ClockSkew)
        {
            throw DomainException.WithCode("ExpiredTokenException", $"Token expired: current date/time {now.ToUnixTimeSeconds()} must be before the expiration date/time {exp.ToUnixTimeSeconds()}");
        }

        if (ClaimTime(jwt, "nbf") is { } nbf && nbf > now + ClockSkew)
        {
            throw Rejected($"Token is not valid yet: current date/time {now.ToUnixTimeSeconds()} must not be before the not-before date/time {nbf.ToUnixTimeSeconds()}");
        }

        if (ClaimTime(jwt, "iat") is { } iat && iat > now + ClockSkew)
        {
            throw Rejected($"Token was issued in the future: current date/time {now.ToUnixTimeSeconds()} is before the issued-at date/time {iat.ToUnixTimeSeconds()}");
        }

        var subject = ClaimString(jwt, "sub");
        if (string.IsNullOrEmpty(subject))
        {
            throw Rejected("Missing a required claim: sub");
        }

        var (tags, transitive) = SessionTagsOf(jwt);
        var role = await _iam.Roles.FindRoleByArnAsync(request.RoleArn, ct) ?? throw Denied("sts:AssumeRoleWithWebIdentity");
        var duration = request.DurationSeconds ?? 3600;
        if (duration > role.MaxSessionDuration)
        {
            throw Invalid($"The requested DurationSeconds exceeds the MaxSessionDuration set for this role: {duration}.");
        }

        if (request.Policy is not null)
        {
            if (request.Policy.Length > 2048)
            {
                throw Invalid("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
            }

            try
            {
                PolicyDocument.Parse(request.Policy);
            }
            catch (PolicySyntaxException e)
            {
                throw DomainException.WithCode("MalformedPolicyDocument", "The policy is not in the valid JSON format. " + e.Message);
            }
        }

        // The provider's keys: what the trust policy may test, and what the session carries on.
        var federation = new SortedDictionary<string, List<string>>(StringComparer.Ordinal)
        {
            [providerName + ":sub"] = [subject],
            [providerName + ":aud"] = [audience],
            [providerName + ":oaud"] = audiences,
        };
        if (azp is not null)
        {
            federation[providerName + ":azp"] = [azp];
        }

        var amr = jwt.Claims.Where(c => c.Type == "amr").Select(c => c.Value).ToList();
        if (amr.Count > 0)
        {
            federation[providerName + ":amr"] = amr;
        }

        var trust = ParseTrust(role);
        if (!TrustAllows(trust, "sts:AssumeRoleWithWebIdentity", role, provider.Arn, request.RoleSessionName, federation, tags, transitive, requestKeys))
        {
            throw Denied("sts:AssumeRoleWithWebIdentity");
        }

        if (tags.Count > 0 && !TrustAllows(trust, "sts:TagSession", role, provider.Arn, request.RoleSessionName, federation, tags, transitive, requestKeys))
        {
            throw Denied("sts:TagSession");
        }

        var (session, secret, token) = await _iam.Sts.IssueWebIdentitySessionAsync(role, request.RoleSessionName, duration, request.Policy, tags, transitive, provider.Arn, federation, ct);
        return new WebIdentityResult(session, role, secret, token, provider.Arn, providerName, subject, audience);
    }

    private static PolicyDocument? ParseTrust(IamRole role)
    {
        try
        {
            return PolicyDocument.Parse(role.AssumeRolePolicyDocument);
        }
        catch (PolicySyntaxException)
        {
            return null;
        }
    }

    private static bool TrustAllows(
        PolicyDocument? trust, string action, IamRole role, string providerArn, string sessionName, SortedDictionary<string, List<string>> federation,
        IReadOnlyList<IamTag> tags, IReadOnlyList<string> transitive, IReadOnlyDictionary<string, IReadOnlyList<string>> requestKeys)
    {
        if (trust is null)
        {
            return false;
        }

        var context = new RequestContext { Action = action, Resource = role.Arn, FederatedPrincipal = providerArn };
        foreach (var (key, values) in requestKeys)
        {
            context.With(key, values);
        }

        foreach (var (key, values) in federation)
        {
            context.With(key, values);
        }

        context.With("aws:FederatedProvider", providerArn).With("sts:RoleSessionName", sessionName);
        foreach (var tag in role.Tags)
        {
            context.With("aws:ResourceTag/" + tag.Key, tag.Value);
        }

        if (tags.Count > 0)
        {
            foreach (var tag in tags)
            {
                context.With("aws:RequestTag/" + tag.Key, tag.Value);
            }

            context.With("aws:TagKeys", tags.Select(t => t.Key).ToList());
        }

        if (transitive.Count > 0)
        {
            context.With("sts:TransitiveTagKeys", transitive.ToList());
        }

        return PolicyEvaluator.Evaluate(context, [], new NamedPolicy("trust policy", trust, PolicySource.Resource)).Allowed;
    }

    /// <summary>
    /// Session tags from the token's https://aws.amazon.com/tags claim: {"principal_tags": {"K": ["V"]},
    /// "transitive_tag_keys": ["K"]}, held to STS's limits (aws: keys are refused).
    /// </summary>
    private static (IReadOnlyList<IamTag> Tags, IReadOnlyList<string> Transitive) SessionTagsOf(JsonWebToken jwt)
    {
        JsonDocument payload;
        try
        {
            payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw InvalidToken(NotAJwt);
        }

        using (payload)
        {
            if (payload.RootElement.ValueKind != JsonValueKind.Object || !payload.RootElement.TryGetProperty(TagsClaim, out var claim))
            {
                return ([], []);
            }

            var tags = new List<IamTag>();
            var transitive = new List<string>();
            try
            {
                if (claim.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException();
                }

                if (claim.TryGetProperty("principal_tags", out var principalTags))
                {
                    foreach (var property in principalTags.EnumerateObject())
                    {
                        var values = property.Value;
                        var value = values.ValueKind == JsonValueKind.Array && values.GetArrayLength() == 1 && values[0].ValueKind == JsonValueKind.String
                            ? values[0].GetString()!
                            : throw new FormatException();
                        tags.Add(new IamTag { Key = property.Name, Value = value });
                    }
                }

                if (claim.TryGetProperty("transitive_tag_keys", out var keys))
                {
                    transitive.AddRange(keys.EnumerateArray().Select(k => k.ValueKind == JsonValueKind.String ? k.GetString()! : throw new FormatException()));
                }
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw Rejected($"The {TagsClaim} claim must be {{\"principal_tags\": {{\"key\": [\"one value\"]}}, \"transitive_tag_keys\": [\"key\"]}}.");
            }

            try
            {
                SessionTags.Validate(tags, transitive);
            }
            catch (DomainException e)
            {
                throw Rejected($"The session tags in the web identity token are not valid: {e.Message}");
            }

            return (tags, transitive);
        }
    }

    private static string? ClaimString(JsonWebToken jwt, string name) =>
        jwt.TryGetPayloadValue<string>(name, out var value) ? value : null;

    private static DateTimeOffset? ClaimTime(JsonWebToken jwt, string name)
    {
        if (jwt.TryGetPayloadValue<double>(name, out var seconds) && double.IsFinite(seconds) && seconds is > -62135596800 and < 253402300799)
        {
            return DateTimeOffset.FromUnixTimeSeconds((long)Math.Floor(seconds));
        }

        return jwt.TryGetPayloadValue<string>(name, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            && parsed is > -62135596800 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(parsed)
            : null;
    }

    /// <summary>Claims quoted in messages are the caller's own, but bounded.</summary>
    private static string Shorten(string text) => text.Length <= 256 ? text : text[..256] + "…";
}
