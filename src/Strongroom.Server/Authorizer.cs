using System.Globalization;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Crypto;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.Iam;

namespace Strongroom.Server;

/// <summary>
/// Decides every call with AWS's evaluation logic before it runs: the action (service:Operation), the
/// resource ARN, the condition keys, the caller's identity policies and the resource's own policy (a
/// secret's resource policy, a KMS key policy). The admin may do everything; every other principal may do
/// only what a policy allows. A denial never says whether the resource exists. Thread-safe.
/// </summary>
public sealed class Authorizer
{
    private readonly IamService _iam;
    private readonly IStore _store;
    private readonly KeyRing _keys;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PolicyDocument?> _resourcePolicies = new(StringComparer.Ordinal);

    public Authorizer(IamService iam, IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time)
    {
        _iam = iam;
        _store = store;
        _keys = keys;
        _identity = identity;
        _time = time;
    }

    public static bool IsAdmin(CallerIdentity caller) => caller?.UserName == DataDirectory.AdminUser;

    /// <summary>
    /// One decision. <see cref="Shown"/> is what a denial names: never more than the caller sent, so it can't reveal
    /// existence. A <see cref="TrustOnly"/> check is decided by the resource policy alone, whose account principal
    /// then counts (a role's trust policy must let the caller in, whatever its identity policies say).
    /// </summary>
    private sealed record Check(string Action, string Resource, PolicyDocument? ResourcePolicy, bool KeyPolicy, Dictionary<string, IReadOnlyList<string>> Keys, string? Shown = null, bool TrustOnly = false);

    /// <summary>Throws <see cref="AwsError"/> AccessDenied(Exception) when the call is not allowed.</summary>
    public Task AuthorizeAsync(CallerIdentity caller, string service, string operation, ReadOnlyMemory<byte> body, QueryRequest? query, string? sourceIp, bool secure, CancellationToken ct) =>
        AuthorizeAsync(caller, service, operation, body, query, sourceIp, secure, null, ct);

