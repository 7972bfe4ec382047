using System.Globalization;
using System.Text;
using Strongroom.Core.Errors;

namespace Strongroom.Core.Secrets;

/// <summary>The model constraints botocore does not check (max lengths, ranges, patterns), in AWS's wording.</summary>
internal static class Validate
{
    public static void Length(string? value, string member, int min, int max)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length < min)
        {
            throw DomainException.Constraint(member, Shown(value), $"Member must have length greater than or equal to {min}");
        }

        if (value.Length > max)
        {
            throw DomainException.Constraint(member, Shown(value), $"Member must have length less than or equal to {max}");
        }
    }

    public static void Range(long? value, string member, long min, long max)
    {
        if (value is null)
        {
            return;
        }

        if (value < min)
        {
            throw DomainException.Constraint(member, value.Value.ToString(CultureInfo.InvariantCulture), $"Member must have value greater than or equal to {min}");
        }

        if (value > max)
        {
            throw DomainException.Constraint(member, value.Value.ToString(CultureInfo.InvariantCulture), $"Member must have value less than or equal to {max}");
        }
    }

    public static void Enum(string? value, string member, params string[] allowed)
    {
        if (value is not null && Array.IndexOf(allowed, value) < 0)
        {
            throw DomainException.Constraint(member, Shown(value), $"Member must satisfy enum value set: [{string.Join(", ", allowed)}]");
        }
    }

    public static void Token(string? token)
    {
        Length(token, "clientRequestToken", 32, 64);
    }

    public static void SecretId(string secretId) => Length(secretId, "secretId", 1, 2048);

    public static void VersionId(string? versionId, string member) => Length(versionId, member, 32, 64);

    /// <summary>Exactly one of string/binary when <paramref name="required"/>; at most one otherwise; sizes in bytes.</summary>
    public static bool Value(string? text, byte[]? binary, bool required)
    {
        if (text is not null && binary is not null)
        {
            throw DomainException.InvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
        }

        if (text is null && binary is null)
        {
            if (required)
            {
                throw DomainException.InvalidParameter("You must provide either SecretString or SecretBinary.");
            }

            return false;
        }

        if (text is not null)
        {
            if (text.Length == 0)
            {
                throw DomainException.Constraint("secretString", "***", "Member must have length greater than or equal to 1");
            }

            if (Encoding.UTF8.GetByteCount(text) > 65536)
            {
                throw DomainException.InvalidParameter("You have exceeded the maximum size of a secret value (65,536 bytes).");
            }
        }
        else if (binary!.Length == 0)
        {
            throw DomainException.Constraint("secretBinary", "***", "Member must have length greater than or equal to 1");
        }
        else if (binary.Length > 65536)
        {
            throw DomainException.InvalidParameter("You have exceeded the maximum size of a secret value (65,536 bytes).");
        }

        return true;
    }

    public static void Name(string name)
    {
        Length(name, "name", 1, 512);
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '+' or '=' or '.' or '@' or '-'))
            {
                throw DomainException.InvalidParameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!");
            }
        }
    }

    public static void Region(string region, string member)
    {
        Length(region, member, 1, 128);
        if (!IsRegion(region))
        {
            throw DomainException.Constraint(member, region, "Member must satisfy regular expression pattern: ^([a-z]+-)+\\d+$");
        }
    }

    /// <summary>^([a-z]+-)+\d+$</summary>
    public static bool IsRegion(string region)
    {
        var parts = region.Split('-');
        if (parts.Length < 2)
        {
            return false;
        }

        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiLetterLower))
            {
                return false;
            }
        }

        return parts[^1].Length > 0 && parts[^1].All(char.IsAsciiDigit);
    }

    public static void Tags(IReadOnlyList<SecretTag>? tags)
    {
        if (tags is null)
        {
            return;
        }

        foreach (var tag in tags)
        {
            Length(tag.Key, "tags.member.key", 1, 128);
            Length(tag.Value, "tags.member.value", 0, 256);
            if (tag.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw DomainException.InvalidParameter("Invalid tag key. The aws: prefix is reserved for AWS use.");
            }
        }

        if (tags.Count > 50)
        {
            throw DomainException.InvalidParameter("Number of tags exceeds the limit of 50 tags per secret.");
        }
    }

    public static void Stages(IReadOnlyList<string>? stages)
    {
        if (stages is null)
        {
            return;
        }

        if (stages.Count < 1 || stages.Count > 20)
        {
            throw DomainException.Constraint("versionStages", "[" + string.Join(", ", stages) + "]", stages.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 20");
        }

        foreach (var stage in stages)
        {
            Length(stage, "versionStages.member", 1, 256);
        }
    }

    private static string Shown(string value) => value.Length > 256 ? value[..256] + "..." : value;
}
