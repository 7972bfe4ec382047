using System.Globalization;
using Strongroom.Core.Policies;
using Xunit;
using static Strongroom.Core.Policies.PolicyDecision;

namespace Strongroom.Tests;

/// <summary>
/// Table-driven tests of the IAM policy engine against AWS's documented semantics (IAM User Guide: "Policy
/// evaluation logic", "IAM JSON policy elements: Condition operators", "IAM policy elements: Variables and tags").
/// A request is written as entries: "@action=", "@resource=", "@principal=", "@account=" override the defaults
/// (alice in 123456789012 calling secretsmanager:GetSecretValue on the prod secret); any other "key=v1|v2" sets a
/// condition key ("key=[]" sets it to an empty list). An expected source is "policy-name#Sid" (null: not checked).
/// </summary>
public sealed class PolicyEvaluationTests
{
    private const string Account = "123456789012";
    private const string Alice = "arn:aws:iam::123456789012:user/alice";
    private const string Bob = "arn:aws:iam::123456789012:user/bob";
    private const string Role = "arn:aws:iam::123456789012:role/ops";
    private const string Session = "arn:aws:sts::123456789012:assumed-role/ops/alice-session";
    private const string S = "arn:aws:secretsmanager:us-east-1:123456789012:secret:";
    private const string ProdSecret = S + "prod/db-AbCdEf";
    private const string DevSecret = S + "dev/api-XyZ123";

    private const string AllowGet = """{"Sid":"AllowGet","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}""";
    private const string AllowPut = """{"Sid":"AllowPut","Effect":"Allow","Action":"secretsmanager:PutSecretValue","Resource":"*"}""";
    private const string AllowDev = """{"Sid":"AllowDev","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/*"}""";
    private const string AllowAll = """{"Sid":"AllowAll","Effect":"Allow","Action":"*","Resource":"*"}""";
    private const string DenyGet = """{"Sid":"DenyGet","Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}""";
    private const string DenyPut = """{"Sid":"DenyPut","Effect":"Deny","Action":"secretsmanager:PutSecretValue","Resource":"*"}""";

    private const string AsSession = "@principal=" + Session;
    private const string Delegates = "@delegates=true";
    private const string SessionRole = "aws:PrincipalArn=" + Role;

    // ---------------------------------------------------------------- helpers

    private static string Doc(params string[] statements) => """{"Version":"2012-10-17","Statement":[""" + string.Join(",", statements) + "]}";

    private static string List(string[] values) => "[" + string.Join(",", values.Select(v => "\"" + v + "\"")) + "]";

    private static string Stmt(string sid, string effect, string actionKey, string[] actions, string resourceKey, string[] resources, string extra = "") =>
        $$"""{"Sid":"{{sid}}","Effect":"{{effect}}","{{actionKey}}":{{List(actions)}},"{{resourceKey}}":{{List(resources)}}{{extra}}}""";

    private static string AllowActions(params string[] actions) => Doc(Stmt("S", "Allow", "Action", actions, "Resource", ["*"]));

    private static string AllowNotActions(params string[] actions) => Doc(Stmt("S", "Allow", "NotAction", actions, "Resource", ["*"]));

    private static string AllowResources(params string[] resources) => Doc(Stmt("S", "Allow", "Action", ["*"], "Resource", resources));

    private static string AllowNotResources(params string[] resources) => Doc(Stmt("S", "Allow", "Action", ["*"], "NotResource", resources));

    /// <summary>A document with an explicit (or, for null, absent) Version, allowing * on the given Resource or NotResource.</summary>
    private static string Versioned(string? version, string resourceKey, params string[] resources) =>
        "{" + (version is null ? string.Empty : "\"Version\":\"" + version + "\",") + "\"Statement\":[" + Stmt("S", "Allow", "Action", ["*"], resourceKey, resources) + "]}";

    /// <summary>A resource policy with one statement naming a principal (JSON value) for GetSecretValue.</summary>
    private static string ResourcePolicy(string sid, string effect, string principal, string principalKey = "Principal", string action = "secretsmanager:GetSecretValue") =>
        Doc($$"""{"Sid":"{{sid}}","Effect":"{{effect}}","{{principalKey}}":{{principal}},"Action":"{{action}}","Resource":"*"}""");

    /// <summary>Allow GetSecretValue on * (Sid "Cond") only under the condition block.</summary>
    private static string AllowIf(string condition) =>
        Doc($$"""{"Sid":"Cond","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{{condition}}}""");

    /// <summary>Allow everything (Sid "AllowAll"), but Deny everything (Sid "DenyCond") under the condition block.</summary>
    private static string DenyIf(string condition) =>
        Doc(AllowAll, $$"""{"Sid":"DenyCond","Effect":"Deny","Action":"*","Resource":"*","Condition":{{condition}}}""");

    private static string Lines(params string[] lines) => string.Join("\n", lines);

    private static RequestContext Request(string[] spec)
    {
        string action = "secretsmanager:GetSecretValue", resource = ProdSecret, principal = Alice, account = Account;
        var delegates = false;
        var keys = new List<(string Key, string[] Values)>();
        foreach (var entry in spec)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = (entry[..eq], entry[(eq + 1)..]);
            switch (name)
            {
                case "@action":
                    action = value;
                    break;
                case "@resource":
                    resource = value;
                    break;
                case "@principal":
                    principal = value;
                    break;
                case "@account":
                    account = value;
                    break;
                case "@delegates":
                    delegates = value == "true";
                    break;
                default:
                    keys.Add((name, value == "[]" ? [] : value.Split('|')));
                    break;
            }
        }

        var request = new RequestContext { Action = action, Resource = resource, PrincipalArn = principal, AccountId = account, AccountPrincipalDelegates = delegates };
        foreach (var (key, values) in keys)
        {
            request.With(key, values);
        }

