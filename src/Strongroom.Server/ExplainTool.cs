using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Policies;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// `strongroom admin explain`: for a user, an action and a resource, which statement of which policy allows
/// or denies it (or that none applies). Reads the store; needs no root key — so it reads IAM rows without checking
/// their integrity tags (<see cref="IamService.Unverified"/>: a diagnostic; the server's own decisions check them). It
/// does not evaluate on its own: it asks the server's <see cref="AccessEvaluator"/>, with an <see cref="AccessTrace"/>
/// that collects the deciding statement and the request context the near misses are found in (ADR 0038).
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
        var (refusal, view, json) = await BeginAsync(store, IamService.User, "user", userName, action, context, ct, region);
        if (refusal is not null)
        {
            return refusal;
        }

        var user = JsonSerializer.Deserialize<IamUser>(json)!;
        var caller = new AccessCaller(PrincipalKind.User, ExplainKeyId, user.Arn, userName, view.Identity.DefaultRegion, user.UserId);
        var evaluator = new AccessEvaluator(view.Iam.Principals, view.Identity, TimeProvider.System);
        // The administrator is the user with the recorded unique id, not whoever is called "admin" (the evaluator's test).
        if (evaluator.IsAdmin(caller))
        {
            return new Explanation(true, "Allow", null, null, null, $"ALLOW: {userName} is the administrator, who may do everything.");
        }

        return await DecideAsync(store, view, evaluator, caller, user.Arn, action, resource, context, ct);
    }

    /// <summary>
    /// The decision for a session of an IAM role (as an AssumeRole or AssumeRoleWithWebIdentity session without session
    /// policies or session tags is decided): the role's inline and attached policies, the role's tags as principal
    /// tags, aws:PrincipalArn the role's ARN, and the resource policy matched against the session's principal as the
    /// server matches it — by the server's own evaluator, given a session named "explain" that is not stored.
    /// </summary>
    public static async Task<Explanation> ExplainRoleAsync(Core.Storage.IStore store, string roleName, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct, string? region = null)
    {
        var (refusal, view, json) = await BeginAsync(store, IamService.Role, "role", roleName, action, context, ct, region);
        if (refusal is not null)
        {
            return refusal;
        }

        var role = JsonSerializer.Deserialize<IamRole>(json)!;
        var session = new IamSession { Kind = IamSession.RoleKind, RoleName = role.Name, SessionName = "explain" };
        var sessionArn = $"arn:aws:sts::{view.Identity.AccountId}:assumed-role/{role.Name}/{session.SessionName}";
        var caller = new AccessCaller(PrincipalKind.AssumedRoleSession, ExplainKeyId, sessionArn, roleName, view.Identity.DefaultRegion, role.RoleId + ":" + session.SessionName);
        var evaluator = new AccessEvaluator(new RoleSessionPolicies(view.Iam.Principals, role.Name, session), view.Identity, TimeProvider.System);
        return await DecideAsync(store, view, evaluator, caller, role.Arn, action, resource, context, ct);
    }

    /// <summary>The access key id an explained caller is given: it signs nothing and names no stored key.</summary>
    private const string ExplainKeyId = "EXPLAIN";

    /// <summary>
    /// The installation as explain sees it: its identity (the account, the administrator's recorded id, the region asked
    /// about) and an unverified, read-only view of the IAM rows (<see cref="IamService.Unverified"/>: explain has no root key).
    /// </summary>
    private sealed record View(ServerIdentity Identity, IamService Iam);

    /// <summary>What both questions start with: the arguments, a known action, the installation, the user's or role's stored document.</summary>
    private static async Task<(Explanation? Refusal, View View, string Json)> BeginAsync(Core.Storage.IStore store, IamEntityKind kind, string noun, string name, string action, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct, string? region)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(action);
        if (CheckAction(action) is { } wrongAction)
        {
            return (new Explanation(false, UnknownAction, null, null, null, $"UNKNOWN ACTION: {wrongAction} No call asks for it, so no answer is given."), null!, string.Empty);
        }

        var account = await store.GetSettingAsync("account_id", ct) ?? throw new InvalidOperationException("the data directory has no account id");
        var identity = new ServerIdentity(account, region ?? "us-east-1") { AdminUserId = await store.GetSettingAsync(IdentityBootstrap.AdminUserIdSetting, ct) };
        var view = new View(identity, IamService.Unverified(store, identity, TimeProvider.System));
        var json = (await store.FindIamEntityAsync(kind, name, ct))?.Json;
        return json is null
            ? (new Explanation(false, "ImplicitDeny", null, null, null, $"DENY: there is no {noun} {name}."), view, string.Empty)
            : (null, view, json);
    }

    /// <summary>
    /// The policies of the unstored "explain" session of a role: the role's, compiled by <see cref="IamPrincipals.PoliciesOfRoleAsync"/>
    /// as for a real session, with no session policy.
    /// </summary>
    private sealed class RoleSessionPolicies(IamPrincipals principals, string roleName, IamSession session) : IPrincipalPolicies
    {
        public async Task<CallerPolicies?> PoliciesOfAsync(AccessCaller caller, CancellationToken ct) =>
            await principals.PoliciesOfRoleAsync(roleName, ct) is { } role ? new CallerPolicies(role.Policies, null, null, role.Role, session) : null;
    }

    /// <summary>
    /// Resolves the resource as the operation does, then asks the server's evaluator (<see cref="AccessEvaluator"/>, with
    /// an <see cref="AccessTrace"/>) to decide the one check — the caller's extra context keys added to the check's — and
    /// words what it collected. The transport's keys (aws:SourceIp, aws:SecureTransport) are absent unless given with
    /// --context: explain has no request to take them from.
    /// </summary>
    private static async Task<Explanation> DecideAsync(Core.Storage.IStore store, View view, AccessEvaluator evaluator, AccessCaller caller, string shown, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(resource);
        // The resource as the operation resolves it: a secret's name, partial or full ARN becomes the secret's ARN with
        // its condition keys and resource policy (AccessChecks.SecretAsync, what the authorizer asks), so the answer is
        // the server's. The call's region is the ARN's, else the one given.
        var requested = resource;
        string? resourcePolicy = null;
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        var isSecretAction = action.StartsWith("secretsmanager:", StringComparison.OrdinalIgnoreCase) && !SecretlessActions.Contains(action, StringComparer.OrdinalIgnoreCase);
        if (isSecretAction || resource.StartsWith("arn:aws:secretsmanager:", StringComparison.Ordinal))
        {
            var parts = resource.Split(':');
            var callRegion = resource.StartsWith("arn:", StringComparison.Ordinal) && parts.Length > 3 ? parts[3] : view.Identity.DefaultRegion;
            var target = await AccessChecks.SecretAsync(store, view.Identity.AccountId, callRegion, resource, ct);
            resource = target.Arn;
            resourcePolicy = target.Secret?.ResourcePolicy;
            foreach (var (key, values) in target.Keys)
            {
                keys[key] = values;
            }
        }
        else if (action.StartsWith("secretsmanager:", StringComparison.OrdinalIgnoreCase))
        {
            resource = "*";
        }

        foreach (var (key, values) in context)
        {
            keys[key] = values;
        }

        var trace = new AccessTrace();
        await evaluator.DecideAsync(caller, [new AccessCheck(action, resource, resourcePolicy, false, keys)], new AccessRequestContext(null, null), trace, ct);
        var traced = trace.Checks[^1];
        var result = traced.Result;
        var where = result.Statement is null ? "no statement of any policy applies" : $"statement {StatementName(result.Statement)} of {result.Policy!.Name}";
        var verdict = result.Decision switch
        {
            PolicyDecision.Allow => "ALLOW",
            PolicyDecision.ExplicitDeny => "DENY (explicit)",
            _ => "DENY (implicit)",
        };
        var resolved = requested == resource ? resource : $"{resource} (as the call resolves '{requested}')";
        var text = new System.Text.StringBuilder(
            $"{verdict}: {shown} → {action} on {resolved}: {where}. Policies considered: {traced.Policies.Count}{(traced.ResourcePolicy is null ? string.Empty : " + the resource policy")}.");
        if (result.Decision == PolicyDecision.ImplicitDeny)
        {
            var closest = traced.Closest();
            if (closest.Count == 0)
            {
                text.Append("\nNo Allow statement names this action or this resource.");
            }

            foreach (var miss in closest)
            {
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

                text.Append($"\nClosest: statement {StatementName(miss.Statement)} of {miss.Policy.Name}: {string.Join("; ", lacks)}.");
            }
        }

        return new Explanation(result.Allowed, result.Decision.ToString(), result.Policy?.Name, result.Statement?.Sid, result.Statement?.Index, text.ToString());
    }

    private static string StatementName(PolicyStatement statement) => statement.Sid is null ? "#" + (statement.Index + 1) : "\"" + statement.Sid + "\"";
}