    private async Task AuthorizeAsync(CallerIdentity caller, string service, string operation, ReadOnlyMemory<byte> body, QueryRequest? query, string? sourceIp, bool secure, IReadOnlyList<Check>? explicitChecks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        // A user's GetSessionToken credentials may not call IAM (AWS: only with MFA, which Strongroom has not).
        if (service == "iam" && caller.Temporary && !caller.UserName.StartsWith("session:", StringComparison.Ordinal))
        {
            throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        // GetCallerIdentity and GetSessionToken need no permission, as in AWS; AssumeRoleWithWebIdentity is decided
        // by the role's trust policy alone (WebIdentityFederation), whoever signed the request.
        if (service == "sts" && operation is "GetCallerIdentity" or "GetSessionToken" or "AssumeRoleWithWebIdentity" or "AssumeRoleWithSAML")
        {
            return;
        }

        if (IsAdmin(caller))
        {
            // The admin is bound by nothing but a role's trust policy.
            foreach (var check in (explicitChecks ?? await ChecksAsync(caller, service, operation, body, query, ct)).Where(c => c.TrustOnly))
            {
                Decide(check, caller, service, [], null, null, null, null, sourceIp, secure);
            }

            return;
        }

        IReadOnlyList<NamedPolicy> identityPolicies = [];
        IReadOnlyList<NamedPolicy>? sessionPolicies = null;
        IamUser? user = null;
        IamRole? role = null;
        IamSession? session = null;
        if (caller.UserName.StartsWith("session:", StringComparison.Ordinal))
        {
            if (await _iam.PoliciesOfSessionAsync(caller.AccessKeyId, ct) is { } found)
            {
                (role, identityPolicies, sessionPolicies, session) = (found.Role, found.Policies, found.SessionPolicies, found.Session);
            }
        }
        else if (await _iam.PoliciesOfUserAsync(caller.UserName, ct) is { } found)
        {
            (user, identityPolicies) = (found.User, found.Policies);
        }

        foreach (var check in explicitChecks ?? await ChecksAsync(caller, service, operation, body, query, ct))
        {
            Decide(check, caller, service, identityPolicies, sessionPolicies, user, role, session, sourceIp, secure);
        }
    }

    /// <summary>One check's decision; throws AccessDenied(Exception) when it is not allowed.</summary>
    private void Decide(Check check, CallerIdentity caller, string service, IReadOnlyList<NamedPolicy> identityPolicies, IReadOnlyList<NamedPolicy>? sessionPolicies, IamUser? user, IamRole? role, IamSession? session, string? sourceIp, bool secure)
    {
        var context = new RequestContext { Action = check.Action, Resource = check.Resource, PrincipalArn = caller.PrincipalArn, AccountId = _identity.AccountId };
        AddGlobalKeys(context, caller, user, role, session, sourceIp, secure);
        foreach (var (key, values) in check.Keys)
        {
            context.With(key, values);
        }

        if (check.TrustOnly)
        {
            var trusted = check.ResourcePolicy is not null && PolicyEvaluator.Evaluate(context, [], new NamedPolicy("resource policy", check.ResourcePolicy)).Allowed;
            if (!trusted)
            {
                throw new AwsError("AccessDenied", $"User: {caller.PrincipalArn} is not authorized to perform: {check.Action} on resource: {check.Shown ?? check.Resource} because no resource-based policy allows the {check.Action} action", 403);
            }

            return;
        }

        var result = PolicyEvaluator.Evaluate(context, identityPolicies, null, sessionPolicies);
        if (result.Decision != PolicyDecision.ExplicitDeny && check.ResourcePolicy is not null)
        {
            // A KMS key policy's account principal only delegates to IAM policies; it grants nothing itself.
            var resourceContext = new RequestContext { Action = check.Action, Resource = check.Resource, PrincipalArn = caller.PrincipalArn, AccountId = check.KeyPolicy ? null : _identity.AccountId };
            foreach (var (key, values) in context.Keys)
            {
                resourceContext.With(key, values);
            }

            var fromResource = PolicyEvaluator.Evaluate(resourceContext, [], new NamedPolicy("resource policy", check.ResourcePolicy));
            if (fromResource.Decision == PolicyDecision.ExplicitDeny || result.Decision != PolicyDecision.Allow)
            {
                result = fromResource.Decision == PolicyDecision.ImplicitDeny ? result : fromResource;
            }
        }

        if (!result.Allowed)
        {
            var reason = result.Decision == PolicyDecision.ExplicitDeny
                ? result.Policy?.Name == "resource policy" ? "with an explicit deny in a resource-based policy" : "with an explicit deny in an identity-based policy"
                : $"because no identity-based policy allows the {check.Action} action";
            var message = $"User: {caller.PrincipalArn} is not authorized to perform: {check.Action} on resource: {check.Shown ?? check.Resource} {reason}";
            throw service is "iam" or "sts" ? new AwsError("AccessDenied", message, 403) : new AwsError("AccessDeniedException", message);
        }
    }

    private void AddGlobalKeys(RequestContext context, CallerIdentity caller, IamUser? user, IamRole? role, IamSession? session, string? sourceIp, bool secure)
    {
        var now = _time.GetUtcNow();
        if (role is not null)
        {
            // An assumed-role session: aws:PrincipalArn is the role's ARN; there is no aws:username. Its principal
            // tags are the role's, overridden by the session's own tags (AssumeRole Tags, a token's principal_tags).
            context.With("aws:userid", role.RoleId + ":" + session?.SessionName).With("aws:PrincipalArn", role.Arn).With("aws:PrincipalType", "AssumedRole");
            foreach (var tag in SessionTags.PrincipalTags(role.Tags, session?.Tags))
            {
                context.With("aws:PrincipalTag/" + tag.Key, tag.Value);
            }

            // A web identity session keeps its provider's keys (e.g. "host/path:sub"), as AWS does for chained roles.
            if (session?.FederatedProvider is { } provider)
            {
                context.With("aws:FederatedProvider", provider);
                foreach (var (key, values) in session.FederationKeys ?? [])
                {
                    context.With(key, values);
                }
            }
        }
        else
        {
            context.With("aws:username", caller.UserName).With("aws:userid", user?.UserId ?? caller.UserName).With("aws:PrincipalArn", caller.PrincipalArn).With("aws:PrincipalType", "User");
        }

        context.With("aws:PrincipalAccount", _identity.AccountId)
            .With("aws:CurrentTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .With("aws:EpochTime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))
            .With("aws:SecureTransport", secure ? "true" : "false")
            .With("kms:CallerAccount", _identity.AccountId);
        if (sourceIp is not null)
        {
            context.With("aws:SourceIp", sourceIp);
        }

        foreach (var tag in user?.Tags ?? [])
        {
            context.With("aws:PrincipalTag/" + tag.Key, tag.Value);
        }
    }

