using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Policies;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// `strongroom admin explain`: for a user, an action and a resource, which statement of which policy allows
/// or denies it (or that none applies). Reads the store; needs no root key — so it reads IAM rows without checking
/// their integrity tags (a diagnostic; the server's own decisions check them). It evaluates as the server does.
/// </summary>
public static class ExplainTool
{
    /// <summary>Actions the server checks that are no operation of its own (a function's invocation, passing a role, tagging a session).</summary>
    private static readonly string[] OtherActions = ["lambda:InvokeFunction", "iam:PassRole", "sts:TagSession", "strongroom:VerifyAuditTrail", "strongroom:Seal"];

    /// <summary>Secrets Manager actions that name no secret (their resource is "*").</summary>
    private static readonly string[] SecretlessActions = ["secretsmanager:ListSecrets", "secretsmanager:GetRandomPassword", "secretsmanager:BatchGetSecretValue"];

    /// <param name="postgres">With PostgreSQL storage, the connection string (the data directory is then not read).</param>
    /// <param name="region">The region a secret name or partial ARN is looked up in, as the call's region (default us-east-1).</param>
    public static async Task<int> ExplainAsync(string dataDir, string userName, string action, string resource, IReadOnlyList<string> context, TextWriter output, CancellationToken ct, string? postgres = null, string? region = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(context);
        var database = Path.Combine(Path.GetFullPath(dataDir), "strongroom.db");
        if (postgres is null && !File.Exists(database))
        {
            throw new DirectoryNotFoundException($"'{dataDir}' is not an initialised Strongroom data directory (no strongroom.db).");
        }

        await using Core.Storage.IStore store = postgres is null ? new SqliteStore(database) : new Storage.PostgreSql.PostgresStore(postgres);
        await store.InitializeAsync(ct);
        var explanation = await ExplainAsync(store, userName, action, resource, context.Select(pair =>
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            return eq > 0 ? new KeyValuePair<string, IReadOnlyList<string>>(pair[..eq], pair[(eq + 1)..].Split(',')) : default;
        }).Where(p => p.Key is not null).ToList(), ct, region);
        await output.WriteLineAsync(explanation.Text);
        return explanation.Allowed ? 0 : explanation.Decision == UnknownAction ? 2 : 1;
    }

    /// <summary>The decision when the action is no action the server knows.</summary>
    public const string UnknownAction = "UnknownAction";

    /// <summary>Null when <paramref name="action"/> is an action the server checks; else what is wrong with it, with the nearest known one.</summary>
    public static string? CheckAction(string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var known = Protocol.Aws.WireMembers.Actions.Concat(OtherActions).ToList();
        // IAM matches action names without regard to case.
        if (action.Contains('*', StringComparison.Ordinal) || action.Contains('?', StringComparison.Ordinal))
        {
            return $"'{action}' is a pattern; name one action, e.g. secretsmanager:GetSecretValue.";
        }

        if (known.Contains(action, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var colon = action.IndexOf(':', StringComparison.Ordinal);
        var service = colon > 0 ? action[..colon] : string.Empty;
        var ofService = known.Where(k => k.StartsWith(service + ":", StringComparison.OrdinalIgnoreCase)).ToList();
        if (ofService.Count == 0)
        {
            return $"'{action}' is not an action: '{(colon > 0 ? service : action)}' is no service Strongroom serves (secretsmanager, kms, ssm, iam, sts, strongroom; lambda:InvokeFunction).";
        }

        var nearest = ofService.MinBy(k => Distance(k.ToUpperInvariant(), action.ToUpperInvariant()));
        return $"'{action}' is not an action of {service}; did you mean {nearest}?";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    /// <summary>The decision for a user, action and resource, and the words that explain it.</summary>
    public sealed record Explanation(bool Allowed, string Decision, string? PolicyName, string? StatementSid, int? StatementIndex, string Text);

    /// <param name="region">The region of the call being explained: a secret name or partial ARN is looked up there (default us-east-1).</param>
    public static async Task<Explanation> ExplainAsync(Core.Storage.IStore store, string userName, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct, string? region = null)
    {
        var (refusal, account, json) = await BeginAsync(store, IamService.User, "user", userName, action, resource, context, ct);
        if (refusal is not null)
        {
            return refusal;
        }

        var user = JsonSerializer.Deserialize<IamUser>(json)!;
        // The administrator is the user with the recorded unique id, not whoever is called "admin".
        if (user.UserId == await store.GetSettingAsync(IdentityBootstrap.AdminUserIdSetting, ct))
        {
            return new Explanation(true, "Allow", null, null, null, $"ALLOW: {userName} is the administrator, who may do everything.");
        }

        var policies = new List<NamedPolicy>();
        foreach (var (name, document) in user.InlinePolicies)
        {
            policies.Add(new NamedPolicy($"user/{userName} inline policy {name}", PolicyDocument.Parse(document)));
        }

        var managed = (await store.ListIamEntitiesAsync(IamService.Policy, ct)).Select(row => JsonSerializer.Deserialize<IamManagedPolicy>(row.Json)!).ToDictionary(p => p.Arn, StringComparer.Ordinal);
        void AddManaged(IEnumerable<string> arns, string via)
        {
            foreach (var arn in arns)
            {
                if (managed.TryGetValue(arn, out var policy))
                {
                    policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId}){via}", PolicyDocument.Parse(policy.DefaultDocument)));
                }
            }
        }

        AddManaged(user.AttachedPolicies, string.Empty);
        foreach (var groupName in user.Groups)
        {
            if (await store.FindIamEntityAsync(IamService.Group, groupName, ct) is { } groupRow)
            {
                var group = JsonSerializer.Deserialize<IamGroup>(groupRow.Json)!;
                foreach (var (name, document) in group.InlinePolicies)
                {
                    policies.Add(new NamedPolicy($"group/{groupName} inline policy {name}", PolicyDocument.Parse(document)));
                }

                AddManaged(group.AttachedPolicies, $" via group/{groupName}");
            }
        }

        var keys = new List<KeyValuePair<string, string>> { new("aws:username", userName), new("aws:userid", user.UserId), new("aws:PrincipalArn", user.Arn) };
        keys.AddRange(user.Tags.Select(tag => new KeyValuePair<string, string>("aws:PrincipalTag/" + tag.Key, tag.Value)));
        return await DecideAsync(store, account, new Principal(user.Arn, user.Arn, keys), policies, action, resource, context, region, ct);
    }

    /// <summary>
    /// The decision for a session of an IAM role (as an AssumeRole or AssumeRoleWithWebIdentity session without session
    /// policies is decided): the role's inline and attached policies, the role's tags as principal tags, aws:PrincipalArn
    /// the role's ARN, and the resource policy matched against the session's principal as the server matches it.
    /// </summary>
    public static async Task<Explanation> ExplainRoleAsync(Core.Storage.IStore store, string roleName, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct, string? region = null)
    {
        var (refusal, account, json) = await BeginAsync(store, IamService.Role, "role", roleName, action, resource, context, ct);
        if (refusal is not null)
        {
            return refusal;
        }

        var role = JsonSerializer.Deserialize<IamRole>(json)!;
        var policies = role.InlinePolicies.Select(p => new NamedPolicy($"role/{roleName} inline policy {p.Key}", PolicyDocument.Parse(p.Value))).ToList();
        var managed = (await store.ListIamEntitiesAsync(IamService.Policy, ct)).Select(row => JsonSerializer.Deserialize<IamManagedPolicy>(row.Json)!).ToDictionary(p => p.Arn, StringComparer.Ordinal);
        foreach (var arn in role.AttachedPolicies)
        {
            if (managed.TryGetValue(arn, out var policy))
            {
                policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId})", PolicyDocument.Parse(policy.DefaultDocument)));
            }
        }

        const string session = "explain";
        var sessionArn = $"arn:aws:sts::{account}:assumed-role/{role.Name}/{session}";
        var keys = new List<KeyValuePair<string, string>> { new("aws:userid", role.RoleId + ":" + session), new("aws:PrincipalArn", role.Arn), new("aws:PrincipalType", "AssumedRole") };
        keys.AddRange(role.Tags.Select(tag => new KeyValuePair<string, string>("aws:PrincipalTag/" + tag.Key, tag.Value)));
        return await DecideAsync(store, account, new Principal(sessionArn, role.Arn, keys), policies, action, resource, context, region, ct);
    }

    /// <summary>What both questions start with: the arguments, a known action, the account, the user's or role's stored document.</summary>
    private static async Task<(Explanation? Refusal, string Account, string Json)> BeginAsync(Core.Storage.IStore store, IamEntityKind kind, string noun, string name, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(resource);
        if (CheckAction(action) is { } wrongAction)
        {
            return (new Explanation(false, UnknownAction, null, null, null, $"UNKNOWN ACTION: {wrongAction} No call asks for it, so no answer is given."), string.Empty, string.Empty);
        }

        var account = await store.GetSettingAsync("account_id", ct) ?? throw new InvalidOperationException("the data directory has no account id");
        var json = (await store.FindIamEntityAsync(kind, name, ct))?.Json;
        return json is null
            ? (new Explanation(false, "ImplicitDeny", null, null, null, $"DENY: there is no {noun} {name}."), account, string.Empty)
            : (null, account, json);
    }

    /// <summary>Who is asking: the request's principal ARN, the ARN the answer names, and its global condition keys.</summary>
    private sealed record Principal(string Arn, string Shown, IReadOnlyList<KeyValuePair<string, string>> Keys);

    /// <summary>Resolves the resource as the operation does, then evaluates the request (with the caller's extra context keys) against the identity policies and the secret's resource policy.</summary>
    private static async Task<Explanation> DecideAsync(Core.Storage.IStore store, string account, Principal principal, List<NamedPolicy> policies, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, string? region, CancellationToken ct)
    {
        // The resource as the operation resolves it: a secret's name, partial or full ARN becomes the secret's ARN with
        // its condition keys and resource policy (AccessChecks.SecretAsync, what the authorizer asks), so the answer is
        // the server's. The call's region is the ARN's, else the one given.
        var requested = resource;
        NamedPolicy? resourcePolicy = null;
        IReadOnlyDictionary<string, IReadOnlyList<string>> resourceKeys = new Dictionary<string, IReadOnlyList<string>>();
        var isSecretAction = action.StartsWith("secretsmanager:", StringComparison.OrdinalIgnoreCase) && !SecretlessActions.Contains(action, StringComparer.OrdinalIgnoreCase);
        if (isSecretAction || resource.StartsWith("arn:aws:secretsmanager:", StringComparison.Ordinal))
        {
            var parts = resource.Split(':');
            var callRegion = resource.StartsWith("arn:", StringComparison.Ordinal) && parts.Length > 3 ? parts[3] : region ?? "us-east-1";
            var target = await AccessChecks.SecretAsync(store, account, callRegion, resource, ct);
            resource = target.Arn;
            resourceKeys = target.Keys;
            if (target.Secret?.ResourcePolicy is { } document)
            {
                resourcePolicy = new NamedPolicy($"resource policy of {target.Arn}", PolicyDocument.Parse(document), PolicySource.Resource);
            }
        }
        else if (action.StartsWith("secretsmanager:", StringComparison.OrdinalIgnoreCase))
        {
            resource = "*";
        }


        var request = new RequestContext { Action = action, Resource = resource, PrincipalArn = principal.Arn, AccountId = account, AccountPrincipalDelegates = true };
        foreach (var (key, value) in principal.Keys)
        {
            request.With(key, value);
        }

        foreach (var (key, values) in resourceKeys)
        {
            request.With(key, values);
        }

        foreach (var (key, values) in context)
        {
            request.With(key, values);
        }

        var result = PolicyEvaluator.Evaluate(request, policies, resourcePolicy);
        var where = result.Statement is null ? "no statement of any policy applies" : $"statement {(result.Statement.Sid is null ? "#" + (result.Statement.Index + 1) : "\"" + result.Statement.Sid + "\"")} of {result.Policy!.Name}";
        var verdict = result.Decision switch
        {
            PolicyDecision.Allow => "ALLOW",
            PolicyDecision.ExplicitDeny => "DENY (explicit)",
            _ => "DENY (implicit)",
        };
        var resolved = requested == resource ? resource : $"{resource} (as the call resolves '{requested}')";
        var text = new System.Text.StringBuilder(
            $"{verdict}: {principal.Shown} → {action} on {resolved}: {where}. Policies considered: {policies.Count}{(resourcePolicy is null ? string.Empty : " + the resource policy")}.");
        if (result.Decision == PolicyDecision.ImplicitDeny)
        {
            var closest = PolicyNearMiss.Closest(request, resourcePolicy is null ? policies : [.. policies, resourcePolicy]);
            if (closest.Count == 0)
            {
                text.Append("\nNo Allow statement names this action or this resource.");
            }

            foreach (var miss in closest)
            {
                var sid = miss.Statement.Sid is null ? "#" + (miss.Statement.Index + 1) : "\"" + miss.Statement.Sid + "\"";
                var lacks = new List<string>();
                if (!miss.ActionMatches)
                {
                    lacks.Add($"its Action does not match {action}");
                }

                if (!miss.ResourceMatches)
                {
                    lacks.Add($"its Resource ({string.Join(", ", miss.Statement.Resources ?? miss.Statement.NotResources ?? [])}) does not match {resource}");
                }

                if (miss.MissingKeys.Count > 0)
                {
                    lacks.Add($"the request has no {string.Join(", ", miss.MissingKeys)} (give it with --context KEY=VALUE)");
                }
                else if (miss.ActionMatches && miss.ResourceMatches && miss.Conditions.Count > 0)
                {
                    lacks.Add($"its conditions are not met: {string.Join("; ", miss.Conditions)}");
                }

                text.Append($"\nClosest: statement {sid} of {miss.Policy.Name}: {string.Join("; ", lacks)}.");
            }
        }

        return new Explanation(result.Allowed, result.Decision.ToString(), result.Policy?.Name, result.Statement?.Sid, result.Statement?.Index, text.ToString());
    }
}
