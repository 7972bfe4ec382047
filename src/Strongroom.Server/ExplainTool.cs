using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// `strongroom admin explain`: for a user, an action and a resource, which statement of which policy allows
/// or denies it (or that none applies). Reads the store; needs no root key — so it reads IAM rows without checking
/// their integrity tags (a diagnostic; the server's own decisions check them). It evaluates as the server does.
/// </summary>
public static class ExplainTool
{
    /// <param name="postgres">With PostgreSQL storage, the connection string (the data directory is then not read).</param>
    public static async Task<int> ExplainAsync(string dataDir, string userName, string action, string resource, IReadOnlyList<string> context, TextWriter output, CancellationToken ct, string? postgres = null)
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
        }).Where(p => p.Key is not null).ToList(), ct);
        await output.WriteLineAsync(explanation.Text);
        return explanation.Allowed ? 0 : 1;
    }

    /// <summary>The decision for a user, action and resource, and the words that explain it.</summary>
    public sealed record Explanation(bool Allowed, string Decision, string? PolicyName, string? StatementSid, int? StatementIndex, string Text);

    public static async Task<Explanation> ExplainAsync(Core.Storage.IStore store, string userName, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(context);
        var account = await store.GetSettingAsync("account_id", ct) ?? throw new InvalidOperationException("the data directory has no account id");
        var json = (await store.FindIamEntityAsync(IamService.User, userName, ct))?.Json;
        if (json is null)
        {
            return new Explanation(false, "ImplicitDeny", null, null, null, $"DENY: there is no user {userName}.");
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

        var managed = await ManagedPoliciesAsync(store, ct);
        AddManaged(policies, managed, user.AttachedPolicies, string.Empty);
        foreach (var groupName in user.Groups)
        {
            if (await store.FindIamEntityAsync(IamService.Group, groupName, ct) is { } groupRow)
            {
                var group = JsonSerializer.Deserialize<IamGroup>(groupRow.Json)!;
                foreach (var (name, document) in group.InlinePolicies)
                {
                    policies.Add(new NamedPolicy($"group/{groupName} inline policy {name}", PolicyDocument.Parse(document)));
                }

                AddManaged(policies, managed, group.AttachedPolicies, $" via group/{groupName}");
            }
        }

        var request = new RequestContext { Action = action, Resource = resource, PrincipalArn = user.Arn, AccountId = account, AccountPrincipalDelegates = true }
            .With("aws:username", userName).With("aws:userid", user.UserId).With("aws:PrincipalArn", user.Arn);
        foreach (var tag in user.Tags)
        {
            request.With("aws:PrincipalTag/" + tag.Key, tag.Value);
        }

        return await DecideAsync(store, request, user.Arn, policies, context, ct);
    }

    /// <summary>
    /// The decision for a session of an IAM role (as an AssumeRole or AssumeRoleWithWebIdentity session without session
    /// policies is decided): the role's inline and attached policies, the role's tags as principal tags, aws:PrincipalArn
    /// the role's ARN, and the resource policy matched against the session's principal as the server matches it.
    /// </summary>
    public static async Task<Explanation> ExplainRoleAsync(Core.Storage.IStore store, string roleName, string action, string resource, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(context);
        var account = await store.GetSettingAsync("account_id", ct) ?? throw new InvalidOperationException("the data directory has no account id");
        var json = (await store.FindIamEntityAsync(IamService.Role, roleName, ct))?.Json;
        if (json is null)
        {
            return new Explanation(false, "ImplicitDeny", null, null, null, $"DENY: there is no role {roleName}.");
        }

        var role = JsonSerializer.Deserialize<IamRole>(json)!;
        var policies = role.InlinePolicies.Select(p => new NamedPolicy($"role/{roleName} inline policy {p.Key}", PolicyDocument.Parse(p.Value))).ToList();
        AddManaged(policies, await ManagedPoliciesAsync(store, ct), role.AttachedPolicies, string.Empty);
        const string session = "explain";
        var sessionArn = $"arn:aws:sts::{account}:assumed-role/{role.Name}/{session}";
        var request = new RequestContext { Action = action, Resource = resource, PrincipalArn = sessionArn, AccountId = account, AccountPrincipalDelegates = true }
            .With("aws:userid", role.RoleId + ":" + session).With("aws:PrincipalArn", role.Arn).With("aws:PrincipalType", "AssumedRole");
        foreach (var tag in role.Tags)
        {
            request.With("aws:PrincipalTag/" + tag.Key, tag.Value);
        }

        return await DecideAsync(store, request, role.Arn, policies, context, ct);
    }

    private static async Task<Dictionary<string, IamManagedPolicy>> ManagedPoliciesAsync(Core.Storage.IStore store, CancellationToken ct) =>
        (await store.ListIamEntitiesAsync(IamService.Policy, ct)).Select(row => JsonSerializer.Deserialize<IamManagedPolicy>(row.Json)!).ToDictionary(p => p.Arn, StringComparer.Ordinal);

    private static void AddManaged(List<NamedPolicy> policies, Dictionary<string, IamManagedPolicy> managed, IEnumerable<string> arns, string via)
    {
        foreach (var arn in arns)
        {
            if (managed.TryGetValue(arn, out var policy))
            {
                policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId}){via}", PolicyDocument.Parse(policy.DefaultDocument)));
            }
        }
    }

    /// <summary>Evaluates <paramref name="request"/> (with the caller's extra context keys) against the identity policies and the secret's resource policy.</summary>
    private static async Task<Explanation> DecideAsync(Core.Storage.IStore store, RequestContext request, string principal, List<NamedPolicy> policies, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> context, CancellationToken ct)
    {
        var (action, resource) = (request.Action, request.Resource);
        foreach (var (key, values) in context)
        {
            request.With(key, values);
        }

        NamedPolicy? resourcePolicy = null;
        if (resource.StartsWith("arn:aws:secretsmanager:", StringComparison.Ordinal))
        {
            var region = resource.Split(':')[3];
            var secret = await SecretsService.FindAsync(store, region, resource, ct);
            if (secret?.ResourcePolicy is { } text)
            {
                resourcePolicy = new NamedPolicy($"resource policy of {secret.Arn}", PolicyDocument.Parse(text));
            }
        }

        var result = PolicyEvaluator.Evaluate(request, policies, resourcePolicy);
        var where = result.Statement is null ? "no statement of any policy applies" : $"statement {(result.Statement.Sid is null ? "#" + (result.Statement.Index + 1) : "\"" + result.Statement.Sid + "\"")} of {result.Policy!.Name}";
        var verdict = result.Decision switch
        {
            PolicyDecision.Allow => "ALLOW",
            PolicyDecision.ExplicitDeny => "DENY (explicit)",
            _ => "DENY (implicit)",
        };
        return new Explanation(result.Allowed, result.Decision.ToString(), result.Policy?.Name, result.Statement?.Sid, result.Statement?.Index,
            $"{verdict}: {principal} → {action} on {resource}: {where}. Policies considered: {policies.Count}{(resourcePolicy is null ? string.Empty : " + the resource policy")}.");
    }
}