    private static string? Member(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task<List<Check>> ChecksAsync(CallerIdentity caller, string service, string operation, ReadOnlyMemory<byte> body, QueryRequest? query, CancellationToken ct)
    {
        var action = service + ":" + operation;
        var region = caller.Region;
        var checks = new List<Check>();
        JsonDocument? document = null;
        try
        {
            if (service is "secretsmanager" or "kms" or "ssm" or "strongroom")
            {
                try
                {
                    document = JsonDocument.Parse(body.IsEmpty ? "{}"u8.ToArray() : body);
                }
                catch (JsonException)
                {
                    document = JsonDocument.Parse("{}");
                }
            }

            var root = document?.RootElement ?? default;
            switch (service)
            {
                case "secretsmanager":
                    await SecretsManagerChecksAsync(checks, action, operation, region, root, ct);
                    break;
                case "kms":
                    await KmsChecksAsync(checks, action, operation, region, root, ct);
                    break;
                case "ssm":
                    await SsmChecksAsync(checks, action, operation, region, root, ct);
                    break;
                case "iam":
                    checks.Add(new Check(action, IamResource(query), null, false, []));
                    break;
                case "strongroom":
                    // A rotation-function call names its function's ARN, so policies can scope to functions.
                    var resource = operation.EndsWith("RotationFunction", StringComparison.Ordinal) && Member(root, "Name") is { } functionName
                        ? Core.Rotation.RotationFunction.ArnOf(region, _identity.AccountId, functionName)
                        : "*";
                    checks.Add(new Check(action, resource, null, false, []));
                    break;
                case "sts":
                    await StsChecksAsync(checks, action, operation, query, ct);
                    break;
                default:
                    checks.Add(new Check(action, "*", null, false, []));
                    break;
            }
        }
        finally
        {
            document?.Dispose();
        }

        return checks;
    }

    /// <summary>
    /// AssumeRole is decided as AWS decides it in one account: the role's trust policy is its resource policy, so a
    /// trust policy naming the caller's ARN lets it in without any identity policy, while one naming the account
    /// (arn:aws:iam::ACCOUNT:root or the bare id) only delegates to identity policies (the KMS key-policy rule);
    /// and whatever the identity policies allow, the trust policy must name the caller or its account (a
    /// trust-only check, which binds the admin too). Passing session tags needs sts:TagSession the same way.
    /// </summary>
    private async Task StsChecksAsync(List<Check> checks, string action, string operation, QueryRequest? query, CancellationToken ct)
    {
        var roleArn = query?.Get("RoleArn");
        if (operation != "AssumeRole" || roleArn is null)
        {
            checks.Add(new Check(action, roleArn ?? "*", null, false, []));
            return;
        }

        var role = await _iam.FindRoleByArnAsync(roleArn, ct);
        var trust = role is null ? null : ResourcePolicy(role.AssumeRolePolicyDocument);
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (query!.Get("RoleSessionName") is { } sessionName)
        {
            keys["sts:RoleSessionName"] = [sessionName];
        }

        if (query.Get("ExternalId") is { } externalId)
        {
            keys["sts:ExternalId"] = [externalId];
        }

        foreach (var tag in role?.Tags ?? [])
        {
            keys["aws:ResourceTag/" + tag.Key] = [tag.Value];
        }

        // Malformed tags are a validation error before any permission is looked at, as in AWS.
        var tags = query.Pairs("Tags");
        SessionTags.Validate(tags.Select(t => new IamTag { Key = t.Key, Value = t.Value }).ToList(), query.List("TransitiveTagKeys"));
        foreach (var (key, value) in tags)
        {
            keys["aws:RequestTag/" + key] = [value];
        }

        if (tags.Count > 0)
        {
            keys["aws:TagKeys"] = tags.Select(t => t.Key).ToList();
        }

        if (query.List("TransitiveTagKeys") is { Count: > 0 } transitive)
        {
            keys["sts:TransitiveTagKeys"] = transitive;
        }

        checks.Add(new Check(action, roleArn, trust, true, keys));
        checks.Add(new Check(action, roleArn, trust, false, keys, TrustOnly: true));
        if (tags.Count > 0)
        {
            checks.Add(new Check("sts:TagSession", roleArn, trust, true, keys));
            checks.Add(new Check("sts:TagSession", roleArn, trust, false, keys, TrustOnly: true));
        }
    }

    private string IamResource(QueryRequest? query)
    {
        if (query?.Get("UserName") is { } user)
        {
            return $"arn:aws:iam::{_identity.AccountId}:user/{user}";
        }

        if (query?.Get("RoleName") is { } roleName)
        {
            return $"arn:aws:iam::{_identity.AccountId}:role/{roleName}";
        }

        if (query?.Get("GroupName") is { } group)
        {
            return $"arn:aws:iam::{_identity.AccountId}:group/{group}";
        }

        if (query?.Get("OpenIDConnectProviderArn") is { } provider)
        {
            return provider;
        }

        if (query?.Action == "CreateOpenIDConnectProvider" && IamService.CanonicalIssuer(query.Get("Url")) is { } issuer)
        {
            return $"arn:aws:iam::{_identity.AccountId}:oidc-provider/{issuer.Name}";
        }

        return query?.Get("PolicyArn") ?? "*";
    }

    private async Task<(string Arn, SecretRecord? Secret)> SecretAsync(string region, string secretId, CancellationToken ct)
    {
        var secret = await SecretsService.FindAsync(_store, region, secretId, ct);
        if (secret is not null)
        {
            return (secret.Arn, secret);
        }

        return (secretId.StartsWith("arn:", StringComparison.Ordinal) ? secretId : $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{secretId}", null);
    }

    private PolicyDocument? ResourcePolicy(string? json)
    {
        if (json is null)
        {
            return null;
        }

        return _resourcePolicies.GetOrAdd(json, text =>
        {
            try
            {
                return PolicyDocument.Parse(text);
            }
            catch (PolicySyntaxException)
            {
                return null;
            }
        });
    }

    /// <summary>
    /// KMS's policy lockout safety check: whether <paramref name="caller"/> could still call kms:PutKeyPolicy on
    /// <paramref name="keyArn"/> if its key policy were <paramref name="policy"/>, by AWS's rule for key policies:
    /// the key policy names the caller, or it names the account (delegating to IAM) and an identity policy allows
    /// it; an explicit deny anywhere refuses.
    /// </summary>
    public async Task<bool> CanChangeKeyPolicyAsync(CallerIdentity caller, string keyArn, string policy, string? sourceIp, bool secure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        PolicyDocument candidate;
        try
        {
            candidate = PolicyDocument.Parse(policy);
        }
        catch (PolicySyntaxException)
        {
            return false;
        }

        try
        {
            await AuthorizeAsync(caller, "kms", "PutKeyPolicy", ReadOnlyMemory<byte>.Empty, null, sourceIp, secure,
                [new Check("kms:PutKeyPolicy", keyArn, candidate, true, []), new Check("kms:PutKeyPolicy", keyArn, candidate, false, [], TrustOnly: true)], ct);
            return true;
        }
        catch (AwsError)
        {
            return false;
        }
    }

    /// <summary>Null when <paramref name="caller"/> may read the secret named <paramref name="secretId"/>; else AWS's denial text.</summary>
    public async Task<string?> CanReadAsync(CallerIdentity caller, string secretId, CancellationToken ct)
    {
        try
        {
            await AuthorizeAsync(caller, "secretsmanager", "GetSecretValue", JsonSerializer.SerializeToUtf8Bytes(new { SecretId = secretId }), null, null, true, ct);
            return null;
        }
        catch (AwsError e)
        {
            return e.Message;
        }
    }

    private async Task SecretsManagerChecksAsync(List<Check> checks, string action, string operation, string region, JsonElement root, CancellationToken ct)
    {
        if (operation is "ListSecrets" or "GetRandomPassword" or "BatchGetSecretValue" || (operation == "ValidateResourcePolicy" && Member(root, "SecretId") is null))
        {
            checks.Add(new Check(action, "*", null, false, []));
            return;
        }

        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        string arn;
        SecretRecord? secret = null;
        if (operation == "CreateSecret")
        {
            var name = Member(root, "Name") ?? string.Empty;
            arn = $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{name}";
            keys["secretsmanager:Name"] = [name];
            if (Member(root, "KmsKeyId") is { } kmsKeyId)
            {
                keys["secretsmanager:KmsKeyId"] = [kmsKeyId];
            }
        }
        else
        {
            var id = Member(root, "SecretId") ?? string.Empty;
            (arn, secret) = await SecretAsync(region, id, ct);
            keys["secretsmanager:SecretId"] = [arn];
            if (secret is not null)
            {
                keys["secretsmanager:Name"] = [secret.Name];
                foreach (var tag in secret.Tags)
                {
                    keys["secretsmanager:ResourceTag/" + tag.Key] = [tag.Value];
                    keys["aws:ResourceTag/" + tag.Key] = [tag.Value];
                }

                if (secret.KmsKeyId is not null)
                {
                    keys["secretsmanager:KmsKeyId"] = [secret.KmsKeyId];
                }
            }
        }

        if (operation == "PutResourcePolicy")
        {
            keys["secretsmanager:BlockPublicPolicy"] = [root.TryGetProperty("BlockPublicPolicy", out var block) && block.ValueKind == JsonValueKind.True ? "true" : "false"];
        }

        if (operation == "GetSecretValue")
        {
            keys["secretsmanager:VersionStage"] = [Member(root, "VersionStage") ?? (Member(root, "VersionId") is null ? SecretsService.Current : string.Empty)];
            if (Member(root, "VersionId") is { } versionId)
            {
                keys["secretsmanager:VersionId"] = [versionId];
            }
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Tags", out var tags) && tags.ValueKind == JsonValueKind.Array)
        {
            var tagKeys = new List<string>();
            foreach (var tag in tags.EnumerateArray())
            {
                if (Member(tag, "Key") is { } key)
                {
                    tagKeys.Add(key);
                    keys["aws:RequestTag/" + key] = [Member(tag, "Value") ?? string.Empty];
                }
            }

            keys["aws:TagKeys"] = tagKeys;
        }

        var requested = Member(root, "SecretId") ?? Member(root, "Name") ?? string.Empty;
        var shown = requested.StartsWith("arn:", StringComparison.Ordinal) ? requested : $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{requested}";
        checks.Add(new Check(action, arn, ResourcePolicy(secret?.ResourcePolicy), false, keys, shown));

        // Reading a value also needs kms:Decrypt on a customer-managed key, as in AWS.
        if (operation == "GetSecretValue" && secret?.KmsKeyId is { } customerKey)
        {
            var key = await _keys.FindAsync(_store, region, customerKey, allowAlias: true, ct);
            if (key is not null && key.Manager == "CUSTOMER")
            {
                checks.Add(new Check("kms:Decrypt", key.Arn, ResourcePolicy(key.Policy), true, new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
                {
                    ["kms:ViaService"] = [$"secretsmanager.{region}.amazonaws.com"],
                    ["kms:EncryptionContext:SecretARN"] = [secret.Arn],
                }));
            }
        }
    }

    private async Task KmsChecksAsync(List<Check> checks, string action, string operation, string region, JsonElement root, CancellationToken ct)
    {
        var identifier = Member(root, "KeyId") ?? Member(root, "TargetKeyId") ?? Member(root, "DestinationKeyId");
        if (operation is "Decrypt" or "ReEncrypt" && Member(root, "KeyId") is null && Member(root, "SourceKeyId") is null && Member(root, "CiphertextBlob") is { } blob)
        {
            try
            {
                identifier = KmsCiphertextBlob.ReadHeader(Convert.FromBase64String(blob)).KeyId.ToString();
            }
            catch (Exception e) when (e is FormatException or CryptoFailureException)
            {
                identifier = null;
            }
        }

        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("EncryptionContext", out var context) && context.ValueKind == JsonValueKind.Object)
        {
            foreach (var pair in context.EnumerateObject())
            {
                keys["kms:EncryptionContext:" + pair.Name] = [pair.Value.ToString()];
            }

            keys["kms:EncryptionContextKeys"] = context.EnumerateObject().Select(p => p.Name).ToList();
        }

        var key = identifier is null ? null : await _keys.FindAsync(_store, region, identifier, allowAlias: true, ct);
        var resource = key?.Arn ?? (identifier is null || operation is "CreateKey" or "ListKeys" or "GenerateRandom" ? "*" : identifier.StartsWith("arn:", StringComparison.Ordinal) ? identifier : $"arn:aws:kms:{region}:{_identity.AccountId}:key/{identifier}");
        checks.Add(new Check(action, resource, ResourcePolicy(key?.Policy), true, keys));
        if (operation == "ReEncrypt" && Member(root, "DestinationKeyId") is { } destination)
        {
            var target = await _keys.FindAsync(_store, region, destination, allowAlias: true, ct);
            checks.Add(new Check("kms:ReEncryptTo", target?.Arn ?? destination, ResourcePolicy(target?.Policy), true, keys));
        }
    }

    private async Task SsmChecksAsync(List<Check> checks, string action, string operation, string region, JsonElement root, CancellationToken ct)
    {
        var names = new List<string>();
        if (Member(root, "Name") is { } name)
        {
            names.Add(name);
        }

        if (Member(root, "ResourceId") is { } resourceId)
        {
            names.Add(resourceId);
        }

        if (Member(root, "Path") is { } path)
        {
            names.Add(path);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Names", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            names.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
        }

        if (names.Count == 0)
        {
            checks.Add(new Check(action, "*", null, false, []));
            return;
        }

        // SSM's own condition keys, and the parameter's tags as aws:ResourceTag/….
        var ssmKeys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (operation == "GetParametersByPath")
        {
            ssmKeys["ssm:Recursive"] = [root.TryGetProperty("Recursive", out var recursive) && recursive.ValueKind == JsonValueKind.True ? "true" : "false"];
        }

        if (operation == "PutParameter")
        {
            ssmKeys["ssm:Overwrite"] = [root.TryGetProperty("Overwrite", out var overwrite) && overwrite.ValueKind == JsonValueKind.True ? "true" : "false"];
            if (Member(root, "Policies") is { } policies)
            {
                ssmKeys["ssm:Policies"] = [policies];
            }
        }

        foreach (var raw in names)
        {
            var bare = raw.StartsWith("arn:", StringComparison.Ordinal) ? raw.Split(':', 6)[^1]["parameter/".Length..] : raw.TrimStart('/');
            var colon = bare.LastIndexOf(':');
            if (colon >= 0)
            {
                bare = bare[..colon];
            }

            var keys = new Dictionary<string, IReadOnlyList<string>>(ssmKeys, StringComparer.OrdinalIgnoreCase);
            if (await _store.FindParameterAsync(region, "/" + bare, ct) is { } parameter)
            {
                foreach (var (tagKey, tagValue) in parameter.Tags)
                {
                    keys["aws:ResourceTag/" + tagKey] = [tagValue];
                }
            }

            checks.Add(new Check(action, $"arn:aws:ssm:{region}:{_identity.AccountId}:parameter/{bare}", null, false, keys));
            if (("/" + bare).StartsWith("/aws/reference/secretsmanager/", StringComparison.Ordinal))
            {
                var secretId = ("/" + bare)["/aws/reference/secretsmanager/".Length..];
                var (arn, secret) = await SecretAsync(region, secretId, ct);
                checks.Add(new Check("secretsmanager:GetSecretValue", arn, ResourcePolicy(secret?.ResourcePolicy), false, []));
            }
        }
    }
}
