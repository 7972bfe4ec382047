using System.Globalization;
using Strongroom.Core.Errors;

namespace Strongroom.Core.Identity;

/// <summary>
/// Session tags (AssumeRole's Tags and TransitiveTagKeys, a web identity token's principal_tags): STS's limits, and
/// how they combine with a role's own tags. Pure and thread-safe.
/// </summary>
public static class SessionTags
{
    public const int MaxTags = 50;

    private static DomainException Invalid(string message) => DomainException.WithCode("ValidationError", message);

    private static bool IsTagCharacter(char c) =>
        char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
        || c is '_' or '.' or ':' or '/' or '=' or '+' or '-' or '@';

    private static void Check(string value, string member, int min, int max, string pattern)
    {
        if (value.Length < min || value.Length > max)
        {
            throw Invalid($"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have length {(value.Length < min ? "greater than or equal to " + min : "less than or equal to " + max)}");
        }

        if (!value.All(IsTagCharacter))
        {
            throw Invalid($"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}");
        }
    }

    /// <summary>
    /// Checks requested session tags and transitive keys: at most 50 of each, STS's key and value patterns, no key
    /// twice (keys are case-insensitive), and no key in the reserved aws: namespace (so a caller can't forge
    /// aws:PrincipalTag/aws:… values). Transitive keys must name tags of the request.
    /// </summary>
    public static void Validate(IReadOnlyList<IamTag>? tags, IReadOnlyList<string>? transitiveTagKeys)
    {
        tags ??= [];
        transitiveTagKeys ??= [];
        if (tags.Count > MaxTags)
        {
            throw Invalid($"1 validation error detected: Value '[{string.Join(", ", tags.Select(t => t.Key + "=" + t.Value))}]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to {MaxTags}");
        }

        if (transitiveTagKeys.Count > MaxTags)
        {
            throw Invalid($"1 validation error detected: Value '[{string.Join(", ", transitiveTagKeys)}]' at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to {MaxTags}");
        }

        for (var i = 0; i < tags.Count; i++)
        {
            Check(tags[i].Key, $"tags.{i + 1}.member.key", 1, 128, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
            Check(tags[i].Value, $"tags.{i + 1}.member.value", 0, 256, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
        }

        for (var i = 0; i < transitiveTagKeys.Count; i++)
        {
            Check(transitiveTagKeys[i], $"transitiveTagKeys.{i + 1}.member", 1, 128, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
        }

        if (tags.Any(t => t.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)))
        {
            throw Invalid("Tag keys can't begin with aws: (the prefix is reserved for AWS use).");
        }

        if (tags.Select(t => t.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count() != tags.Count)
        {
            throw Invalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
        }

        foreach (var key in transitiveTagKeys)
        {
            if (!tags.Any(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase)))
            {
                throw Invalid($"The transitive tag key {key} is not one of the session tags of the request.");
            }
        }
    }

    /// <summary>
    /// A session's principal tags: the role's tags, overridden (case-insensitively by key) by the session's tags.
    /// </summary>
    public static IReadOnlyList<IamTag> PrincipalTags(IEnumerable<IamTag> roleTags, IEnumerable<IamTag>? sessionTags)
    {
        ArgumentNullException.ThrowIfNull(roleTags);
        var merged = new List<IamTag>();
        var session = sessionTags?.ToList() ?? [];
        merged.AddRange(roleTags.Where(r => !session.Any(s => string.Equals(s.Key, r.Key, StringComparison.OrdinalIgnoreCase))));
        merged.AddRange(session);
        return merged;
    }
}
