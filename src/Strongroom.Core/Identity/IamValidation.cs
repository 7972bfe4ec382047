using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using static Strongroom.Core.Identity.IamErrors;

namespace Strongroom.Core.Identity;

/// <summary>Checks of IAM names, paths and policy documents, with the messages AWS answers.</summary>
internal static class IamValidation
{
    internal static void ValidateName(string name, string member, int max = 64)
    {
        if (name.Length < 1 || name.Length > max || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '=' or ',' or '.' or '@' or '_' or '-'))
        {
            throw Invalid($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
        }
    }

    internal static string ValidatePath(string? path)
    {
        path ??= "/";
        if (!path.StartsWith('/') || !path.EndsWith('/') || path.Length > 512)
        {
            throw Invalid("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.");
        }

        return path;
    }

    internal static void ValidateDocument(string document)
    {
        PolicyDocument parsed;
        try
        {
            parsed = PolicyDocument.Parse(document);
        }
        catch (PolicySyntaxException e)
        {
            throw DomainException.WithCode("MalformedPolicyDocument", $"Syntax errors in policy. {e.Message} (line {e.Line}, column {e.Column})");
        }

        // An identity policy applies to whoever holds it: it names no principal and must name resources.
        if (parsed.Statements.Any(st => st.Principals is not null || st.NotPrincipals is not null))
        {
            throw DomainException.WithCode("MalformedPolicyDocument", "Policy document should not specify a principal.");
        }

        if (parsed.Statements.Any(st => st.Resources is null && st.NotResources is null))
        {
            throw DomainException.WithCode("MalformedPolicyDocument", "Policy statement must contain resources.");
        }
    }

    internal static void ValidateTrustPolicy(string document)
    {
        try
        {
            PolicyDocument.Parse(document, requirePrincipal: true);
        }
        catch (PolicySyntaxException e)
        {
            throw DomainException.WithCode("MalformedPolicyDocument", $"Syntax errors in policy. {e.Message} (line {e.Line}, column {e.Column})");
        }
    }

    internal static void ValidateSessionName(string sessionName)
    {
        if (sessionName.Length is < 2 or > 64 || !sessionName.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '=' or ',' or '.' or '@' or '_' or '-'))
        {
            throw Invalid($"1 validation error detected: Value '{sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
        }
    }

    internal static void ValidateSessionPolicy(string? sessionPolicy)
    {
        if (sessionPolicy is null)
        {
            return;
        }

        if (sessionPolicy.Length > 2048)
        {
            throw Invalid("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
        }

        try
        {
            PolicyDocument.Parse(sessionPolicy);
        }
        catch (PolicySyntaxException e)
        {
            throw DomainException.WithCode("MalformedPolicyDocument", "The policy is not in the valid JSON format. " + e.Message);
        }
    }
}
