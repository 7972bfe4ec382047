using System.Text.Json;

namespace Strongroom.Core.Policies;

/// <summary>
/// Syntax and broad-access checks for a resource policy. Enforcing policies belongs to the access-control
/// engine; this only decides whether a document is well formed and whether it is public.
/// </summary>
public static class ResourcePolicyCheck
{
    private static readonly HashSet<string> TopLevel = ["Version", "Id", "Statement"];
    private static readonly HashSet<string> StatementKeys = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

    public static bool IsJson(string policy)
    {
        try
        {
            using var document = JsonDocument.Parse(policy);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Returns the syntax errors; empty when the document is well formed.</summary>
    public static IReadOnlyList<string> SyntaxErrors(string policy)
    {
        var errors = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(policy);
        }
        catch (JsonException e)
        {
            errors.Add($"The policy is not valid JSON (line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}).");
            return errors;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("The policy must be a JSON object.");
                return errors;
            }

            foreach (var property in root.EnumerateObject())
            {
                if (!TopLevel.Contains(property.Name))
                {
                    errors.Add($"Unknown policy element '{property.Name}'.");
                }
            }

            if (root.TryGetProperty("Version", out var version) && (version.ValueKind != JsonValueKind.String || version.GetString() is not ("2012-10-17" or "2008-10-17")))
            {
                errors.Add("The policy Version must be \"2012-10-17\" or \"2008-10-17\".");
            }

            if (!root.TryGetProperty("Statement", out var statements))
            {
                errors.Add("The policy has no Statement.");
                return errors;
            }

            var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
            if (list.Count == 0)
            {
                errors.Add("The policy Statement list is empty.");
            }

            var index = 0;
            foreach (var statement in list)
            {
                index++;
                if (statement.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"Statement {index} must be a JSON object.");
                    continue;
                }

                foreach (var property in statement.EnumerateObject())
                {
                    if (!StatementKeys.Contains(property.Name))
                    {
                        errors.Add($"Statement {index} has an unknown element '{property.Name}'.");
                    }
                }

                if (!statement.TryGetProperty("Effect", out var effect) || effect.ValueKind != JsonValueKind.String || effect.GetString() is not ("Allow" or "Deny"))
                {
                    errors.Add($"Statement {index} needs an Effect of \"Allow\" or \"Deny\".");
                }

                var hasAction = statement.TryGetProperty("Action", out _);
                var hasNotAction = statement.TryGetProperty("NotAction", out _);
                if (hasAction == hasNotAction)
                {
                    errors.Add($"Statement {index} needs exactly one of Action or NotAction.");
                }

                if (!statement.TryGetProperty("Principal", out _) && !statement.TryGetProperty("NotPrincipal", out _))
                {
                    errors.Add($"Statement {index} needs a Principal: a resource policy names who it applies to.");
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// True when an Allow statement without a Condition grants access to everyone: Principal "*",
    /// {"AWS": "*"} or a list containing "*".
    /// </summary>
    public static bool IsPublic(string policy)
    {
        using var document = JsonDocument.Parse(policy);
        if (!document.RootElement.TryGetProperty("Statement", out var statements))
        {
            return false;
        }

        var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
        foreach (var statement in list)
        {
            if (statement.ValueKind != JsonValueKind.Object
                || !statement.TryGetProperty("Effect", out var effect) || effect.GetString() != "Allow"
                || statement.TryGetProperty("Condition", out _))
            {
                continue;
            }

            if (statement.TryGetProperty("NotPrincipal", out _))
            {
                return true;
            }

            if (statement.TryGetProperty("Principal", out var principal) && IsWildcard(principal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWildcard(JsonElement principal) => principal.ValueKind switch
    {
        JsonValueKind.String => principal.GetString() == "*",
        JsonValueKind.Array => principal.EnumerateArray().Any(IsWildcard),
        JsonValueKind.Object => principal.EnumerateObject().Any(p => IsWildcard(p.Value)),
        _ => false,
    };
}
