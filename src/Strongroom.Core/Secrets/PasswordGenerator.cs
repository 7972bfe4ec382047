using System.Security.Cryptography;
using Strongroom.Core.Errors;

namespace Strongroom.Core.Secrets;

/// <summary>
/// GetRandomPassword. Characters are drawn with <see cref="RandomNumberGenerator.GetInt32(int)"/>, which is
/// uniform (no modulo bias). When every included type is required, whole passwords that lack a type are
/// redrawn, so the result is uniform over all passwords that satisfy the rule. A space is never a required type.
/// </summary>
public static class PasswordGenerator
{
    public const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";

    public static string Generate(RandomPasswordRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.Range(request.PasswordLength, "passwordLength", 1, 4096);
        Validate.Length(request.ExcludeCharacters, "excludeCharacters", 0, 4096);
        var length = (int)(request.PasswordLength ?? 32);
        var exclude = request.ExcludeCharacters ?? string.Empty;

        // The character types: RequireEachIncludedType requires upper, lower, digit and punctuation only. A
        // space (IncludeSpace) is allowed but never required, as in AWS (length 4 with IncludeSpace works).
        var required = new List<string>();
        void Add(bool excluded, string chars)
        {
            if (!excluded)
            {
                var kept = new string(chars.Where(c => !exclude.Contains(c, StringComparison.Ordinal)).ToArray());
                if (kept.Length > 0)
                {
                    required.Add(kept);
                }
            }
        }

        Add(request.ExcludeUppercase, Upper);
        Add(request.ExcludeLowercase, Lower);
        Add(request.ExcludeNumbers, Digits);
        Add(request.ExcludePunctuation, Punctuation);
        var space = request.IncludeSpace && !exclude.Contains(' ', StringComparison.Ordinal) ? " " : string.Empty;

        if (required.Count == 0 && space.Length == 0)
        {
            throw DomainException.InvalidParameter("The password has no characters to choose from: every character type is excluded.");
        }

        var requireEach = request.RequireEachIncludedType ?? true;
        if (requireEach && length < required.Count)
        {
            throw DomainException.InvalidParameter("Password length is too short based on the required types.");
        }

        var classes = required;
        var alphabet = string.Concat(required) + space;
        var buffer = new char[length];
        for (var attempt = 0; ; attempt++)
        {
            for (var i = 0; i < length; i++)
            {
                buffer[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }

            if (!requireEach || classes.All(cls => buffer.Any(c => cls.Contains(c, StringComparison.Ordinal))))
            {
                return new string(buffer);
            }

            if (attempt > 100_000)
            {
                // Practically unreachable (needs a tiny class and a length equal to the class count); place
                // one character of each class at random positions instead of looping on.
                var positions = Enumerable.Range(0, length).OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).ToArray();
                for (var k = 0; k < classes.Count; k++)
                {
                    buffer[positions[k]] = classes[k][RandomNumberGenerator.GetInt32(classes[k].Length)];
                }

                return new string(buffer);
            }
        }
    }
}
