using System.Text.Json;

namespace Strongroom.Core.Policies;

/// <summary>A policy document that failed to parse; <see cref="Line"/> and <see cref="Column"/> locate the problem (1-based).</summary>
public sealed class PolicySyntaxException : Exception
{
    public PolicySyntaxException()
    {
    }

    public PolicySyntaxException(string message)
        : base(message)
    {
    }

    public PolicySyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PolicySyntaxException(string message, long line, long column)
        : base(message)
    {
        Line = line;
        Column = column;
    }

    public long Line { get; }

    public long Column { get; }
}

/// <summary>One condition: operator (with its IfExists / ForAllValues: / ForAnyValue: forms), key, and values.</summary>
public sealed record PolicyCondition(string Operator, string Key, IReadOnlyList<string> Values);

/// <summary>A parsed statement. Null lists mean the element is absent.</summary>
public sealed record PolicyStatement(
    string? Sid,
    bool Allow,
    IReadOnlyList<string>? Actions,
    IReadOnlyList<string>? NotActions,
    IReadOnlyList<string>? Resources,
    IReadOnlyList<string>? NotResources,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Principals,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? NotPrincipals,
    IReadOnlyList<PolicyCondition> Conditions,
    int Index);

/// <summary>
/// A compiled IAM policy document (immutable, thread-safe to share). Parse once and cache: evaluation then
/// costs no JSON work. Version "2008-10-17" disables policy variables, as in AWS.
/// </summary>
public sealed class PolicyDocument
{
    private PolicyDocument(string? id, string version, IReadOnlyList<PolicyStatement> statements)
    {
        Id = id;
        Version = version;
        Statements = statements;
    }

    public string? Id { get; }

    public string Version { get; }

    public IReadOnlyList<PolicyStatement> Statements { get; }

    public bool VariablesEnabled => Version == "2012-10-17";

    /// <summary>Parses a policy. Throws <see cref="PolicySyntaxException"/> naming the line and column of the problem.</summary>
    public static PolicyDocument Parse(string json, bool requirePrincipal = false)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new PolicySyntaxException($"The policy is not valid JSON: {e.Message}", (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1);
        }
        catch (ArgumentException)
        {
            // The text itself holds an unpaired surrogate (it cannot be encoded as UTF-8).
            throw new PolicySyntaxException("The policy is not valid JSON: it holds an unpaired surrogate.", 1, 1);
        }

