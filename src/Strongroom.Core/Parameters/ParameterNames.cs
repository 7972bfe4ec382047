using System.Text;
using Strongroom.Core.Secrets;
using static Strongroom.Core.Parameters.ParameterErrors;

namespace Strongroom.Core.Parameters;

/// <summary>Parameter names, references ("name:selector" or an ARN), labels and page tokens.</summary>
internal static class ParameterNames
{
    internal const string ReferencePrefix = "/aws/reference/secretsmanager/";

    /// <summary>The canonical lookup key: every name with a leading slash (so /a and a are one parameter).</summary>
    public static string KeyOf(string name) => name.StartsWith('/') ? name : "/" + name;

    internal static string ValidateName(string name, bool forWrite)
    {
        Validate.Length(name, "name", 1, 2048);
        var trimmed = name.Trim();
        if (trimmed.Contains(' ', StringComparison.Ordinal) || trimmed.Length == 0 || !trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '/'))
        {
            throw Validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_");
        }

        var bare = trimmed.TrimStart('/');
        if (forWrite && (bare.StartsWith("aws", StringComparison.OrdinalIgnoreCase) || bare.StartsWith("ssm", StringComparison.OrdinalIgnoreCase)))
        {
            throw Validation($"Parameter name: can't be prefixed with \"{bare[..3].ToLowerInvariant()}\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_");
        }

        if (trimmed.Contains('/', StringComparison.Ordinal) && !trimmed.StartsWith('/'))
        {
            throw Validation("Parameter name must be a fully qualified name: a name in a hierarchy starts with a forward slash (/).");
        }

        if (trimmed.Contains("//", StringComparison.Ordinal) || (trimmed.Length > 1 && trimmed.EndsWith('/')))
        {
            throw Validation("Parameter name must not contain empty path segments or end with a slash.");
        }

        if (bare.Split('/').Length > 15)
        {
            throw Error("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels.");
        }

        return trimmed;
    }

    /// <summary>Splits "name:selector" or a parameter ARN into the name and the selector.</summary>
    internal static (string Name, string? Selector) ParseReference(string region, string reference)
    {
        var name = reference;
        if (reference.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = reference.Split(':', 6);
            if (parts.Length != 6 || parts[2] != "ssm" || parts[3] != region || !parts[5].StartsWith("parameter/", StringComparison.Ordinal))
            {
                throw Validation($"Invalid parameter ARN: {reference}");
            }

            var resource = parts[5]["parameter/".Length..];
            name = resource.Contains('/', StringComparison.Ordinal) ? "/" + resource : resource;
        }

        var colon = name.LastIndexOf(':');
        return colon < 0 ? (name, null) : (name[..colon], name[(colon + 1)..]);
    }

    internal static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes("p1:" + key));

    internal static string DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text.StartsWith("p1:", StringComparison.Ordinal) ? text[3..] : throw new FormatException();
        }
        catch (FormatException)
        {
            throw Error("InvalidNextToken", "The specified token isn't valid.");
        }
    }

    internal static bool ValidLabel(string label) =>
        label.Length is >= 1 and <= 100
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
        && !char.IsAsciiDigit(label[0])
        && !label.StartsWith("aws", StringComparison.OrdinalIgnoreCase)
        && !label.StartsWith("ssm", StringComparison.OrdinalIgnoreCase);
}
