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
    private readonly IamAccess _iamAccess;
    private readonly AccessChecks _checks;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PolicyDocument?> _resourcePolicies = new(StringComparer.Ordinal);

    public Authorizer(IamService iam, IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time, AccessChecks checks)
    {
        _iam = iam;
        _store = store;
        _keys = keys;
        _identity = identity;
        _time = time;
        _iamAccess = new IamAccess(iam, identity);
        _checks = checks;
    }

    /// <summary>
    /// True for the administrator: the caller whose principal id is the one recorded under the root key at
    /// initialisation (<see cref="ServerIdentity.AdminUserId"/>) — never recognised by a name.
    /// </summary>
    public bool IsAdmin(CallerIdentity caller) => caller?.PrincipalId is { } id && _identity.AdminUserId is { } admin && id == admin;

    /// <summary>
    /// One decision. <see cref="Shown"/> is what a denial names: never more than the caller sent, so it can't reveal
    /// existence. <see cref="KeyPolicy"/>: the resource policy must allow, itself or through its account principal
    /// delegating to identity policies (a KMS key policy, a role's trust policy). <see cref="Forbidden"/>: no policy
    /// can allow it (the reason is the denial's). A <see cref="TrustOnly"/> check is decided by the resource policy
    /// alone, whose account principal then counts (a role's trust policy must let the caller in, whatever its identity
    /// policies say; it binds the admin too).
    /// </summary>
    private sealed record Check(string Action, string Resource, PolicyDocument? ResourcePolicy, bool KeyPolicy, Dictionary<string, IReadOnlyList<string>> Keys, string? Shown = null, string? Forbidden = null, bool TrustOnly = false);

    private Check From(AccessCheck check) => new(check.Action, check.Resource, ResourcePolicy(check.ResourcePolicy), check.KeyPolicy, new Dictionary<string, IReadOnlyList<string>>(check.Keys, StringComparer.OrdinalIgnoreCase), check.Shown);

    /// <summary>Throws <see cref="AwsError"/> AccessDenied(Exception) when the call is not allowed.</summary>
    /// <param name="input">The JSON protocols' request, as the edge parsed it once (default for the Query protocols).</param>
    public Task AuthorizeAsync(CallerIdentity caller, string service, string operation, JsonElement input, QueryRequest? query, string? sourceIp, bool secure, CancellationToken ct) =>
        AuthorizeAsync(caller, service, operation, input, query, sourceIp, secure, null, ct);

    private async Task AuthorizeAsync(CallerIdentity caller, string service, string operation, JsonElement input, QueryRequest? query, string? sourceIp, bool secure, IReadOnlyList<Check>? explicitChecks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        // A user's GetSessionToken credentials may not call IAM (AWS: only with MFA, which Strongroom has not).
        if (service == "iam" && caller.Temporary && !SessionNames.IsSession(caller.UserName))
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
            // The admin is bound by nothing but a role's trust policy (and KMS's lockout check, which passes its own).
            if (explicitChecks is not null || (service == "sts" && operation == "AssumeRole"))
            {
                foreach (var check in (explicitChecks ?? await ChecksAsync(caller, service, operation, input, query, ct)).Where(c => c.TrustOnly))
                {
                    Deny(caller, service, check, Decide(check, caller, [], null, null, null, null, sourceIp, secure));
                }
            }

            return;
        }

        await EnforceAsync(caller, service, explicitChecks ?? await ChecksAsync(caller, service, operation, input, query, ct), sourceIp, secure, ct);
    }

    /// <summary>
    /// The caller's access for what a call reaches while it runs, answered with this request's context
    /// (<paramref name="sourceIp"/>, <paramref name="secure"/> and every other global key), exactly as the direct
    /// call's checks would be. Unrestricted for the admin.
    /// </summary>
    public ICallerAccess AccessOf(CallerIdentity caller, string? sourceIp, bool secure)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return IsAdmin(caller) ? ICallerAccess.Unrestricted : new CallerAccessGate(this, _checks, caller, sourceIp, secure);
    }

    /// <summary>Null when every check allows; else the denial's text. Used by <see cref="CallerAccessGate"/>.</summary>
    internal async Task<string?> DeniedAsync(CallerIdentity caller, IEnumerable<AccessCheck> checks, string? sourceIp, bool secure, CancellationToken ct)
    {
        try
        {
            await EnforceAsync(caller, "secretsmanager", checks.Select(From).ToList(), sourceIp, secure, ct);
            return null;
        }
        catch (AwsError e)
        {
            return e.Message;
        }
    }

    private async Task EnforceAsync(CallerIdentity caller, string service, IReadOnlyList<Check> checks, string? sourceIp, bool secure, CancellationToken ct)
    {
        IReadOnlyList<NamedPolicy> identityPolicies = [];
        IReadOnlyList<NamedPolicy>? sessionPolicies = null;
        IamUser? user = null;
        IamRole? role = null;
        IamSession? session = null;
        // The policies are those of the principal the caller's key was issued to: a user or role re-created under the
        // same name since (another unique id) lends it none.
        if (SessionNames.IsSession(caller.UserName))
        {
            if (await _iam.Principals.PoliciesOfSessionAsync(caller.AccessKeyId, ct) is { } found
                && (caller.PrincipalId is null || caller.PrincipalId == found.Role.RoleId + ":" + found.Session.SessionName))
            {
                (role, identityPolicies, sessionPolicies, session) = (found.Role, found.Policies, found.SessionPolicies, found.Session);
            }
        }
        else if (await _iam.Principals.PoliciesOfUserAsync(caller.UserName, ct) is { } found && (caller.PrincipalId is null || caller.PrincipalId == found.User.UserId))
        {
            (user, identityPolicies) = (found.User, found.Policies);
        }

        foreach (var check in checks)
        {
            Deny(caller, service, check, check.Forbidden ?? Decide(check, caller, identityPolicies, sessionPolicies, user, role, session, sourceIp, secure));
        }
    }

    private static void Deny(CallerIdentity caller, string service, Check check, string? reason)
    {
        if (reason is null)
        {
            return;
        }

        var message = $"User: {caller.PrincipalArn} is not authorized to perform: {check.Action} on resource: {check.Shown ?? check.Resource} {reason}";
        throw service is "iam" or "sts" ? new AwsError("AccessDenied", message, 403) : new AwsError("AccessDeniedException", message);
    }

    /// <summary>One check's decision: null when allowed, else the denial's reason as AWS words it.</summary>
    private string? Decide(Check check, CallerIdentity caller, IReadOnlyList<NamedPolicy> identityPolicies, IReadOnlyList<NamedPolicy>? sessionPolicies, IamUser? user, IamRole? role, IamSession? session, string? sourceIp, bool secure)
    {
        // Identity, session and resource policies are evaluated together, as AWS does: an explicit Deny in any of them
        // wins; a session policy bounds what the role's identity policies and a resource policy naming the role grant (a
        // resource policy naming the session itself is not bounded); a resource policy's principal naming this account
        // only delegates to identity policies (it grants nothing by itself) — except in a trust-only check, and in a key
        // policy, whose evaluator (KeyPolicyEvaluator) finds the delegating statement itself.
        var context = new RequestContext { Action = check.Action, Resource = check.Resource, PrincipalArn = caller.PrincipalArn, AccountId = _identity.AccountId, AccountPrincipalDelegates = !check.TrustOnly && !check.KeyPolicy };
        AddGlobalKeys(context, caller, user, role, session, sourceIp, secure);
        foreach (var (key, values) in check.Keys)
        {
            context.With(key, values);
        }

        if (check.TrustOnly)
        {
            return check.ResourcePolicy is not null && PolicyEvaluator.Evaluate(context, [], new NamedPolicy(ResourcePolicyName, check.ResourcePolicy)).Allowed
                ? null
                : $"because no resource-based policy allows the {check.Action} action";
        }

        if (check.KeyPolicy && check.ResourcePolicy is not null)
        {
            // AWS KMS (and a role's trust policy): the resource policy must allow, itself or by delegating to the
            // account's IAM policies.
            var keyPolicy = new NamedPolicy(ResourcePolicyName, check.ResourcePolicy);
            var keyAccess = KeyPolicyEvaluator.Evaluate(context, identityPolicies, sessionPolicies, keyPolicy);
            return keyAccess.Result.Allowed ? null
                : keyAccess.Result.Decision == PolicyDecision.ExplicitDeny ? ExplicitDenyText(keyAccess.Result, keyPolicy)
                : keyAccess.IdentityAllowed ? $"because no resource-based policy allows the {check.Action} action"
                : $"because no identity-based policy allows the {check.Action} action";
        }

        var resourcePolicy = check.ResourcePolicy is null ? null : new NamedPolicy(ResourcePolicyName, check.ResourcePolicy);
        var result = PolicyEvaluator.Evaluate(context, identityPolicies, resourcePolicy, sessionPolicies);
        return result.Allowed ? null
            : result.Decision == PolicyDecision.ExplicitDeny ? ExplicitDenyText(result, resourcePolicy)
            : $"because no identity-based policy allows the {check.Action} action";
    }

    /// <summary>
    /// Where an explicit deny came from, as AWS words it, told by the policy object itself rather than by comparing
    /// display names (#17: no stringly-typed kinds).
    /// </summary>
    private static string ExplicitDenyText(AuthorizationResult result, NamedPolicy? resourcePolicy) =>
        resourcePolicy is not null && ReferenceEquals(result.Policy, resourcePolicy)
            ? "with an explicit deny in a resource-based policy"
            : "with an explicit deny in an identity-based policy";

    private const string ResourcePolicyName = "resource policy";

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

    private async Task<List<Check>> ChecksAsync(CallerIdentity caller, string service, string operation, JsonElement root, QueryRequest? query, CancellationToken ct)
    {
        var action = service + ":" + operation;
        var region = caller.Region;
        var checks = new List<Check>();
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
            case "sts":
                if (service == "sts" && operation == "AssumeRole" && query?.Get("RoleArn") is not null)
                {
                    await StsChecksAsync(checks, action, operation, query, ct);
                    break;
                }

                foreach (var request in await _iamAccess.RequestsAsync(service, operation, IamParameters(query), new IamAccess.Caller(caller.PrincipalArn, caller.UserName, SessionNames.IsSession(caller.UserName)), ct))
                {
                    checks.Add(new Check(request.Action, request.Resource, null, false, new Dictionary<string, IReadOnlyList<string>>(request.Keys, StringComparer.OrdinalIgnoreCase), Forbidden: request.Forbidden));
                }

                break;
            case "strongroom":
                await StrongroomChecksAsync(checks, action, operation, region, root, ct);
                break;
            default:
                checks.Add(new Check(action, "*", null, false, []));
                break;
        }

        return checks;
    }

    /// <summary>A Query-protocol call's parameters as Core's <see cref="IamAccess"/> reads them.</summary>
    private static IamAccess.Parameters IamParameters(QueryRequest? query) =>
        query is null ? new IamAccess.Parameters(_ => null, [], []) : new IamAccess.Parameters(query.Get, query.Pairs("Tags"), query.List("TagKeys"));

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

        var role = await _iam.Roles.FindRoleByArnAsync(roleArn, ct);
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
            await AuthorizeAsync(caller, "kms", "PutKeyPolicy", default, null, sourceIp, secure,
                [new Check("kms:PutKeyPolicy", keyArn, candidate, true, []), new Check("kms:PutKeyPolicy", keyArn, candidate, false, [], TrustOnly: true)], ct);
            return true;
        }
        catch (AwsError)
        {
            return false;
        }
    }

    /// <summary>
    /// Strongroom's admin API: a rotation-function call names its function's ARN (so policies can scope to functions),
    /// and attaching a role to one needs iam:PassRole on the role (as Lambda's CreateFunction does). ListRotationRuns and
    /// ListRotationStatus are authorised per secret: on the secret SecretId names, or — without one — run by run as the answer is built.
    /// </summary>
    private async Task StrongroomChecksAsync(List<Check> checks, string action, string operation, string region, JsonElement root, CancellationToken ct)
    {
        if (operation == Protocol.Aws.Strongroom.WatchSecretsApi.Operation)
        {
            return; // no front-door check: each secret needs secretsmanager:DescribeSecret, decided in Core.Secrets.SecretWatch
        }

        if (operation is "ListRotationRuns" or "ListRotationStatus")
        {
            if (Member(root, "SecretId") is { } secretId)
            {
                checks.Add(From(await _checks.SecretActionAsync(region, action, secretId, ct)));
            }

            return;
        }

        if (!operation.EndsWith("RotationFunction", StringComparison.Ordinal) || Member(root, "Name") is not { } functionName)
        {
            checks.Add(new Check(action, "*", null, false, []));
            return;
        }

        var functionArn = Core.Rotation.RotationFunction.ArnOf(region, _identity.AccountId, functionName);
        checks.Add(new Check(action, functionArn, null, false, []));
        if (operation is "CreateRotationFunction" or "UpdateRotationFunction" && Member(root, "RoleArn") is { Length: > 0 } roleArn)
        {
            checks.Add(new Check("iam:PassRole", roleArn, null, false, new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
            {
                ["iam:PassedToService"] = ["lambda.amazonaws.com"],
                ["iam:AssociatedResourceArn"] = [functionArn],
            }));
        }
    }

    private async Task SecretsManagerChecksAsync(List<Check> checks, string action, string operation, string region, JsonElement root, CancellationToken ct)
    {
        if (operation is "ListSecrets" or "GetRandomPassword" or "BatchGetSecretValue" || (operation == "ValidateResourcePolicy" && Member(root, "SecretId") is null))
        {
            checks.Add(new Check(action, "*", null, false, []));
            if (operation == "BatchGetSecretValue" && root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Filters", out var filters) && filters.ValueKind != JsonValueKind.Null)
            {
                // Filters list secrets (their names and ARNs come back even when a value is denied): AWS requires ListSecrets too.
                checks.Add(new Check("secretsmanager:ListSecrets", "*", null, false, []));
            }

            return;
        }

        if (operation == "GetSecretValue")
        {
            // The one builder every door that reads a value shares (BatchGetSecretValue's items, SSM's references).
            var reads = await _checks.ReadSecretAsync(region, Member(root, "SecretId") ?? string.Empty, Member(root, "VersionId"), Member(root, "VersionStage"), ct);
            checks.AddRange(reads.Select(From));
            return;
        }

        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        string arn;
        string shown;
        SecretRecord? secret = null;
        if (operation == "CreateSecret")
        {
            var name = Member(root, "Name") ?? string.Empty;
            arn = $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{name}";
            shown = arn;
            keys["secretsmanager:Name"] = [name];
            if (Member(root, "KmsKeyId") is { } kmsKeyId)
            {
                keys["secretsmanager:KmsKeyId"] = [kmsKeyId];
            }
        }
        else
        {
            var target = await _checks.SecretAsync(region, Member(root, "SecretId") ?? string.Empty, ct);
            (arn, secret, shown) = (target.Arn, target.Secret, target.Shown);
            foreach (var (key, values) in target.Keys)
            {
                keys[key] = values;
            }
        }

        if (operation == "PutResourcePolicy")
        {
            keys["secretsmanager:BlockPublicPolicy"] = [root.TryGetProperty("BlockPublicPolicy", out var block) && block.ValueKind == JsonValueKind.True ? "true" : "false"];
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

        checks.Add(new Check(action, arn, ResourcePolicy(secret?.ResourcePolicy), false, keys, shown));

        // Writing a value, or moving the secret to another key, uses KMS on the caller's behalf.
        var writesValue = operation is "CreateSecret" or "PutSecretValue" or "UpdateSecret" && (Member(root, "SecretString") is not null || Member(root, "SecretBinary") is not null);
        var movesKey = operation == "UpdateSecret" && secret is not null && Member(root, "KmsKeyId") is not null;
        if (writesValue || movesKey)
        {
            var kmsChecks = await _checks.WriteSecretKeysAsync(region, secret, operation == "PutSecretValue" ? null : Member(root, "KmsKeyId"), writesValue, ct);
            checks.AddRange(kmsChecks.Select(From));
        }

        // Attaching a rotation function, or running the one attached, invokes it: AWS requires lambda:InvokeFunction on it.
        if (operation == "RotateSecret" && (Member(root, "RotationLambdaARN") ?? secret?.RotationLambdaArn) is { Length: > 0 } function)
        {
            var functionArn = function.StartsWith("arn:", StringComparison.Ordinal) ? function : Core.Rotation.RotationFunction.ArnOf(region, _identity.AccountId, function);
            checks.Add(new Check("lambda:InvokeFunction", functionArn, null, false, []));
        }
    }

    /// <summary>The encryption context member <paramref name="member"/> as kms:EncryptionContext:… and kms:EncryptionContextKeys.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ContextKeys(JsonElement root, string member)
    {
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(member, out var context) && context.ValueKind == JsonValueKind.Object)
        {
            foreach (var pair in context.EnumerateObject())
            {
                keys["kms:EncryptionContext:" + pair.Name] = [pair.Value.ToString()];
            }

            keys["kms:EncryptionContextKeys"] = context.EnumerateObject().Select(p => p.Name).ToList();
        }

        return keys;
    }

    /// <summary>The key id a ciphertext blob names in its header (whatever the request claims), or null.</summary>
    private static string? BlobKeyId(JsonElement root)
    {
        if (Member(root, "CiphertextBlob") is not { } blob)
        {
            return null;
        }

        try
        {
            return KmsCiphertextBlob.ReadHeader(Convert.FromBase64String(blob)).KeyId.ToString();
        }
        catch (Exception e) when (e is FormatException or CryptoFailureException)
        {
            return null;
        }
    }

    /// <summary><paramref name="action"/> on the key <paramref name="identifier"/> names, decided with its key policy; a missing key is checked by IAM alone (the call then answers NotFound).</summary>
    private async Task<Check> KeyCheckAsync(string action, string region, string? identifier, Dictionary<string, IReadOnlyList<string>> keys, CancellationToken ct)
    {
        var key = identifier is null ? null : await _keys.FindAsync(_store, region, identifier, allowAlias: true, ct);
        if (key is not null)
        {
            return new Check(action, key.Arn, ResourcePolicy(_checks.KeyPolicyOf(key)), true, keys);
        }

        var resource = identifier is null ? "*" : identifier.StartsWith("arn:", StringComparison.Ordinal) ? identifier : $"arn:aws:kms:{region}:{_identity.AccountId}:key/{identifier}";
        return new Check(action, resource, null, true, keys);
    }

    private async Task KmsChecksAsync(List<Check> checks, string action, string operation, string region, JsonElement root, CancellationToken ct)
    {
        switch (operation)
        {
            case "CreateKey" or "ListKeys" or "GenerateRandom" or "ListAliases" when Member(root, "KeyId") is null:
                checks.Add(new Check(action, "*", null, false, []));
                return;

            case "Decrypt":
                // The key that made the blob decides, whatever KeyId says (a KeyId of another key then fails as IncorrectKeyException).
                checks.Add(await KeyCheckAsync(action, region, BlobKeyId(root) ?? Member(root, "KeyId"), ContextKeys(root, "EncryptionContext"), ct));
                return;

            case "ReEncrypt":
                // AWS: kms:ReEncryptFrom on the source key — the one the blob names, not SourceKeyId — and kms:ReEncryptTo on the destination.
                checks.Add(await KeyCheckAsync("kms:ReEncryptFrom", region, BlobKeyId(root) ?? Member(root, "SourceKeyId"), ContextKeys(root, "SourceEncryptionContext"), ct));
                checks.Add(await KeyCheckAsync("kms:ReEncryptTo", region, Member(root, "DestinationKeyId"), ContextKeys(root, "DestinationEncryptionContext"), ct));
                return;

            case "CreateAlias" or "UpdateAlias" or "DeleteAlias":
                // AWS: the action on the alias (IAM policies only: aliases have no policy), and on every key it touches —
                // the new target, and for Update/Delete the key the alias points at now.
                var aliasName = Member(root, "AliasName") ?? string.Empty;
                checks.Add(new Check(action, aliasName.StartsWith("arn:", StringComparison.Ordinal) ? aliasName : _keys.AliasArn(region, aliasName), null, false, []));
                if (operation != "DeleteAlias")
                {
                    checks.Add(await KeyCheckAsync(action, region, Member(root, "TargetKeyId"), [], ct));
                }

                if (operation != "CreateAlias" && aliasName.StartsWith("alias/", StringComparison.Ordinal)
                    && await _keys.FindAsync(_store, region, aliasName, allowAlias: true, ct) is { } current)
                {
                    checks.Add(new Check(action, current.Arn, ResourcePolicy(_checks.KeyPolicyOf(current)), true, []));
                }

                return;

            default:
                checks.Add(await KeyCheckAsync(action, region, Member(root, "KeyId") ?? Member(root, "TargetKeyId"), ContextKeys(root, "EncryptionContext"), ct));
                return;
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
            // An ARN that is not a parameter's (too few parts, no "parameter/") is checked as the name it was sent as;
            // the operation then refuses it. Slicing it blindly answered a non-admin caller 500 (issue #16).
            var parts = raw.Split(':', 6);
            var bare = !raw.StartsWith("arn:", StringComparison.Ordinal) ? raw.TrimStart('/')
                : parts.Length == 6 && parts[5].StartsWith("parameter/", StringComparison.Ordinal) ? parts[5]["parameter/".Length..]
                : raw;
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

            // A SecureString's key and an /aws/reference/secretsmanager/ parameter's secret are checked as the call
            // reads them (ICallerAccess): only then is it known which version, key and stage are read.
            checks.Add(new Check(action, $"arn:aws:ssm:{region}:{_identity.AccountId}:parameter/{bare}", null, false, keys));
        }
    }
}