        try
        {
            return Parse(json, document, requirePrincipal);
        }
        catch (InvalidOperationException)
        {
            // A string element decodes to invalid UTF-16 (an unpaired surrogate escape such as "\ud800").
            throw new PolicySyntaxException("The policy is not valid JSON: a string holds an unpaired surrogate escape.", 1, 1);
        }
    }

    private static PolicyDocument Parse(string json, JsonDocument document, bool requirePrincipal)
    {
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Syntax(json, "The policy must be a JSON object.", "{");
            }

            var version = "2008-10-17";
            string? id = null;
            JsonElement? statementElement = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "Version":
                        version = property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is "2012-10-17" or "2008-10-17"
                            ? property.Value.GetString()!
                            : throw Syntax(json, "Version must be \"2012-10-17\" or \"2008-10-17\".", "\"Version\"");
                        break;
                    case "Id":
                        id = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw Syntax(json, "Id must be a string.", "\"Id\"");
                        break;
                    case "Statement":
                        statementElement = property.Value;
                        break;
                    default:
                        throw Syntax(json, $"Unknown policy element {property.Name}.", "\"" + property.Name + "\"");
                }
            }

            if (statementElement is not { } statements)
            {
                throw Syntax(json, "The policy has no Statement.", "{");
            }

            var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
            if (list.Count == 0)
            {
                throw Syntax(json, "The Statement list is empty.", "\"Statement\"");
            }

            var parsed = new List<PolicyStatement>(list.Count);
            for (var i = 0; i < list.Count; i++)
            {
                parsed.Add(ParseStatement(json, list[i], i, requirePrincipal));
            }

            return new PolicyDocument(id, version, parsed);
        }
    }

    private static PolicyStatement ParseStatement(string json, JsonElement element, int index, bool requirePrincipal)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Syntax(json, $"Statement {index + 1} must be a JSON object.", "\"Statement\"");
        }

        string? sid = null;
        bool? allow = null;
        IReadOnlyList<string>? actions = null, notActions = null, resources = null, notResources = null;
        IReadOnlyDictionary<string, IReadOnlyList<string>>? principals = null, notPrincipals = null;
        var conditions = new List<PolicyCondition>();
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "Sid":
                    sid = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw Syntax(json, "Sid must be a string.", "\"Sid\"");
                    break;
                case "Effect":
                    allow = (property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null) switch
                    {
                        "Allow" => true,
                        "Deny" => false,
                        _ => throw Syntax(json, $"Statement {index + 1}: Effect must be \"Allow\" or \"Deny\".", "\"Effect\""),
                    };
                    break;
                case "Action":
                    actions = Strings(json, property.Value, "Action");
                    break;
                case "NotAction":
                    notActions = Strings(json, property.Value, "NotAction");
                    break;
                case "Resource":
                    resources = Strings(json, property.Value, "Resource");
                    break;
                case "NotResource":
                    notResources = Strings(json, property.Value, "NotResource");
                    break;
                case "Principal":
                    principals = PrincipalMap(json, property.Value, "Principal");
                    break;
                case "NotPrincipal":
                    notPrincipals = PrincipalMap(json, property.Value, "NotPrincipal");
                    break;
                case "Condition":
                    conditions.AddRange(Conditions(json, property.Value));
                    break;
                default:
                    throw Syntax(json, $"Statement {index + 1}: unknown element {property.Name}.", "\"" + property.Name + "\"");
            }
        }

        if (allow is null)
        {
            throw Syntax(json, $"Statement {index + 1} has no Effect.", "\"Statement\"");
        }

        if ((actions is null) == (notActions is null))
        {
            throw Syntax(json, $"Statement {index + 1} needs exactly one of Action or NotAction.", "\"Statement\"");
        }

        if (principals is not null && notPrincipals is not null)
        {
            throw Syntax(json, $"Statement {index + 1} can't have both Principal and NotPrincipal.", "\"NotPrincipal\"");
        }

        if (resources is not null && notResources is not null)
        {
            throw Syntax(json, $"Statement {index + 1} can't have both Resource and NotResource.", "\"NotResource\"");
        }

        if (requirePrincipal && principals is null && notPrincipals is null)
        {
            throw Syntax(json, $"Statement {index + 1} needs a Principal: a resource policy names who it applies to.", "\"Statement\"");
        }

        return new PolicyStatement(sid, allow.Value, actions, notActions, resources, notResources, principals, notPrincipals, conditions, index);
    }

    private static List<string> Strings(string json, JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) => value.EnumerateArray().Select(v => v.GetString()!).ToList(),
        _ => throw Syntax(json, $"{name} must be a string or a list of strings.", "\"" + name + "\""),
    };

    private static Dictionary<string, IReadOnlyList<string>> PrincipalMap(string json, JsonElement value, string name)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString() == "*" ? new Dictionary<string, IReadOnlyList<string>> { ["*"] = ["*"] } : throw Syntax(json, $"{name} must be \"*\" or an object such as {{\"AWS\": \"arn\"}}.", "\"" + name + "\"");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Syntax(json, $"{name} must be \"*\" or an object such as {{\"AWS\": \"arn\"}}.", "\"" + name + "\"");
        }

        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            map[property.Name] = Strings(json, property.Value, name);
        }

        return map;
    }

    private static IEnumerable<PolicyCondition> Conditions(string json, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Syntax(json, "Condition must be an object of operators.", "\"Condition\"");
        }

        foreach (var op in value.EnumerateObject())
        {
            if (!PolicyEvaluator.IsKnownOperator(op.Name))
            {
                throw Syntax(json, $"Unknown condition operator {op.Name}.", "\"" + op.Name + "\"");
            }

            if (op.Value.ValueKind != JsonValueKind.Object)
            {
                throw Syntax(json, $"Condition operator {op.Name} must map keys to values.", "\"" + op.Name + "\"");
            }

            foreach (var key in op.Value.EnumerateObject())
            {
                var values = key.Value.ValueKind switch
                {
                    JsonValueKind.String => [key.Value.GetString()!],
                    JsonValueKind.True => ["true"],
                    JsonValueKind.False => ["false"],
                    JsonValueKind.Number => [key.Value.GetRawText()],
                    JsonValueKind.Array => key.Value.EnumerateArray().Select(v => v.ValueKind switch
                    {
                        JsonValueKind.String => v.GetString()!,
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Number => v.GetRawText(),
                        _ => throw Syntax(json, $"Condition values of {key.Name} must be strings, numbers or booleans.", "\"" + key.Name + "\""),
                    }).ToList(),
                    _ => throw Syntax(json, $"Condition values of {key.Name} must be strings, numbers or booleans.", "\"" + key.Name + "\""),
                };
                yield return new PolicyCondition(op.Name, key.Name, values);
            }
        }
    }

    /// <summary>A syntax error located at the first occurrence of <paramref name="near"/> in the text.</summary>
    private static PolicySyntaxException Syntax(string json, string message, string near)
    {
        var offset = Math.Max(0, json.IndexOf(near, StringComparison.Ordinal));
        var line = 1 + json.AsSpan(0, offset).Count('\n');
        var column = offset - json.LastIndexOf('\n', Math.Max(0, offset - 1));
        return new PolicySyntaxException(message, line, Math.Max(1, column));
    }
}
