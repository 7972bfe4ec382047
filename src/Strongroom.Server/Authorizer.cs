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

    /// <summary>One decision. <see cref="Shown"/> is what a denial names: never more than the caller sent, so it can't reveal existence.</summary>
    private sealed record Check(string Action, string Resource, PolicyDocument? ResourcePolicy, bool KeyPolicy, Dictionary<string, IReadOnlyList<string>> Keys, string? Shown = null);

    /// <summary>Throws <see cref="AwsError"/> AccessDenied(Exception) when the call is not allowed.</summary>
    public async Task AuthorizeAsync(CallerIdentity caller, string service, string operation, ReadOnlyMemory<byte> body, QueryRequest? query, string? sourceIp, bool secure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (IsAdmin(caller) || (service == "sts" && operation == "GetCallerIdentity"))
        {
            return;
        }

        IReadOnlyList<NamedPolicy> identityPolicies = [];
        IReadOnlyList<NamedPolicy>? sessionPolicies = null;
        IamUser? user = null;
        IamRole? role = null;
        string? sessionName = null;
        if (caller.UserName.StartsWith("session:", StringComparison.Ordinal))
        {
            if (await _iam.PoliciesOfSessionAsync(caller.AccessKeyId, ct) is { } session)
            {
                (role, identityPolicies, sessionPolicies, sessionName) = (session.Role, session.Policies, session.SessionPolicies, session.Session.SessionName);
            }
        }
        else if (await _iam.PoliciesOfUserAsync(caller.UserName, ct) is { } found)
        {
            (user, identityPolicies) = (found.User, found.Policies);
        }
        foreach (var check in await ChecksAsync(caller, service, operation, body, query, ct))
        {
            var context = new RequestContext { Action = check.Action, Resource = check.Resource, PrincipalArn = caller.PrincipalArn, AccountId = _identity.AccountId };
            AddGlobalKeys(context, caller, user, role, sessionName, sourceIp, secure);
            foreach (var (key, values) in check.Keys)
            {
                context.With(key, values);
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
    }

    private void AddGlobalKeys(RequestContext context, CallerIdentity caller, IamUser? user, IamRole? role, string? sessionName, string? sourceIp, bool secure)
    {
        var now = _time.GetUtcNow();
        if (role is not null)
        {
            // An assumed-role session: aws:PrincipalArn is the role's ARN; there is no aws:username.
            context.With("aws:userid", role.RoleId + ":" + sessionName).With("aws:PrincipalArn", role.Arn).With("aws:PrincipalType", "AssumedRole");
            foreach (var tag in role.Tags)
            {
                context.With("aws:PrincipalTag/" + tag.Key, tag.Value);
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
                    checks.Add(new Check(action, query?.Get("RoleArn") ?? "*", null, false, []));
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
