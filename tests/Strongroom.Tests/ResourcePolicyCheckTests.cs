using Strongroom.Core.Policies;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// What BlockPublicPolicy refuses (docs/compatibility/secretsmanager.md): an Allow to a wildcard principal is public
/// unless a condition of the same statement admits only callers of this account.
/// </summary>
public sealed class ResourcePolicyCheckTests
{
    private const string Account = "123456789012";

    private static string Allow(string principal, string? condition = null, string principalKey = "Principal") =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","{{principalKey}}":{{principal}},"Action":"secretsmanager:GetSecretValue","Resource":"*"{{(condition is null ? string.Empty : ",\"Condition\":" + condition)}}}]}""";

    public static TheoryData<string, string, bool> Cases => new()
    {
        // Principals.
        { "Principal *", Allow("\"*\""), true },
        { "AWS *", Allow("""{"AWS":"*"}"""), true },
        { "a list holding *", Allow("""{"AWS":["arn:aws:iam::123456789012:user/a","*"]}"""), true },
        { "wildcard account in an ARN", Allow("""{"AWS":"arn:aws:iam::*:root"}"""), true },
        { "Service *", Allow("""{"Service":"*"}"""), true },
        { "NotPrincipal", Allow("""{"AWS":"arn:aws:iam::123456789012:user/a"}""", principalKey: "NotPrincipal"), true },
        { "this account", Allow("""{"AWS":"arn:aws:iam::123456789012:root"}"""), false },
        { "a named user", Allow("""{"AWS":"arn:aws:iam::123456789012:user/a"}"""), false },
        { "another named account", Allow("""{"AWS":"999999999999"}"""), false },
        { "a Deny to *", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}""", false },

        // Conditions that narrow nothing.
        { "PrincipalArn like *", Allow("\"*\"", """{"StringLike":{"aws:PrincipalArn":"*"}}"""), true },
        { "PrincipalArn with any account", Allow("\"*\"", """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/x"}}"""), true },
        { "PrincipalArn account with a wildcard", Allow("\"*\"", """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::12345678901?:user/x"}}"""), true },
        { "PrincipalArn not an ARN", Allow("\"*\"", """{"StringEquals":{"aws:PrincipalArn":"123456789012"}}"""), true },
        { "one ARN of this account, one of another", Allow("\"*\"", """{"ArnEquals":{"aws:PrincipalArn":["arn:aws:iam::123456789012:user/a","arn:aws:iam::999999999999:user/b"]}}"""), true },
        { "SourceIp", Allow("\"*\"", """{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"""), true },
        { "SecureTransport", Allow("\"*\"", """{"Bool":{"aws:SecureTransport":"true"}}"""), true },
        { "PrincipalAccount IfExists", Allow("\"*\"", """{"StringEqualsIfExists":{"aws:PrincipalAccount":"123456789012"}}"""), true },
        { "PrincipalAccount ForAllValues", Allow("\"*\"", """{"ForAllValues:StringEquals":{"aws:PrincipalAccount":"123456789012"}}"""), true },
        { "PrincipalAccount not equals another", Allow("\"*\"", """{"StringNotEquals":{"aws:PrincipalAccount":"999999999999"}}"""), true },
        { "PrincipalAccount another account", Allow("\"*\"", """{"StringEquals":{"aws:PrincipalAccount":"999999999999"}}"""), true },
        { "PrincipalAccount like *", Allow("\"*\"", """{"StringLike":{"aws:PrincipalAccount":"*"}}"""), true },
        { "PrincipalAccount one of two accounts", Allow("\"*\"", """{"StringEquals":{"aws:PrincipalAccount":["123456789012","999999999999"]}}"""), true },
        { "Null check", Allow("\"*\"", """{"Null":{"aws:PrincipalAccount":"false"}}"""), true },
        { "PrincipalOrgID wildcard", Allow("\"*\"", """{"StringLike":{"aws:PrincipalOrgID":"o-*"}}"""), true },
        { "username", Allow("\"*\"", """{"StringEquals":{"aws:username":"alice"}}"""), true },

        // Conditions that narrow to this account.
        { "PrincipalAccount", Allow("\"*\"", """{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}"""), false },
        { "PrincipalAccount ignoring case", Allow("\"*\"", """{"StringEqualsIgnoreCase":{"aws:PrincipalAccount":"123456789012"}}"""), false },
        { "PrincipalAccount ForAnyValue", Allow("\"*\"", """{"ForAnyValue:StringEquals":{"aws:PrincipalAccount":["123456789012"]}}"""), false },
        { "key name in another case", Allow("\"*\"", """{"StringEquals":{"AWS:principalaccount":"123456789012"}}"""), false },
        { "SourceAccount", Allow("\"*\"", """{"StringEquals":{"aws:SourceAccount":"123456789012"}}"""), false },
        { "PrincipalArn of this account", Allow("\"*\"", """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/*"}}"""), false },
        { "PrincipalArn equals", Allow("\"*\"", """{"ArnEquals":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/a","arn:aws:sts::123456789012:assumed-role/a/s"]}}"""), false },
        { "SourceArn of this account", Allow("\"*\"", """{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:*"}}"""), false },
        { "PrincipalOrgID fixed", Allow("\"*\"", """{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"""), false },
        { "narrowing beside other conditions", Allow("\"*\"", """{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"aws:PrincipalAccount":"123456789012"}}"""), false },
        { "NotPrincipal narrowed", Allow("""{"AWS":"arn:aws:iam::123456789012:user/a"}""", """{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}""", "NotPrincipal"), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsPublic_Policy_OnlyAccountNarrowingConditionsCount(string label, string policy, bool expected) =>
        Assert.True(ResourcePolicyCheck.IsPublic(policy, Account) == expected, $"{label}: expected {(expected ? "public" : "not public")}");

    [Fact]
    public void IsPublic_OnePublicStatementAmongNarrowOnes_IsPublic()
    {
        var policy = """
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}},
              {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:DescribeSecret","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}
            """;
        Assert.True(ResourcePolicyCheck.IsPublic(policy, Account));
    }
}
