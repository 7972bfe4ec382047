using Strongroom.Core.Policies;
using Xunit;
using static Strongroom.Core.Policies.PolicyDecision;

namespace Strongroom.Tests;

/// <summary>
/// AWS KMS's key-policy rule (KMS Developer Guide, "Key policies"; "Default key policy"): the key policy must allow,
/// by naming the caller, or by naming the account (arn:aws:iam::ACCOUNT:root) and so delegating to IAM policies,
/// which must then allow too. An explicit Deny anywhere wins. Also the service-principal match used for role trust.
/// </summary>
public sealed class KeyPolicyEvaluatorTests
{
    private const string Account = "123456789012";
    private const string Alice = "arn:aws:iam::123456789012:user/alice";
    private const string Role = "arn:aws:iam::123456789012:role/ops";
    private const string Session = "arn:aws:sts::123456789012:assumed-role/ops/s1";
    private const string Key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";

    private static NamedPolicy Policy(string name, string statements) =>
        new(name, PolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[""" + statements + "]}"));

    private static IReadOnlyList<NamedPolicy> Iam(string statements) => [Policy("identity", statements)];

    private static readonly IReadOnlyList<NamedPolicy> NoIam = [];

    private const string IamAllowDecrypt = """{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}""";
    private const string RootDelegates = """{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}""";
    private const string AccountIdDelegates = """{"Sid":"account","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"kms:*","Resource":"*"}""";
    private const string NamesAlice = """{"Sid":"alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"kms:Decrypt","Resource":"*"}""";
    private const string NamesBob = """{"Sid":"bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"kms:*","Resource":"*"}""";

    private static RequestContext Request(string principal = Alice, string action = "kms:Decrypt", string? principalArnKey = null)
    {
        var context = new RequestContext { Action = action, Resource = Key, PrincipalArn = principal, AccountId = Account };
        context.With("aws:PrincipalArn", principalArnKey ?? principal).With("kms:CallerAccount", Account);
        return context;
    }

    [Fact]
    public void Evaluate_IamAllowWithoutDelegation_Denied()
    {
        var result = KeyPolicyEvaluator.Evaluate(Request(), Iam(IamAllowDecrypt), null, Policy("resource policy", NamesBob));
        Assert.Equal(ImplicitDeny, result.Result.Decision);
        Assert.True(result.IdentityAllowed);
    }

    [Theory]
    [InlineData(RootDelegates)]
    [InlineData(AccountIdDelegates)]
    public void Evaluate_DelegationToTheAccount_NeedsAndHonoursIam(string delegation)
    {
        Assert.Equal(Allow, KeyPolicyEvaluator.Evaluate(Request(), Iam(IamAllowDecrypt), null, Policy("resource policy", delegation)).Result.Decision);
        Assert.Equal(ImplicitDeny, KeyPolicyEvaluator.Evaluate(Request(), NoIam, null, Policy("resource policy", delegation)).Result.Decision);
    }

    [Fact]
    public void Evaluate_KeyPolicyNamingTheCaller_AllowsWithoutIam()
    {
        Assert.Equal(Allow, KeyPolicyEvaluator.Evaluate(Request(), NoIam, null, Policy("resource policy", NamesAlice)).Result.Decision);
        Assert.Equal(ImplicitDeny, KeyPolicyEvaluator.Evaluate(Request(action: "kms:Encrypt"), NoIam, null, Policy("resource policy", NamesAlice)).Result.Decision);
    }

    [Fact]
    public void Evaluate_DenyInKeyPolicyOrIam_Wins()
    {
        const string denyAlice = """{"Sid":"no","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"kms:Decrypt","Resource":"*"}""";
        var keyDeny = KeyPolicyEvaluator.Evaluate(Request(), Iam(IamAllowDecrypt), null, Policy("resource policy", RootDelegates + "," + denyAlice));
        Assert.Equal(ExplicitDeny, keyDeny.Result.Decision);
        Assert.Equal("no", keyDeny.Result.Statement?.Sid);
        const string iamDeny = """{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}""";
        Assert.Equal(ExplicitDeny, KeyPolicyEvaluator.Evaluate(Request(), Iam(iamDeny), null, Policy("resource policy", NamesAlice)).Result.Decision);
    }

    [Fact]
    public void Evaluate_SessionPolicy_NarrowsBothRoutes()
    {
        const string namesRole = """{"Sid":"role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ops"},"Action":"kms:Decrypt","Resource":"*"}""";
        IReadOnlyList<NamedPolicy> narrow = [Policy("session policy", """{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}""")];
        var asSession = Request(Session, principalArnKey: Role);
        Assert.Equal(Allow, KeyPolicyEvaluator.Evaluate(asSession, NoIam, null, Policy("resource policy", namesRole)).Result.Decision);
        Assert.Equal(ImplicitDeny, KeyPolicyEvaluator.Evaluate(asSession, NoIam, narrow, Policy("resource policy", namesRole)).Result.Decision);
        Assert.Equal(ImplicitDeny, KeyPolicyEvaluator.Evaluate(asSession, Iam(IamAllowDecrypt), narrow, Policy("resource policy", RootDelegates)).Result.Decision);
    }

    [Fact]
    public void Evaluate_ManagedKeyPolicy_AllowsThroughItsServiceOnly()
    {
        const string managed = """{"Sid":"via","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com","kms:CallerAccount":"123456789012"}}}""";
        Assert.Equal(ImplicitDeny, KeyPolicyEvaluator.Evaluate(Request(), Iam(IamAllowDecrypt), null, Policy("resource policy", managed)).Result.Decision);
        var via = Request().With("kms:ViaService", "secretsmanager.us-east-1.amazonaws.com");
        Assert.Equal(Allow, KeyPolicyEvaluator.Evaluate(via, NoIam, null, Policy("resource policy", managed)).Result.Decision);

        // A session narrowed to GetSecretValue still reads through Secrets Manager: "*" is not narrowed by session policies.
        IReadOnlyList<NamedPolicy> narrow = [Policy("session policy", """{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}""")];
        var viaSession = Request(Session, principalArnKey: Role).With("kms:ViaService", "secretsmanager.us-east-1.amazonaws.com");
        Assert.Equal(Allow, KeyPolicyEvaluator.Evaluate(viaSession, NoIam, narrow, Policy("resource policy", managed)).Result.Decision);
        const string denySession = """{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}""";
        Assert.Equal(ExplicitDeny, KeyPolicyEvaluator.Evaluate(viaSession, NoIam, [Policy("session policy", denySession)], Policy("resource policy", managed)).Result.Decision);
    }

    [Theory]
    [InlineData("""{"Service":"lambda.amazonaws.com"}""", true)]
    [InlineData("""{"Service":["ec2.amazonaws.com","secretsmanager.amazonaws.com"]}""", true)]
    [InlineData("""{"Service":"ec2.amazonaws.com"}""", false)]
    [InlineData("""{"AWS":"arn:aws:iam::123456789012:root"}""", false)]
    [InlineData("""{"AWS":"123456789012"}""", false)]
    public void Evaluate_TrustPolicy_MatchesServicePrincipalsOnlyForServiceRequests(string principal, bool trusted)
    {
        var trust = Policy("trust policy", """{"Effect":"Allow","Principal":""" + principal + ""","Action":"sts:AssumeRole"}""");
        var fromService = new RequestContext { Action = "sts:AssumeRole", Resource = Role }.With("aws:PrincipalServiceName", "lambda.amazonaws.com", "secretsmanager.amazonaws.com");
        Assert.Equal(trusted, PolicyEvaluator.Evaluate(fromService, [], trust).Allowed);

        // A user's request never matches a Service principal.
        var fromAlice = new RequestContext { Action = "sts:AssumeRole", Resource = Role, PrincipalArn = Alice, AccountId = Account };
        if (principal.Contains("Service", StringComparison.Ordinal))
        {
            Assert.False(PolicyEvaluator.Evaluate(fromAlice, [], trust).Allowed);
        }
    }
}
