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
    /// True when the policy grants broad access: an Allow statement whose principal is a wildcard (<c>"*"</c>,
    /// <c>{"AWS": "*"}</c>, any principal value with a wildcard, or a <c>NotPrincipal</c>) and whose conditions do not
    /// narrow the caller to this account. Only a condition that no caller outside <paramref name="accountId"/> can
    /// satisfy narrows (<see cref="NarrowsToAccount"/>); any other condition (source IP, secure transport, a wildcard
    /// ARN, an IfExists or negated operator …) leaves the statement public. Statements are judged one by one: a Deny
    /// elsewhere does not make a public Allow private (stricter than AWS's reasoning engine; documented).
    /// </summary>
    public static bool IsPublic(string policy, string accountId)
    {
        using var document = JsonDocument.Parse(policy);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("Statement", out var statements))
        {
            return false;
        }

        var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
        foreach (var statement in list)
        {
            if (statement.ValueKind != JsonValueKind.Object
                || !statement.TryGetProperty("Effect", out var effect) || effect.ValueKind != JsonValueKind.String || effect.GetString() != "Allow")
            {
                continue;
            }

            var wildcard = statement.TryGetProperty("NotPrincipal", out _)
                || (statement.TryGetProperty("Principal", out var principal) && IsWildcard(principal));
            if (wildcard && !(statement.TryGetProperty("Condition", out var condition) && NarrowsToAccount(condition, accountId)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Keys whose fixed value is the caller's (or the calling service's) account.</summary>
    private static readonly HashSet<string> AccountKeys = new(StringComparer.OrdinalIgnoreCase) { "aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner" };

    /// <summary>Keys whose fixed value is an ARN naming the caller's (or the calling resource's) account.</summary>
    private static readonly HashSet<string> ArnKeys = new(StringComparer.OrdinalIgnoreCase) { "aws:PrincipalArn", "aws:SourceArn" };

    /// <summary>Organisation keys: Strongroom has no organisations, so no caller carries them and a fixed value admits no one.</summary>
    private static readonly HashSet<string> OrganisationKeys = new(StringComparer.OrdinalIgnoreCase) { "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID", "aws:SourceOrgPaths" };

    /// <summary>
    /// True when one condition of the block (conditions are ANDed, so one suffices) admits only callers of
    /// <paramref name="accountId"/>: a positive string or ARN operator (StringEquals, StringEqualsIgnoreCase,
    /// StringLike, ArnEquals, ArnLike; plain or ForAnyValue:, never IfExists, ForAllValues: or a negation — each of
    /// those passes a request without the key) on aws:PrincipalAccount, aws:SourceAccount or aws:SourceOwner whose every
    /// value is exactly the account; on aws:PrincipalArn or aws:SourceArn whose every value is an ARN whose account
    /// field is exactly the account; or on an organisation key with fixed values.
    /// </summary>
    private static bool NarrowsToAccount(JsonElement condition, string accountId)
    {
        if (condition.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var op in condition.EnumerateObject())
        {
            var name = op.Name.StartsWith("ForAnyValue:", StringComparison.Ordinal) ? op.Name["ForAnyValue:".Length..] : op.Name;
            if (name is not ("StringEquals" or "StringEqualsIgnoreCase" or "StringLike" or "ArnEquals" or "ArnLike") || op.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var entry in op.Value.EnumerateObject())
            {
                var values = entry.Value.ValueKind == JsonValueKind.Array ? entry.Value.EnumerateArray().ToList() : [entry.Value];
                if (values.Count == 0 || values.Any(v => v.ValueKind != JsonValueKind.String))
                {
                    continue;
                }

                var strings = values.Select(v => v.GetString()!).ToList();
                var narrows = AccountKeys.Contains(entry.Name) ? strings.All(v => v == accountId)
                    : ArnKeys.Contains(entry.Name) ? strings.All(v => v.Split(':') is { Length: >= 6 } parts && parts[0] == "arn" && parts[4] == accountId)
                    : OrganisationKeys.Contains(entry.Name) && strings.All(v => v.Length > 0 && v.IndexOfAny(['*', '?', '$']) < 0);
                if (narrows)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsWildcard(JsonElement principal) => principal.ValueKind switch
    {
        JsonValueKind.String => principal.GetString() is { } value && value.IndexOfAny(['*', '?']) >= 0,
        JsonValueKind.Array => principal.EnumerateArray().Any(IsWildcard),
        JsonValueKind.Object => principal.EnumerateObject().Any(p => IsWildcard(p.Value)),
        _ => false,
    };
}