        return request;
    }

    private static List<NamedPolicy> Named(string prefix, string[] documents) =>
        documents.Select((json, i) => new NamedPolicy(prefix + "-" + i.ToString(CultureInfo.InvariantCulture), PolicyDocument.Parse(json))).ToList();

    private static void AssertDecision(string label, string[] identity, string? resource, string[]? session, string[] request, PolicyDecision expected, string? expectedBy)
    {
        var result = PolicyEvaluator.Evaluate(
            Request(request),
            Named("identity", identity),
            resource is null ? null : new NamedPolicy("resource", PolicyDocument.Parse(resource, requirePrincipal: true)),
            session is null ? null : Named("session", session));
        var actualBy = result.Policy is null ? null : result.Policy.Name + "#" + result.Statement?.Sid;
        if (expected == ImplicitDeny)
        {
            expectedBy = null;
        }
        else if (expectedBy is null)
        {
            actualBy = null;
        }

        Assert.Equal($"{label}: {expected} by {expectedBy ?? "-"}", $"{label}: {result.Decision} by {actualBy ?? "-"}");
        Assert.Equal(result.Decision == Allow, result.Allowed);
    }

    // ---------------------------------------------------------------- policy types and how they combine

    public static TheoryData<string, string[], string?, string[]?, string[], PolicyDecision, string?> PolicySetCases => new()
    {
        // Implicit deny: nothing applies.
        { "no policies at all", [], null, null, [], ImplicitDeny, null },
        { "identity allow for another action", [Doc(AllowPut)], null, null, [], ImplicitDeny, null },
        { "identity allow for another resource", [Doc(AllowDev)], null, null, [], ImplicitDeny, null },

        // Allow from identity policies only.
        { "identity allow", [Doc(AllowGet)], null, null, [], Allow, "identity-0#AllowGet" },
        { "identity allow on its resource", [Doc(AllowDev)], null, null, ["@resource=" + DevSecret], Allow, "identity-0#AllowDev" },
        { "second identity policy allows", [Doc(AllowPut), Doc(AllowGet)], null, null, [], Allow, "identity-1#AllowGet" },
        { "second statement allows", [Doc(AllowPut, AllowGet)], null, null, [], Allow, "identity-0#AllowGet" },

        // Explicit deny beats allow wherever it is.
        { "allow then deny in one policy", [Doc(AllowGet, DenyGet)], null, null, [], ExplicitDeny, "identity-0#DenyGet" },
        { "deny then allow in one policy", [Doc(DenyGet, AllowGet)], null, null, [], ExplicitDeny, "identity-0#DenyGet" },
        { "allow in one identity policy, deny in the next", [Doc(AllowGet), Doc(DenyGet)], null, null, [], ExplicitDeny, "identity-1#DenyGet" },
        { "deny in one identity policy, allow in the next", [Doc(DenyGet), Doc(AllowGet)], null, null, [], ExplicitDeny, "identity-0#DenyGet" },
        { "allow * and a specific deny", [Doc(AllowAll), Doc(DenyGet)], null, null, [], ExplicitDeny, "identity-1#DenyGet" },
        { "deny without any allow", [Doc(DenyGet)], null, null, [], ExplicitDeny, "identity-0#DenyGet" },
        { "deny for another action does not apply", [Doc(AllowGet, DenyPut)], null, null, [], Allow, "identity-0#AllowGet" },
        { "deny for another action in another policy", [Doc(AllowAll), Doc(DenyPut)], null, null, [], Allow, "identity-0#AllowAll" },
        { "identity allow, resource policy deny *", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", "\"*\""), null, [], ExplicitDeny, "resource#RDeny" },
        { "identity allow, resource policy deny naming the caller", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", """{"AWS":"arn:aws:iam::123456789012:user/alice"}"""), null, [], ExplicitDeny, "resource#RDeny" },
        { "identity allow, resource policy deny naming someone else", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", """{"AWS":"arn:aws:iam::123456789012:user/bob"}"""), null, [], Allow, "identity-0#AllowGet" },
        { "resource policy allow, identity deny", [Doc(DenyGet)], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/alice"}"""), null, [], ExplicitDeny, "identity-0#DenyGet" },
        { "resource policy allow and deny together", [], Doc("""{"Sid":"RAllow","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}""", """{"Sid":"RDeny","Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"""), null, [], ExplicitDeny, "resource#RDeny" },
        { "identity allow, session policy deny", [Doc(AllowGet)], null, [Doc(AllowAll, DenyGet)], [], ExplicitDeny, "session-0#DenyGet" },

        // Allow from the resource policy only: its Principal must name the caller.
        { "resource policy names the caller's ARN", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/alice"}"""), null, [], Allow, "resource#RAllow" },
        { "resource policy names the caller's account id", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"123456789012"}"""), null, [], Allow, "resource#RAllow" },
        { "resource policy names the caller's account root", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:root"}"""), null, [], Allow, "resource#RAllow" },
        { "resource policy names AWS *", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"*"}"""), null, [], Allow, "resource#RAllow" },
        { "resource policy names *", [], ResourcePolicy("RAllow", "Allow", "\"*\""), null, [], Allow, "resource#RAllow" },
        { "resource policy names a list with the caller", [], ResourcePolicy("RAllow", "Allow", """{"AWS":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/alice"]}"""), null, [], Allow, "resource#RAllow" },
        { "resource policy names someone else", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/bob"}"""), null, [], ImplicitDeny, null },
        { "resource policy names another account id", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"999999999999"}"""), null, [], ImplicitDeny, null },
        { "resource policy names another account root", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::999999999999:root"}"""), null, [], ImplicitDeny, null },
        { "caller from another account with the same user name", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"123456789012"}"""), null, ["@principal=arn:aws:iam::999999999999:user/alice", "@account=999999999999"], ImplicitDeny, null },
        { "partial wildcards in Principal match nothing", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/*"}"""), null, [], ImplicitDeny, null },
        { "a service principal is not the caller", [], ResourcePolicy("RAllow", "Allow", """{"Service":"lambda.amazonaws.com"}"""), null, [], ImplicitDeny, null },
        { "resource policy allows another action", [], ResourcePolicy("RAllow", "Allow", "\"*\"", action: "secretsmanager:PutSecretValue"), null, [], ImplicitDeny, null },
        { "identity and resource policy both allow", [Doc(AllowGet)], ResourcePolicy("RAllow", "Allow", "\"*\""), null, [], Allow, null },
        { "resource policy allows, identity allows something else", [Doc(AllowPut)], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/alice"}"""), null, [], Allow, "resource#RAllow" },

        // Same-account account principal in a resource-based policy (AccountPrincipalDelegates, as the server reads secrets'
        // resource policies and key policies): it delegates to identity policies, granting nothing itself; a Deny naming it applies.
        { "delegating: account id grants nothing alone", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"123456789012"}"""), null, [Delegates], ImplicitDeny, null },
        { "delegating: account root grants nothing alone", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:root"}"""), null, [Delegates], ImplicitDeny, null },
        { "delegating: account root and an identity allow", [Doc(AllowGet)], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:root"}"""), null, [Delegates], Allow, "identity-0#AllowGet" },
        { "delegating: account root in a list with the caller grants", [], ResourcePolicy("RAllow", "Allow", """{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/alice"]}"""), null, [Delegates], Allow, "resource#RAllow" },
        { "delegating: * still grants", [], ResourcePolicy("RAllow", "Allow", "\"*\""), null, [Delegates], Allow, "resource#RAllow" },
        { "delegating: a Deny naming the account applies to its users", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", """{"AWS":"arn:aws:iam::123456789012:root"}"""), null, [Delegates], ExplicitDeny, "resource#RDeny" },
        { "delegating: a Deny naming the account id applies to its sessions", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", """{"AWS":"123456789012"}"""), null, [Delegates, AsSession, SessionRole], ExplicitDeny, "resource#RDeny" },
        { "delegating: account root grants a session nothing", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:root"}"""), [Doc(AllowGet)], [Delegates, AsSession, SessionRole], ImplicitDeny, null },
        { "delegating: a Deny naming another account does not apply", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", """{"AWS":"arn:aws:iam::999999999999:root"}"""), null, [Delegates], Allow, "identity-0#AllowGet" },

        // NotPrincipal.
        { "deny with NotPrincipal spares the named caller", [Doc(AllowGet)], ResourcePolicy("DenyOthers", "Deny", """{"AWS":"arn:aws:iam::123456789012:user/alice"}""", "NotPrincipal"), null, [], Allow, "identity-0#AllowGet" },
        { "deny with NotPrincipal hits everyone else", [Doc(AllowGet)], ResourcePolicy("DenyOthers", "Deny", """{"AWS":"arn:aws:iam::123456789012:user/alice"}""", "NotPrincipal"), null, ["@principal=" + Bob], ExplicitDeny, "resource#DenyOthers" },
        { "allow with NotPrincipal lets others in", [], ResourcePolicy("AllowOthers", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/bob"}""", "NotPrincipal"), null, [], Allow, "resource#AllowOthers" },
        { "allow with NotPrincipal keeps the named caller out", [], ResourcePolicy("AllowOthers", "Allow", """{"AWS":"arn:aws:iam::123456789012:user/bob"}""", "NotPrincipal"), null, ["@principal=" + Bob], ImplicitDeny, null },

        // Session policies: an identity allow counts only when a session policy allows too.
        { "identity and session policy both allow", [Doc(AllowGet)], null, [Doc(AllowGet)], [AsSession, SessionRole], Allow, "identity-0#AllowGet" },
        { "session policy allows another action", [Doc(AllowGet)], null, [Doc(AllowPut)], [AsSession, SessionRole], ImplicitDeny, null },
        { "session policy allows another resource", [Doc(AllowGet)], null, [Doc(AllowDev)], [AsSession, SessionRole], ImplicitDeny, null },
        { "session policy narrows a broad identity allow", [Doc(AllowAll)], null, [Doc(AllowGet)], [AsSession, SessionRole, "@action=secretsmanager:DeleteSecret"], ImplicitDeny, null },
        { "session policy alone grants nothing", [], null, [Doc(AllowAll)], [AsSession, SessionRole], ImplicitDeny, null },
        { "session policy allows, identity allows something else", [Doc(AllowPut)], null, [Doc(AllowAll)], [AsSession, SessionRole], ImplicitDeny, null },
        { "second session policy allows", [Doc(AllowGet)], null, [Doc(AllowPut), Doc(AllowGet)], [AsSession, SessionRole], Allow, "identity-0#AllowGet" },
        { "empty list of session policies limits nothing", [Doc(AllowGet)], null, [], [AsSession, SessionRole], Allow, "identity-0#AllowGet" },
        { "identity deny with a session allow", [Doc(DenyGet)], null, [Doc(AllowAll)], [AsSession, SessionRole], ExplicitDeny, "identity-0#DenyGet" },
        { "resource policy naming the session is not narrowed", [Doc(AllowGet)], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:sts::123456789012:assumed-role/ops/alice-session"}"""), [Doc(AllowPut)], [AsSession, SessionRole], Allow, "resource#RAllow" },
        { "resource policy naming the session, no identity allow", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:sts::123456789012:assumed-role/ops/alice-session"}"""), [Doc(AllowPut)], [AsSession, SessionRole], Allow, "resource#RAllow" },
        { "resource policy naming the role is narrowed by the session policy", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:role/ops"}"""), [Doc(AllowPut)], [AsSession, SessionRole], ImplicitDeny, null },
        { "resource policy naming the role, session policy allows", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:role/ops"}"""), [Doc(AllowGet)], [AsSession, SessionRole], Allow, null },
        { "resource policy naming the role, no session policy", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:iam::123456789012:role/ops"}"""), null, [AsSession, SessionRole], Allow, "resource#RAllow" },
        { "session deny beats a resource allow naming the session", [], ResourcePolicy("RAllow", "Allow", """{"AWS":"arn:aws:sts::123456789012:assumed-role/ops/alice-session"}"""), [Doc(DenyGet)], [AsSession, SessionRole], ExplicitDeny, "session-0#DenyGet" },
        { "resource deny naming the role hits its sessions", [Doc(AllowGet)], ResourcePolicy("RDeny", "Deny", """{"AWS":"arn:aws:iam::123456789012:role/ops"}"""), null, [AsSession, SessionRole], ExplicitDeny, "resource#RDeny" },

        // Document shapes.
        { "Statement given as a single object", ["""{"Version":"2012-10-17","Statement":{"Sid":"AllowGet","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"""], null, null, [], Allow, "identity-0#AllowGet" },
        { "Version 2008-10-17", ["""{"Version":"2008-10-17","Statement":[{"Sid":"AllowGet","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"""], null, null, [], Allow, "identity-0#AllowGet" },
        { "no Version", ["""{"Statement":[{"Sid":"AllowGet","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"""], null, null, [], Allow, "identity-0#AllowGet" },
        { "with an Id", ["""{"Version":"2012-10-17","Id":"read-prod","Statement":[{"Sid":"AllowGet","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"""], null, null, [], Allow, "identity-0#AllowGet" },
        { "statement without a Sid", ["""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"""], null, null, [], Allow, "identity-0#" },
    };

    [Theory]
    [MemberData(nameof(PolicySetCases))]
    public void Evaluate_PolicySet_ReturnsAwsDecision(string label, string[] identity, string? resource, string[]? session, string[] request, PolicyDecision expected, string? expectedBy) =>
        AssertDecision(label, identity, resource, session, request, expected, expectedBy);

    // ---------------------------------------------------------------- Action / NotAction / Resource / NotResource

    public static TheoryData<string, string[], PolicyDecision, string?> ActionAndResourceCases => new()
    {
        // Action wildcards; actions are case-insensitive.
        { AllowActions("secretsmanager:*"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:*"), ["@action=kms:Decrypt"], ImplicitDeny, null },
        { AllowActions("secretsmanager:Get*"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:Get*"), ["@action=secretsmanager:GetRandomPassword"], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:Get*"), ["@action=secretsmanager:PutSecretValue"], ImplicitDeny, null },
        { AllowActions("secretsmanager:Get*"), ["@action=secretsmanager:ListSecrets"], ImplicitDeny, null },
        { AllowActions("*"), ["@action=kms:Decrypt"], Allow, "identity-0#S" },
        { AllowActions("*"), ["@action=secretsmanager:DeleteSecret"], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:GetSecretValu?"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:GetSecretValu?"), ["@action=secretsmanager:GetSecretValu"], ImplicitDeny, null },
        { AllowActions("secretsmanager:GetSecretValue?"), [], ImplicitDeny, null },
        { AllowActions("secretsmanager:?etSecretValue"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:?etSecretValue"), ["@action=secretsmanager:PutSecretValue"], ImplicitDeny, null },
        { AllowActions("secretsmanager:Get?ecret*"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:*Secret"), ["@action=secretsmanager:DescribeSecret"], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:*Secret"), [], ImplicitDeny, null },
        { AllowActions("secretsmanager:*Secret*"), [], Allow, "identity-0#S" },
        { AllowActions("secrets*:Get*"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:getsecretvalue"), [], Allow, "identity-0#S" },
        { AllowActions("SECRETSMANAGER:GETSECRETVALUE"), [], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:GetSecretValue"), ["@action=SecretsManager:getSecretValue"], Allow, "identity-0#S" },
        { AllowActions("SecretsManager:get*"), [], Allow, "identity-0#S" },
        { AllowActions("kms:Decrypt", "secretsmanager:GetSecretValue"), [], Allow, "identity-0#S" },
        { AllowActions("kms:*", "secretsmanager:Put*"), [], ImplicitDeny, null },
        { AllowActions("kms:*", "secretsmanager:Put*"), ["@action=kms:Encrypt"], Allow, "identity-0#S" },
        { AllowActions("secretsmanager:GetSecret"), [], ImplicitDeny, null },
        { AllowActions("kms:GetSecretValue"), [], ImplicitDeny, null },

        // NotAction (Allow).
        { AllowNotActions("secretsmanager:DeleteSecret"), [], Allow, "identity-0#S" },
        { AllowNotActions("secretsmanager:DeleteSecret"), ["@action=secretsmanager:DeleteSecret"], ImplicitDeny, null },
        { AllowNotActions("secretsmanager:DeleteSecret"), ["@action=kms:Decrypt"], Allow, "identity-0#S" },
        { AllowNotActions("secretsmanager:Delete*"), ["@action=secretsmanager:DeleteResourcePolicy"], ImplicitDeny, null },
        { AllowNotActions("secretsmanager:Delete*"), ["@action=secretsmanager:PutSecretValue"], Allow, "identity-0#S" },
        { AllowNotActions("secretsmanager:*"), ["@action=kms:Decrypt"], Allow, "identity-0#S" },
        { AllowNotActions("secretsmanager:*"), [], ImplicitDeny, null },
        { AllowNotActions("secretsmanager:deletesecret"), ["@action=secretsmanager:DeleteSecret"], ImplicitDeny, null },
        { AllowNotActions("kms:*", "secretsmanager:Delete*"), [], Allow, "identity-0#S" },
        { AllowNotActions("kms:*", "secretsmanager:Delete*"), ["@action=kms:Decrypt"], ImplicitDeny, null },

        // NotAction with Deny: deny everything except the listed actions.
        { Doc(AllowAll, Stmt("DenyNonRead", "Deny", "NotAction", ["secretsmanager:Get*", "secretsmanager:Describe*"], "Resource", ["*"])), [], Allow, "identity-0#AllowAll" },
        { Doc(AllowAll, Stmt("DenyNonRead", "Deny", "NotAction", ["secretsmanager:Get*", "secretsmanager:Describe*"], "Resource", ["*"])), ["@action=secretsmanager:DescribeSecret"], Allow, "identity-0#AllowAll" },
        { Doc(AllowAll, Stmt("DenyNonRead", "Deny", "NotAction", ["secretsmanager:Get*", "secretsmanager:Describe*"], "Resource", ["*"])), ["@action=secretsmanager:getsecretvalue"], Allow, "identity-0#AllowAll" },
        { Doc(AllowAll, Stmt("DenyNonRead", "Deny", "NotAction", ["secretsmanager:Get*", "secretsmanager:Describe*"], "Resource", ["*"])), ["@action=secretsmanager:PutSecretValue"], ExplicitDeny, "identity-0#DenyNonRead" },
        { Doc(AllowAll, Stmt("DenyNonRead", "Deny", "NotAction", ["secretsmanager:Get*", "secretsmanager:Describe*"], "Resource", ["*"])), ["@action=kms:Decrypt"], ExplicitDeny, "identity-0#DenyNonRead" },
        { Doc(AllowAll, Stmt("DenyProdWrites", "Deny", "NotAction", ["secretsmanager:Get*"], "Resource", [S + "prod/*"])), ["@action=secretsmanager:PutSecretValue"], ExplicitDeny, "identity-0#DenyProdWrites" },
        { Doc(AllowAll, Stmt("DenyProdWrites", "Deny", "NotAction", ["secretsmanager:Get*"], "Resource", [S + "prod/*"])), ["@action=secretsmanager:PutSecretValue", "@resource=" + DevSecret], Allow, "identity-0#AllowAll" },

        // Resource wildcards; resources are case-sensitive.
        { AllowResources(ProdSecret), [], Allow, "identity-0#S" },
        { AllowResources(ProdSecret), ["@resource=" + DevSecret], ImplicitDeny, null },
        { AllowResources(S + "prod/*"), [], Allow, "identity-0#S" },
        { AllowResources(S + "prod/*"), ["@resource=" + DevSecret], ImplicitDeny, null },
        { AllowResources("arn:aws:secretsmanager:*:123456789012:secret:*"), [], Allow, "identity-0#S" },
        { AllowResources("arn:aws:secretsmanager:*:123456789012:secret:*"), ["@resource=arn:aws:secretsmanager:us-east-1:999999999999:secret:prod/db-AbCdEf"], ImplicitDeny, null },
        { AllowResources(S + "PROD/*"), [], ImplicitDeny, null },
        { AllowResources(S + "prod/DB-AbCdEf"), [], ImplicitDeny, null },
        { AllowResources(S + "prod/db-??????"), [], Allow, "identity-0#S" },
        { AllowResources(S + "prod/db-?????"), [], ImplicitDeny, null },
        { AllowResources(S + "prod/db"), [], ImplicitDeny, null },
        { AllowResources(S + "prod/db*"), [], Allow, "identity-0#S" },
        { AllowResources(S + "*-AbCdEf"), [], Allow, "identity-0#S" },
        { AllowResources(DevSecret, ProdSecret), [], Allow, "identity-0#S" },
        { AllowResources("*"), ["@resource=" + DevSecret], Allow, "identity-0#S" },
        { AllowResources("arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/*"), [], ImplicitDeny, null },

        // NotResource.
        { AllowNotResources(S + "dev/*"), [], Allow, "identity-0#S" },
        { AllowNotResources(S + "dev/*"), ["@resource=" + DevSecret], ImplicitDeny, null },
        { AllowNotResources(S + "dev/*", S + "prod/*"), [], ImplicitDeny, null },
        { AllowNotResources(S + "dev/*", S + "prod/*"), ["@resource=" + S + "stage/x"], Allow, "identity-0#S" },
        { AllowNotResources(S + "PROD/*"), [], Allow, "identity-0#S" },
        { AllowNotResources("*"), [], ImplicitDeny, null },
        { Doc(AllowAll, Stmt("DenyProd", "Deny", "Action", ["*"], "Resource", [S + "prod/*"])), [], ExplicitDeny, "identity-0#DenyProd" },
        { Doc(AllowAll, Stmt("DenyProd", "Deny", "Action", ["*"], "Resource", [S + "prod/*"])), ["@resource=" + DevSecret], Allow, "identity-0#AllowAll" },
        { Doc(AllowAll, Stmt("DenyOutsideDev", "Deny", "Action", ["*"], "NotResource", [S + "dev/*"])), [], ExplicitDeny, "identity-0#DenyOutsideDev" },
        { Doc(AllowAll, Stmt("DenyOutsideDev", "Deny", "Action", ["*"], "NotResource", [S + "dev/*"])), ["@resource=" + DevSecret], Allow, "identity-0#AllowAll" },
    };

    [Theory]
    [MemberData(nameof(ActionAndResourceCases))]
    public void Evaluate_ActionAndResourcePatterns_ReturnsAwsDecision(string policy, string[] request, PolicyDecision expected, string? expectedBy) =>
        AssertDecision("action/resource", [policy], null, null, request, expected, expectedBy);

    // ---------------------------------------------------------------- policy variables in Resource / NotResource

    public static TheoryData<string, string[], PolicyDecision> VariableCases => new()
    {
        { AllowResources(S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], Allow },
        { AllowResources(S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=bob"], ImplicitDeny },
        { AllowResources(S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1"], ImplicitDeny },
        { AllowResources(S + "${AWS:USERNAME}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], Allow },
        { AllowResources(S + "${aws:PrincipalTag/team}/*"), ["@resource=" + S + "payments/stripe", "aws:PrincipalTag/team=payments"], Allow },
        { AllowResources(S + "${aws:PrincipalTag/team}/*"), ["@resource=" + S + "payments/stripe", "aws:PrincipalTag/team=ops"], ImplicitDeny },
        { AllowResources(S + "${aws:PrincipalTag/team}/*"), ["@resource=" + S + "payments/stripe"], ImplicitDeny },
        { AllowResources(S + "${aws:PrincipalTag/team}/*"), ["@resource=" + S + "payments/stripe", "AWS:PRINCIPALTAG/TEAM=payments"], Allow },
        { AllowResources(S + "${aws:PrincipalTag/team}/${aws:username}-*"), ["@resource=" + S + "payments/alice-db", "aws:PrincipalTag/team=payments", "aws:username=alice"], Allow },
        { AllowResources(S + "${aws:PrincipalTag/team}/${aws:username}-*"), ["@resource=" + S + "payments/alice-db", "aws:PrincipalTag/team=payments"], ImplicitDeny },
        { AllowResources(S + "${aws:username}/*", S + "prod/*"), [], Allow },

        // ${*}, ${?} and ${$} stand for the literal characters.
        { AllowResources(S + "literal${*}star"), ["@resource=" + S + "literal*star"], Allow },
        { AllowResources(S + "literal${*}star"), ["@resource=" + S + "literalXstar"], ImplicitDeny },
        { AllowResources(S + "what${?}"), ["@resource=" + S + "what?"], Allow },
        { AllowResources(S + "what${?}"), ["@resource=" + S + "whatX"], ImplicitDeny },
        { AllowResources(S + "cost${$}"), ["@resource=" + S + "cost$"], Allow },

        // Default values.
        { AllowResources(S + "${aws:username, 'anon'}/*"), ["@resource=" + S + "anon/readme"], Allow },
        { AllowResources(S + "${aws:username, 'anon'}/*"), ["@resource=" + S + "anon/readme", "aws:username=alice"], ImplicitDeny },
        { AllowResources(S + "${aws:username, 'anon'}/*"), ["@resource=" + S + "alice/readme", "aws:username=alice"], Allow },
        { AllowResources(S + "team-${aws:PrincipalTag/team, 'company-wide'}"), ["@resource=" + S + "team-company-wide"], Allow },
        { AllowResources(S + "team-${aws:PrincipalTag/team, 'company-wide'}"), ["@resource=" + S + "team-company-wide", "aws:PrincipalTag/team=payments"], ImplicitDeny },

        // Version 2008-10-17 (also the default) has no variables: the text is taken literally.
        { Versioned("2008-10-17", "Resource", S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], ImplicitDeny },
        { Versioned("2008-10-17", "Resource", S + "${aws:username}/*"), ["@resource=" + S + "${aws:username}/token-a1", "aws:username=alice"], Allow },
        { Versioned(null, "Resource", S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], ImplicitDeny },
        { Versioned(null, "Resource", S + "${aws:username}/*"), ["@resource=" + S + "${aws:username}/token-a1", "aws:username=alice"], Allow },
        { Versioned("2012-10-17", "Resource", S + "${aws:username}/*"), ["@resource=" + S + "alice/token-b2", "aws:username=alice"], Allow },

        // NotResource: a variable with no value makes that entry match no resource.
        { AllowNotResources(S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], ImplicitDeny },
        { AllowNotResources(S + "${aws:username}/*"), ["@resource=" + S + "bob/token-b1", "aws:username=alice"], Allow },
        { AllowNotResources(S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1"], Allow },
        { Versioned("2008-10-17", "NotResource", S + "${aws:username}/*"), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], Allow },
        { Doc(AllowAll, Stmt("S", "Deny", "Action", ["*"], "NotResource", [S + "${aws:username}/*"])), ["@resource=" + S + "bob/token-b1", "aws:username=alice"], ExplicitDeny },
        { Doc(AllowAll, Stmt("S", "Deny", "Action", ["*"], "NotResource", [S + "${aws:username}/*"])), ["@resource=" + S + "alice/token-a1", "aws:username=alice"], Allow },
        { Doc(AllowAll, Stmt("S", "Deny", "Action", ["*"], "NotResource", [S + "${aws:username}/*"])), ["@resource=" + S + "alice/token-a1"], ExplicitDeny },
    };

    [Theory]
    [MemberData(nameof(VariableCases))]
    public void Evaluate_ResourcePolicyVariables_ReturnsAwsDecision(string policy, string[] request, PolicyDecision expected) =>
        AssertDecision("variables", [policy], null, null, request, expected, null);

    // ---------------------------------------------------------------- condition operators on an Allow statement

    public static TheoryData<string, string[], PolicyDecision> AllowConditionCases => new()
    {
        // StringEquals / StringNotEquals: case-sensitive; missing key: false / true; several values: OR / AND.
        { """{"StringEquals":{"aws:username":"alice"}}""", ["aws:username=alice"], Allow },
        { """{"StringEquals":{"aws:username":"alice"}}""", ["aws:username=bob"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice"}}""", ["aws:username=Alice"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice"}}""", [], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice"}}""", ["aws:username=[]"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":["bob","alice"]}}""", ["aws:username=alice"], Allow },
        { """{"StringEquals":{"aws:username":["bob","alice"]}}""", ["aws:username=carol"], ImplicitDeny },
        { """{"StringNotEquals":{"aws:username":"alice"}}""", ["aws:username=alice"], ImplicitDeny },
        { """{"StringNotEquals":{"aws:username":"alice"}}""", ["aws:username=bob"], Allow },
        { """{"StringNotEquals":{"aws:username":"alice"}}""", ["aws:username=Alice"], Allow },
        { """{"StringNotEquals":{"aws:username":"alice"}}""", [], Allow },
        { """{"StringNotEquals":{"aws:username":["bob","alice"]}}""", ["aws:username=alice"], ImplicitDeny },
        { """{"StringNotEquals":{"aws:username":["bob","alice"]}}""", ["aws:username=bob"], ImplicitDeny },
        { """{"StringNotEquals":{"aws:username":["bob","alice"]}}""", ["aws:username=carol"], Allow },

        // StringEqualsIgnoreCase / StringNotEqualsIgnoreCase.
        { """{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}""", ["aws:username=alice"], Allow },
        { """{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}""", ["aws:username=bob"], ImplicitDeny },
        { """{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}""", [], ImplicitDeny },
        { """{"StringEqualsIgnoreCase":{"aws:username":["BOB","ALICE"]}}""", ["aws:username=Alice"], Allow },
        { """{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}""", ["aws:username=alice"], ImplicitDeny },
        { """{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}""", ["aws:username=bob"], Allow },
        { """{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}""", [], Allow },
        { """{"StringNotEqualsIgnoreCase":{"aws:username":["BOB","ALICE"]}}""", ["aws:username=bob"], ImplicitDeny },
        { """{"StringNotEqualsIgnoreCase":{"aws:username":["BOB","ALICE"]}}""", ["aws:username=carol"], Allow },

        // StringLike / StringNotLike: * and ?, case-sensitive.
        { """{"StringLike":{"secretsmanager:SecretId":"prod/*"}}""", ["secretsmanager:SecretId=prod/db"], Allow },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/*"}}""", ["secretsmanager:SecretId=dev/db"], ImplicitDeny },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/*"}}""", ["secretsmanager:SecretId=PROD/db"], ImplicitDeny },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/*"}}""", [], ImplicitDeny },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/db-??"}}""", ["secretsmanager:SecretId=prod/db-01"], Allow },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/db-??"}}""", ["secretsmanager:SecretId=prod/db-001"], ImplicitDeny },
        { """{"StringLike":{"secretsmanager:SecretId":["dev/*","prod/*"]}}""", ["secretsmanager:SecretId=prod/db"], Allow },
        { """{"StringLike":{"secretsmanager:SecretId":["dev/*","prod/*"]}}""", ["secretsmanager:SecretId=stage/db"], ImplicitDeny },
        { """{"StringNotLike":{"secretsmanager:SecretId":"prod/*"}}""", ["secretsmanager:SecretId=prod/db"], ImplicitDeny },
        { """{"StringNotLike":{"secretsmanager:SecretId":"prod/*"}}""", ["secretsmanager:SecretId=dev/db"], Allow },
        { """{"StringNotLike":{"secretsmanager:SecretId":"prod/*"}}""", [], Allow },
        { """{"StringNotLike":{"secretsmanager:SecretId":["prod/*","stage/*"]}}""", ["secretsmanager:SecretId=stage/x"], ImplicitDeny },
        { """{"StringNotLike":{"secretsmanager:SecretId":["prod/*","stage/*"]}}""", ["secretsmanager:SecretId=dev/x"], Allow },

        // Numeric operators.
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10"], Allow },
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10.0"], Allow },
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=11"], ImplicitDeny },
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=ten"], ImplicitDeny },
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", [], ImplicitDeny },
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":10}}""", ["secretsmanager:RecoveryWindowInDays=10"], Allow },
        { """{"NumericEquals":{"secretsmanager:RecoveryWindowInDays":["7","30"]}}""", ["secretsmanager:RecoveryWindowInDays=30"], Allow },
        { """{"NumericNotEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10"], ImplicitDeny },
        { """{"NumericNotEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=11"], Allow },
        { """{"NumericNotEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", [], Allow },
        { """{"NumericNotEquals":{"secretsmanager:RecoveryWindowInDays":["7","30"]}}""", ["secretsmanager:RecoveryWindowInDays=7"], ImplicitDeny },
        { """{"NumericNotEquals":{"secretsmanager:RecoveryWindowInDays":["7","30"]}}""", ["secretsmanager:RecoveryWindowInDays=14"], Allow },
        { """{"NumericLessThan":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=9"], Allow },
        { """{"NumericLessThan":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10"], ImplicitDeny },
        { """{"NumericLessThan":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=-1"], Allow },
        { """{"NumericLessThan":{"secretsmanager:RecoveryWindowInDays":"10"}}""", [], ImplicitDeny },
        { """{"NumericLessThan":{"strongroom:Ratio":"2.5"}}""", ["strongroom:Ratio=2.25"], Allow },
        { """{"NumericLessThanEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10"], Allow },
        { """{"NumericLessThanEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=11"], ImplicitDeny },
        { """{"NumericGreaterThan":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=11"], Allow },
        { """{"NumericGreaterThan":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10"], ImplicitDeny },
        { """{"NumericGreaterThan":{"secretsmanager:RecoveryWindowInDays":["30","7"]}}""", ["secretsmanager:RecoveryWindowInDays=10"], Allow },
        { """{"NumericGreaterThanEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=10"], Allow },
        { """{"NumericGreaterThanEquals":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=9"], ImplicitDeny },

        // Date operators: ISO 8601 and epoch seconds, either side.
        { """{"DateEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], Allow },
        { """{"DateEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T12:00:01Z"], ImplicitDeny },
        { """{"DateEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T14:00:00+02:00"], Allow },
        { """{"DateEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", [], ImplicitDeny },
        { """{"DateEquals":{"aws:CurrentTime":"1748779200"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], Allow },
        { """{"DateNotEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], ImplicitDeny },
        { """{"DateNotEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", ["aws:CurrentTime=2025-06-02T12:00:00Z"], Allow },
        { """{"DateNotEquals":{"aws:CurrentTime":"2025-06-01T12:00:00Z"}}""", [], Allow },
        { """{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], Allow },
        { """{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2026-01-01T00:00:00Z"], ImplicitDeny },
        { """{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2026-03-01T00:00:00Z"], ImplicitDeny },
        { """{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", [], ImplicitDeny },
        { """{"DateLessThan":{"aws:EpochTime":"2025-06-01T12:00:01Z"}}""", ["aws:EpochTime=1748779200"], Allow },
        { """{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2026-01-01T00:00:00Z"], Allow },
        { """{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2026-01-01T00:00:01Z"], ImplicitDeny },
        { """{"DateLessThanEquals":{"aws:CurrentTime":"1748779200"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], Allow },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], Allow },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2025-01-01T00:00:00Z"], ImplicitDeny },
        { """{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}""", ["aws:EpochTime=1748779200"], Allow },
        { """{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}""", ["aws:EpochTime=1600000000"], ImplicitDeny },
        { """{"DateGreaterThanEquals":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2025-01-01T00:00:00Z"], Allow },
        { """{"DateGreaterThanEquals":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2024-12-31T23:59:59Z"], ImplicitDeny },

        // Bool and BinaryEquals.
        { """{"Bool":{"aws:SecureTransport":"true"}}""", ["aws:SecureTransport=true"], Allow },
        { """{"Bool":{"aws:SecureTransport":"true"}}""", ["aws:SecureTransport=false"], ImplicitDeny },
        { """{"Bool":{"aws:SecureTransport":"true"}}""", [], ImplicitDeny },
        { """{"Bool":{"aws:SecureTransport":true}}""", ["aws:SecureTransport=true"], Allow },
        { """{"Bool":{"aws:SecureTransport":"false"}}""", ["aws:SecureTransport=false"], Allow },
        { """{"Bool":{"aws:MultiFactorAuthPresent":"true"}}""", ["aws:MultiFactorAuthPresent=true"], Allow },
        { """{"BinaryEquals":{"strongroom:Fingerprint":"QmluYXJ5VmFsdWU="}}""", ["strongroom:Fingerprint=QmluYXJ5VmFsdWU="], Allow },
        { """{"BinaryEquals":{"strongroom:Fingerprint":"QmluYXJ5VmFsdWU="}}""", ["strongroom:Fingerprint=T3RoZXJWYWx1ZQ=="], ImplicitDeny },
        { """{"BinaryEquals":{"strongroom:Fingerprint":"QmluYXJ5VmFsdWU="}}""", [], ImplicitDeny },
        { """{"BinaryEquals":{"strongroom:Fingerprint":["T3RoZXJWYWx1ZQ==","QmluYXJ5VmFsdWU="]}}""", ["strongroom:Fingerprint=QmluYXJ5VmFsdWU="], Allow },

        // IpAddress / NotIpAddress.
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=203.0.113.10"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=203.0.114.10"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", [], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=2001:db8::1"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}""", ["aws:SourceIp=203.0.113.7"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}""", ["aws:SourceIp=203.0.113.8"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.7/32"}}""", ["aws:SourceIp=203.0.113.7"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.7/32"}}""", ["aws:SourceIp=203.0.113.8"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.77/24"}}""", ["aws:SourceIp=203.0.113.5"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"203.0.113.77/24"}}""", ["aws:SourceIp=203.0.112.5"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"172.16.0.0/12"}}""", ["aws:SourceIp=172.31.255.255"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"172.16.0.0/12"}}""", ["aws:SourceIp=172.32.0.1"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}""", ["aws:SourceIp=198.51.100.1"], Allow },
        { """{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}""", ["aws:SourceIp=10.20.30.40"], Allow },
        { """{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}""", ["aws:SourceIp=192.168.1.1"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}""", ["aws:SourceIp=2001:db8:1234:ffff::1"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}""", ["aws:SourceIp=2001:db8:1235::1"], ImplicitDeny },
        { """{"IpAddress":{"aws:SourceIp":"2001:db8::1/32"}}""", ["aws:SourceIp=2001:db8:ffff::2"], Allow },
        { """{"IpAddress":{"aws:SourceIp":"2001:db8::5"}}""", ["aws:SourceIp=2001:db8::5"], Allow },
        { """{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=203.0.113.10"], ImplicitDeny },
        { """{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=198.51.100.1"], Allow },
        { """{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}""", [], Allow },
        { """{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}""", ["aws:SourceIp=10.1.2.3"], ImplicitDeny },
        { """{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}""", ["aws:SourceIp=203.0.113.9"], ImplicitDeny },
        { """{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}""", ["aws:SourceIp=198.51.100.1"], Allow },
        { """{"NotIpAddress":{"aws:SourceIp":"2001:db8::/32"}}""", ["aws:SourceIp=2001:db8::1"], ImplicitDeny },
        { """{"NotIpAddress":{"aws:SourceIp":"2001:db8::/32"}}""", ["aws:SourceIp=2001:db9::1"], Allow },

        // ARN operators: ArnEquals and ArnLike both take wildcards, segment by segment, case-sensitive.
        { """{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:rotator"}}""", ["aws:SourceArn=arn:aws:lambda:us-east-1:123456789012:function:rotator"], Allow },
        { """{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:rotator"}}""", ["aws:SourceArn=arn:aws:lambda:us-east-1:123456789012:function:other"], ImplicitDeny },
        { """{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:rotator"}}""", [], ImplicitDeny },
        { """{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:rot*"}}""", ["aws:SourceArn=arn:aws:lambda:us-west-2:123456789012:function:rotator"], Allow },
        { """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/ops-admin"], Allow },
        { """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/dev-admin"], ImplicitDeny },
        { """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", [], ImplicitDeny },
        { """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/OPS-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/ops-admin"], ImplicitDeny },
        { """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ops"}}""", ["aws:PrincipalArn=arn:aws:iam::999999999999:role/ops"], Allow },
        { """{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:us-east-?:123456789012:function:rotator"}}""", ["aws:SourceArn=arn:aws:lambda:us-east-2:123456789012:function:rotator"], Allow },
        { """{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:us-east-?:123456789012:function:rotator"}}""", ["aws:SourceArn=arn:aws:lambda:us-west-2:123456789012:function:rotator"], ImplicitDeny },
        { """{"ArnLike":{"aws:SourceArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*"}}""", ["aws:SourceArn=" + ProdSecret], Allow },
        { """{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b"]}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/b"], Allow },
        { """{"ArnNotEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:rotator"}}""", ["aws:SourceArn=arn:aws:lambda:us-east-1:123456789012:function:rotator"], ImplicitDeny },
        { """{"ArnNotEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:rotator"}}""", ["aws:SourceArn=arn:aws:lambda:us-east-1:123456789012:function:other"], Allow },
        { """{"ArnNotEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:rotator"}}""", [], Allow },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/ops-admin"], ImplicitDeny },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/dev"], Allow },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", [], Allow },
        { """{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/ops-*","arn:aws:iam::123456789012:role/sec-*"]}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/sec-audit"], ImplicitDeny },
        { """{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/ops-*","arn:aws:iam::123456789012:role/sec-*"]}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/dev"], Allow },

        // Null.
        { """{"Null":{"aws:PrincipalTag/team":"true"}}""", [], Allow },
        { """{"Null":{"aws:PrincipalTag/team":"true"}}""", ["aws:PrincipalTag/team=payments"], ImplicitDeny },
        { """{"Null":{"aws:PrincipalTag/team":true}}""", [], Allow },
        { """{"Null":{"aws:PrincipalTag/team":"false"}}""", ["aws:PrincipalTag/team=payments"], Allow },
        { """{"Null":{"aws:PrincipalTag/team":"false"}}""", [], ImplicitDeny },
        { """{"Null":{"aws:PrincipalTag/team":"true","aws:username":"false"}}""", ["aws:username=alice"], Allow },
        { """{"Null":{"aws:PrincipalTag/team":"true","aws:username":"false"}}""", ["aws:username=alice", "aws:PrincipalTag/team=payments"], ImplicitDeny },

        // ...IfExists: true when the key is missing; otherwise the base operator decides (negated ones too).
        { """{"StringEqualsIfExists":{"aws:username":"alice"}}""", ["aws:username=alice"], Allow },
        { """{"StringEqualsIfExists":{"aws:username":"alice"}}""", ["aws:username=bob"], ImplicitDeny },
        { """{"StringEqualsIfExists":{"aws:username":"alice"}}""", [], Allow },
        { """{"StringNotEqualsIfExists":{"aws:username":"alice"}}""", ["aws:username=alice"], ImplicitDeny },
        { """{"StringNotEqualsIfExists":{"aws:username":"alice"}}""", ["aws:username=bob"], Allow },
        { """{"StringNotEqualsIfExists":{"aws:username":"alice"}}""", [], Allow },
        { """{"StringEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}""", ["aws:username=alice"], Allow },
        { """{"StringEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}""", [], Allow },
        { """{"StringLikeIfExists":{"secretsmanager:SecretId":"prod/*"}}""", ["secretsmanager:SecretId=dev/x"], ImplicitDeny },
        { """{"StringLikeIfExists":{"secretsmanager:SecretId":"prod/*"}}""", [], Allow },
        { """{"NumericLessThanIfExists":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=20"], ImplicitDeny },
        { """{"NumericLessThanIfExists":{"secretsmanager:RecoveryWindowInDays":"10"}}""", ["secretsmanager:RecoveryWindowInDays=5"], Allow },
        { """{"NumericLessThanIfExists":{"secretsmanager:RecoveryWindowInDays":"10"}}""", [], Allow },
        { """{"DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2027-01-01T00:00:00Z"], ImplicitDeny },
        { """{"DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", [], Allow },
        { """{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}""", ["aws:MultiFactorAuthPresent=true"], Allow },
        { """{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}""", ["aws:MultiFactorAuthPresent=false"], ImplicitDeny },
        { """{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}""", [], Allow },
        { """{"BinaryEqualsIfExists":{"strongroom:Fingerprint":"QmluYXJ5VmFsdWU="}}""", [], Allow },
        { """{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=198.51.100.1"], ImplicitDeny },
        { """{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}""", [], Allow },
        { """{"NotIpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}""", ["aws:SourceIp=203.0.113.5"], ImplicitDeny },
        { """{"NotIpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}""", [], Allow },
        { """{"ArnLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/dev"], ImplicitDeny },
        { """{"ArnLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", [], Allow },
        { """{"ArnNotLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/ops-a"], ImplicitDeny },
        { """{"ArnNotLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}""", [], Allow },

        // Several keys under one operator, and several operators: every one must hold.
        { """{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"payments"}}""", ["aws:username=alice", "aws:PrincipalTag/team=payments"], Allow },
        { """{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"payments"}}""", ["aws:username=alice", "aws:PrincipalTag/team=ops"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"payments"}}""", ["aws:username=bob", "aws:PrincipalTag/team=payments"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"payments"}}""", ["aws:username=alice"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}""", ["aws:username=alice", "aws:SourceIp=203.0.113.9", "aws:SecureTransport=true"], Allow },
        { """{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}""", ["aws:username=alice", "aws:SourceIp=198.51.100.9", "aws:SecureTransport=true"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}""", ["aws:username=alice", "aws:SourceIp=203.0.113.9", "aws:SecureTransport=false"], ImplicitDeny },
        { """{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}""", ["aws:username=bob", "aws:SourceIp=203.0.113.9", "aws:SecureTransport=true"], ImplicitDeny },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/*"},"StringNotLike":{"secretsmanager:SecretId":"prod/root*"}}""", ["secretsmanager:SecretId=prod/db"], Allow },
        { """{"StringLike":{"secretsmanager:SecretId":"prod/*"},"StringNotLike":{"secretsmanager:SecretId":"prod/root*"}}""", ["secretsmanager:SecretId=prod/root-key"], ImplicitDeny },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T12:00:00Z"], Allow },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2026-06-01T12:00:00Z"], ImplicitDeny },

        // ForAllValues: every request value must match; an empty or missing key matches.
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=env"], Allow },
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=env|team"], Allow },
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=env|owner"], ImplicitDeny },
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", [], Allow },
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=[]"], Allow },
        { """{"ForAllValues:StringLike":{"aws:TagKeys":["env*","team"]}}""", ["aws:TagKeys=environment|team"], Allow },
        { """{"ForAllValues:StringLike":{"aws:TagKeys":["env*","team"]}}""", ["aws:TagKeys=owner"], ImplicitDeny },
        { """{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["ENV","TEAM"]}}""", ["aws:TagKeys=env|Team"], Allow },
        { """{"ForAllValues:StringNotEquals":{"aws:TagKeys":"secret"}}""", ["aws:TagKeys=env|team"], Allow },
        { """{"ForAllValues:StringNotEquals":{"aws:TagKeys":"secret"}}""", ["aws:TagKeys=env|secret"], ImplicitDeny },
        { """{"ForAllValues:StringNotEquals":{"aws:TagKeys":"secret"}}""", [], Allow },
        { """{"ForAllValues:StringNotLike":{"aws:TagKeys":"sec*"}}""", ["aws:TagKeys=secret"], ImplicitDeny },

        // ForAnyValue: at least one request value must match; an empty or missing key does not.
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=owner|env"], Allow },
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=owner"], ImplicitDeny },
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}""", [], ImplicitDeny },
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=[]"], ImplicitDeny },
        { """{"ForAnyValue:StringLike":{"aws:TagKeys":"team*"}}""", ["aws:TagKeys=owner|team-a"], Allow },
        { """{"ForAnyValue:StringLike":{"aws:TagKeys":"team*"}}""", ["aws:TagKeys=owner"], ImplicitDeny },
        { """{"ForAnyValue:StringEqualsIgnoreCase":{"aws:TagKeys":"ENV"}}""", ["aws:TagKeys=Env"], Allow },
        { """{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}""", ["aws:TagKeys=env|team"], Allow },
        { """{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}""", ["aws:TagKeys=env"], ImplicitDeny },
        { """{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}""", [], ImplicitDeny },

        // Condition key names are case-insensitive (values are not).
        { """{"StringEquals":{"AWS:UserName":"alice"}}""", ["aws:username=alice"], Allow },
        { """{"StringEquals":{"aws:principaltag/TEAM":"payments"}}""", ["aws:PrincipalTag/team=payments"], Allow },
        { """{"ForAnyValue:StringEquals":{"AWS:TAGKEYS":"env"}}""", ["aws:TagKeys=env"], Allow },
        { """{"Null":{"AWS:USERNAME":"false"}}""", ["aws:username=alice"], Allow },

        // Policy variables inside condition values.
        { """{"StringEquals":{"secretsmanager:ResourceTag/owner":"${aws:username}"}}""", ["secretsmanager:ResourceTag/owner=alice", "aws:username=alice"], Allow },
        { """{"StringEquals":{"secretsmanager:ResourceTag/owner":"${aws:username}"}}""", ["secretsmanager:ResourceTag/owner=bob", "aws:username=alice"], ImplicitDeny },
        { """{"StringEquals":{"secretsmanager:ResourceTag/owner":"${aws:username}"}}""", ["secretsmanager:ResourceTag/owner=alice"], ImplicitDeny },
        { """{"StringEquals":{"secretsmanager:ResourceTag/owner":"owner-${aws:username}-x"}}""", ["secretsmanager:ResourceTag/owner=owner-alice-x", "aws:username=alice"], Allow },
        { """{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}""", ["secretsmanager:ResourceTag/team=payments", "aws:PrincipalTag/team=payments"], Allow },
        { """{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}""", ["secretsmanager:ResourceTag/team=payments", "aws:PrincipalTag/team=ops"], ImplicitDeny },
        { """{"StringNotEquals":{"secretsmanager:ResourceTag/owner":"${aws:username}"}}""", ["secretsmanager:ResourceTag/owner=alice"], Allow },
        { """{"StringEquals":{"secretsmanager:ResourceTag/owner":"${aws:username, 'nobody'}"}}""", ["secretsmanager:ResourceTag/owner=nobody"], Allow },
        { """{"StringLike":{"secretsmanager:SecretId":"${aws:username}/*"}}""", ["secretsmanager:SecretId=alice/db", "aws:username=alice"], Allow },
        { """{"StringLike":{"secretsmanager:SecretId":"${aws:username}/*"}}""", ["secretsmanager:SecretId=bob/db", "aws:username=alice"], ImplicitDeny },
        { """{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/${aws:username}"}}""", ["aws:PrincipalArn=" + Alice, "aws:username=alice"], Allow },
        { """{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/${aws:username}"}}""", ["aws:PrincipalArn=" + Alice, "aws:username=bob"], ImplicitDeny },
        { """{"StringEquals":{"strongroom:Label":"a${*}b"}}""", ["strongroom:Label=a*b"], Allow },
        { """{"StringEquals":{"strongroom:Label":"a${*}b"}}""", ["strongroom:Label=axb"], ImplicitDeny },
        { """{"StringLike":{"strongroom:Label":"a${*}"}}""", ["strongroom:Label=a*"], Allow },
        { """{"StringLike":{"strongroom:Label":"a${*}"}}""", ["strongroom:Label=ab"], ImplicitDeny },
        { """{"StringEquals":{"strongroom:Label":"cost${$}"}}""", ["strongroom:Label=cost$"], Allow },
    };

    [Theory]
    [MemberData(nameof(AllowConditionCases))]
    public void Evaluate_ConditionOnAllow_ReturnsAwsDecision(string condition, string[] request, PolicyDecision expected) =>
        AssertDecision(condition, [AllowIf(condition)], null, null, request, expected, "identity-0#Cond");

    // ---------------------------------------------------------------- condition operators on a Deny statement

    public static TheoryData<string, string[], PolicyDecision> DenyConditionCases => new()
    {
        { """{"Bool":{"aws:SecureTransport":"false"}}""", ["aws:SecureTransport=false"], ExplicitDeny },
        { """{"Bool":{"aws:SecureTransport":"false"}}""", ["aws:SecureTransport=true"], Allow },
        { """{"Bool":{"aws:SecureTransport":"false"}}""", [], Allow },
        { """{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}""", ["aws:MultiFactorAuthPresent=false"], ExplicitDeny },
        { """{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}""", [], ExplicitDeny },
        { """{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}""", ["aws:MultiFactorAuthPresent=true"], Allow },
        { """{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}""", ["aws:RequestedRegion=eu-west-1"], ExplicitDeny },
        { """{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}""", ["aws:RequestedRegion=us-east-1"], Allow },
        { """{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}""", [], ExplicitDeny },
        { """{"StringNotEqualsIfExists":{"secretsmanager:ResourceTag/project":"apollo"}}""", [], ExplicitDeny },
        { """{"StringNotEqualsIfExists":{"secretsmanager:ResourceTag/project":"apollo"}}""", ["secretsmanager:ResourceTag/project=apollo"], Allow },
        { """{"StringNotEqualsIfExists":{"secretsmanager:ResourceTag/project":"apollo"}}""", ["secretsmanager:ResourceTag/project=gemini"], ExplicitDeny },
        { """{"StringNotEquals":{"secretsmanager:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}""", ["secretsmanager:ResourceTag/Team=blue", "aws:PrincipalTag/Team=blue"], Allow },
        { """{"StringNotEquals":{"secretsmanager:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}""", ["secretsmanager:ResourceTag/Team=blue", "aws:PrincipalTag/Team=red"], ExplicitDeny },
        { """{"StringNotEquals":{"secretsmanager:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}""", ["secretsmanager:ResourceTag/Team=blue"], ExplicitDeny },
        { """{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}""", ["aws:SourceIp=203.0.113.5"], Allow },
        { """{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}""", ["aws:SourceIp=2001:db8::9"], Allow },
        { """{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}""", ["aws:SourceIp=198.51.100.1"], ExplicitDeny },
        { """{"Null":{"aws:PrincipalTag/team":"true"}}""", [], ExplicitDeny },
        { """{"Null":{"aws:PrincipalTag/team":"true"}}""", ["aws:PrincipalTag/team=payments"], Allow },
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["secret","internal"]}}""", ["aws:TagKeys=env|internal"], ExplicitDeny },
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["secret","internal"]}}""", ["aws:TagKeys=env"], Allow },
        { """{"ForAnyValue:StringEquals":{"aws:TagKeys":["secret","internal"]}}""", [], Allow },
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", [], ExplicitDeny },
        { """{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", ["aws:TagKeys=owner"], Allow },
        { """{"NumericGreaterThan":{"secretsmanager:RecoveryWindowInDays":"30"}}""", ["secretsmanager:RecoveryWindowInDays=31"], ExplicitDeny },
        { """{"NumericGreaterThan":{"secretsmanager:RecoveryWindowInDays":"30"}}""", ["secretsmanager:RecoveryWindowInDays=7"], Allow },
        { """{"NumericGreaterThan":{"secretsmanager:RecoveryWindowInDays":"30"}}""", [], Allow },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2026-06-01T00:00:00Z"], ExplicitDeny },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", ["aws:CurrentTime=2025-06-01T00:00:00Z"], Allow },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/admin-*"}}""", ["aws:PrincipalArn=arn:aws:iam::123456789012:role/admin-x"], Allow },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/admin-*"}}""", ["aws:PrincipalArn=" + Alice], ExplicitDeny },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/admin-*"}}""", [], ExplicitDeny },
    };

    [Theory]
    [MemberData(nameof(DenyConditionCases))]
    public void Evaluate_ConditionOnDeny_ReturnsAwsDecision(string condition, string[] request, PolicyDecision expected) =>
        AssertDecision(condition, [DenyIf(condition)], null, null, request, expected, expected == ExplicitDeny ? "identity-0#DenyCond" : "identity-0#AllowAll");

    // ---------------------------------------------------------------- parse errors

    private const string Good = """{"Effect":"Allow","Action":"*","Resource":"*"}""";

    public static TheoryData<string, string, bool, int, int> ParseErrorCases => new()
    {
        // Not JSON at all.
        { "truncated", """{"Version":"2012-10-17","Statement":[""", false, 1, 0 },
        { "trailing comma", Lines("{", "  \"Version\": \"2012-10-17\",", "  \"Statement\": [", "    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\",}", "  ]", "}"), false, 4, 0 },
        { "single quotes", "{'Version':'2012-10-17'}", false, 1, 0 },
        { "plain text", "allow everything", false, 1, 0 },
        { "empty text", string.Empty, false, 1, 0 },
        { "unclosed string on line 3", Lines("{", "  \"Version\": \"2012-10-17\",", "  \"Statement\": \"oops", "}"), false, 3, 0 },

        // Wrong shapes.
        { "root is an array", "[]", false, 1, 1 },
        { "root is a string", "\"policy\"", false, 1, 1 },
        { "no Statement", """{"Version":"2012-10-17"}""", false, 0, 0 },
        { "empty Statement list", """{"Version":"2012-10-17","Statement":[]}""", false, 0, 0 },
        { "statement is a string", """{"Version":"2012-10-17","Statement":["Allow"]}""", false, 0, 0 },
        { "Sid is a number", """{"Version":"2012-10-17","Statement":[{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}]}""", false, 0, 0 },
        { "Action is a number", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":42,"Resource":"*"}]}""", false, 0, 0 },
        { "Resource list holds a number", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":[1]}]}""", false, 0, 0 },
        { "Principal is a bare name", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"alice","Action":"*","Resource":"*"}]}""", false, 0, 0 },
        { "Condition is a string", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}]}""", false, 0, 0 },
        { "operator maps to a string", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"alice"}}]}""", false, 0, 0 },
        { "condition value is an object", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}]}""", false, 0, 0 },

        // Unknown elements.
        { "unknown top-level element", Lines("{", "  \"Version\": \"2012-10-17\",", "  \"Statements\": []", "}"), false, 3, 3 },
        { "unknown statement element", Lines("{", "  \"Version\": \"2012-10-17\",", "  \"Statement\": [{", "    \"Effect\": \"Allow\",", "    \"Actions\": \"*\",", "    \"Resource\": \"*\"", "  }]", "}"), false, 5, 5 },
        { "Principals is not Principal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principals":"*","Action":"*","Resource":"*"}]}""", false, 1, 0 },
        { "Conditions is not Condition", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Conditions":{}}]}""", false, 1, 0 },

        // Effect.
        { "missing Effect", """{"Version":"2012-10-17","Statement":[{"Action":"*","Resource":"*"}]}""", false, 0, 0 },
        { "Effect Permit", """{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}""", false, 0, 0 },
        { "Effect is a boolean", """{"Version":"2012-10-17","Statement":[{"Effect":true,"Action":"*","Resource":"*"}]}""", false, 0, 0 },

        // Mutually exclusive or required elements.
        { "both Action and NotAction", Lines("{", "  \"Version\": \"2012-10-17\",", "  \"Statement\": [{", "    \"Effect\": \"Allow\",", "    \"Action\": \"*\",", "    \"NotAction\": \"kms:*\",", "    \"Resource\": \"*\"", "  }]", "}"), false, 0, 0 },
        { "neither Action nor NotAction", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}""", false, 0, 0 },
        { "both Resource and NotResource", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}]}""", false, 0, 0 },
        { "both Principal and NotPrincipal", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"}]}""", true, 0, 0 },

        // Condition operators.
        { "unknown operator", Lines("{", "  \"Version\": \"2012-10-17\",", "  \"Statement\": [{", "    \"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\",", "    \"Condition\": {", "      \"StringEqual\": {\"aws:username\": \"alice\"}", "    }", "  }]", "}"), false, 6, 7 },
        { "unknown set prefix", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"env"}}}]}""", false, 1, 0 },
        { "Null with IfExists", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}]}""", false, 1, 0 },
        { "made-up operator", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"RegexMatches":{"aws:username":"a.*"}}}]}""", false, 1, 0 },

        // Version.
        { "unknown Version", Lines("{", "  \"Version\": \"2012-10-18\",", "  \"Statement\": [" + Good + "]", "}"), false, 2, 3 },
        { "Version is a number", """{"Version":2012,"Statement":[""" + Good + "]}", false, 1, 0 },
        { "Version is empty", """{"Version":"","Statement":[""" + Good + "]}", false, 1, 0 },
        { "Version is a date of the wrong format", """{"Version":"2012/10/17","Statement":[""" + Good + "]}", false, 1, 0 },

        // Resource policies must name a principal.
        { "resource policy without Principal", """{"Version":"2012-10-17","Statement":[""" + Good + "]}", true, 0, 0 },
        { "resource policy whose second statement lacks Principal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},""" + Good + "]}", true, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(ParseErrorCases))]
    public void Parse_InvalidDocument_ThrowsPolicySyntaxExceptionWithLocation(string label, string json, bool requirePrincipal, int line, int column)
    {
        var error = Record.Exception(() => PolicyDocument.Parse(json, requirePrincipal));
        if (error is not PolicySyntaxException syntax)
        {
            Assert.Fail($"{label}: expected PolicySyntaxException, got {error?.GetType().Name ?? "no exception"} ({error?.Message})");
            return;
        }

        Assert.InRange(syntax.Line, 1, long.MaxValue);
        Assert.InRange(syntax.Column, 1, long.MaxValue);
        if (line > 0)
        {
            Assert.Equal(line, syntax.Line);
        }

        if (column > 0)
        {
            Assert.Equal(column, syntax.Column);
        }
    }

    // ---------------------------------------------------------------- valid documents

    public static TheoryData<string, bool, int, string?, string> ValidDocumentCases => new()
    {
        { """{"Version":"2012-10-17","Statement":{"Sid":"Only","Effect":"Allow","Action":"*","Resource":"*"}}""", false, 1, "Only", "2012-10-17" },
        { """{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Two","Effect":"Deny","NotAction":"kms:*","NotResource":"*"}]}""", false, 2, "One", "2012-10-17" },
        { """{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}""", false, 1, null, "2008-10-17" },
        { """{"Version":"2008-10-17","Id":"legacy","Statement":[{"Sid":"Old","Effect":"Allow","Action":"*","Resource":"*"}]}""", false, 1, "Old", "2008-10-17" },
        { """{"Version":"2012-10-17","Statement":{"Sid":"R","Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/alice"]},"Action":"*","Resource":"*"}}""", true, 1, "R", "2012-10-17" },
        { """{"Version":"2012-10-17","Statement":[{"Sid":"N","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"}]}""", true, 1, "N", "2012-10-17" },
        { """{"Version":"2012-10-17","Statement":[{"Sid":"P","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}""", true, 1, "P", "2012-10-17" },
    };

    [Theory]
    [MemberData(nameof(ValidDocumentCases))]
    public void Parse_ValidDocument_ReturnsStatements(string json, bool requirePrincipal, int statements, string? firstSid, string version)
    {
        var document = PolicyDocument.Parse(json, requirePrincipal);
        Assert.Equal(statements, document.Statements.Count);
        Assert.Equal(firstSid, document.Statements[0].Sid);
        Assert.Equal(version, document.Version);
        Assert.Equal(version == "2012-10-17", document.VariablesEnabled);
    }

    [Fact]
    public void Decision_NeverSet_IsAnImplicitDeny()
    {
        // The safe default is the zero value (#17): a decision nobody set must not read as an allow.
        Assert.Equal(ImplicitDeny, default(PolicyDecision));
        Assert.False(new AuthorizationResult(default, null, null).Allowed);
    }

    [Fact]
    public void Parse_StatementAsSingleObject_SameAsOneElementList()
    {
        var single = PolicyDocument.Parse(Doc(AllowGet).Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal));
        var list = PolicyDocument.Parse(Doc(AllowGet));
        var statement = Assert.Single(single.Statements);
        var expected = Assert.Single(list.Statements);
        Assert.Equal(expected.Sid, statement.Sid);
        Assert.Equal(expected.Allow, statement.Allow);
        Assert.Equal(expected.Actions, statement.Actions);
        Assert.Equal(expected.Resources, statement.Resources);
        Assert.Null(statement.NotActions);
        Assert.Null(statement.NotResources);
        Assert.Empty(statement.Conditions);
        Assert.Equal(0, statement.Index);
    }

    [Fact]
    public void Parse_ConditionValuesOfEveryJsonType_BecomeStrings()
    {
        var document = PolicyDocument.Parse(AllowIf("""{"NumericEquals":{"k1":10},"Bool":{"k2":true,"k3":[false,"true"]},"StringEquals":{"k4":["a",2.5]}}"""));
        var conditions = document.Statements[0].Conditions.ToDictionary(c => c.Key, c => string.Join(",", c.Values));
        Assert.Equal("10", conditions["k1"]);
        Assert.Equal("true", conditions["k2"]);
        Assert.Equal("false,true", conditions["k3"]);
        Assert.Equal("a,2.5", conditions["k4"]);
    }

    // ---------------------------------------------------------------- Glob and Substitute

    public static TheoryData<string, string, bool, bool> GlobCases => new()
    {
        { "*", "", false, true },
        { "*", "anything at all", false, true },
        { "", "", false, true },
        { "", "a", false, false },
        { "a*c", "abbbc", false, true },
        { "a*c", "abbbd", false, false },
        { "a?c", "abc", false, true },
        { "a?c", "ac", false, false },
        { "a*b*c", "aXbYc", false, true },
        { "a*b*c", "aXcYb", false, false },
        { "**", "x", false, true },
        { "ABC", "abc", true, true },
        { "ABC", "abc", false, false },
        { "secretsmanager:Get*", "SECRETSMANAGER:getsecretvalue", true, true },
        { "prod/*", "prod/", false, true },
        { "prod/?", "prod/", false, false },
    };

    [Theory]
    [MemberData(nameof(GlobCases))]
    public void Glob_PatternAndValue_MatchesLikeIam(string pattern, string value, bool ignoreCase, bool expected) =>
        Assert.Equal(expected, PolicyEvaluator.Glob(pattern, value, ignoreCase));

    public static TheoryData<string, bool, string[], string?> SubstituteCases => new()
    {
        { "plain/text", true, [], "plain/text" },
        { "${aws:username}/x", true, ["aws:username=alice"], "alice/x" },
        { "${AWS:USERNAME}/x", true, ["aws:username=alice"], "alice/x" },
        { "${aws:username}/x", true, [], null },
        { "${aws:username}/x", false, ["aws:username=alice"], "${aws:username}/x" },
        { "${aws:username, 'anon'}", true, [], "anon" },
        { "${aws:username, 'anon'}", true, ["aws:username=bob"], "bob" },
        { "${aws:PrincipalTag/team}-${aws:username}", true, ["aws:PrincipalTag/team=payments", "aws:username=alice"], "payments-alice" },
        { "${aws:PrincipalTag/team}-${aws:username}", true, ["aws:username=alice"], null },
        { "${$}5", true, [], "$5" },
    };

    [Theory]
    [MemberData(nameof(SubstituteCases))]
    public void Substitute_PolicyVariables_ReplacesFromRequest(string text, bool enabled, string[] request, string? expected) =>
        Assert.Equal(expected, PolicyEvaluator.Substitute(text, enabled, Request(request)));

    [Theory]
    [InlineData("arn:x:${*}", "arn:x:*", true)]
    [InlineData("arn:x:${*}", "arn:x:abc", false)]
    [InlineData("arn:x:${?}", "arn:x:?", true)]
    [InlineData("arn:x:${?}", "arn:x:a", false)]
    public void Substitute_LiteralWildcards_MatchOnlyThemselves(string text, string value, bool expected)
    {
        var pattern = PolicyEvaluator.Substitute(text, enabled: true, Request([]));
        Assert.NotNull(pattern);
        Assert.Equal(expected, PolicyEvaluator.Glob(pattern, value, ignoreCase: false));
    }
}
