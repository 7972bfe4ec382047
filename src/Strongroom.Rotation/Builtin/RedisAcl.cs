using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// Redis ACL text: password hashes as ACL SETUSER takes them, and the rules of one ACL LIST line. Pure functions.
/// </summary>
internal static class RedisAcl
{
    /// <summary>
    /// The form in which Redis stores and compares passwords (lowercase hex SHA-256 of the UTF-8 bytes): ACL SETUSER
    /// takes it as <c>#hash</c> to add a password and <c>!hash</c> to remove one, so the plaintext is never sent.
    /// </summary>
    public static string PasswordHash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
    }

    /// <summary>
    /// The rules of <paramref name="username"/> from ACL LIST's answer (lines "user NAME rule rule (selector) …"),
    /// without its passwords (<c>#hash</c>, <c>nopass</c>), each selector kept as one rule; null when the user has no line.
    /// </summary>
    public static IReadOnlyList<string>? RulesOf(IEnumerable<string> aclList, string username)
    {
        ArgumentNullException.ThrowIfNull(aclList);
        string prefix = $"user {username} ";
        foreach (string line in aclList)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return [.. Tokenize(line[prefix.Length..]).Where(r => !r.StartsWith('#') && r != "nopass")];
            }
        }

        return null;
    }

    /// <summary>Splits rule text on spaces, except inside a selector's parentheses.</summary>
    public static IReadOnlyList<string> Tokenize(string rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var tokens = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        foreach (char c in rules)
        {
            if (c == ' ' && depth == 0)
            {
                if (current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                }

                continue;
            }

            depth += c switch { '(' => 1, ')' when depth > 0 => -1, _ => 0 };
            current.Append(c);
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }

    /// <summary>The password hashes ACL GETUSER reports for a user (its "passwords" member).</summary>
    public static IReadOnlyList<string> PasswordHashes(StackExchange.Redis.RedisResult getUser)
    {
        ArgumentNullException.ThrowIfNull(getUser);
        if (getUser.IsNull || getUser.Resp2Type != StackExchange.Redis.ResultType.Array)
        {
            return [];
        }

        var items = (StackExchange.Redis.RedisResult[])getUser!;
        for (int i = 0; i + 1 < items.Length; i += 2)
        {
            if ((string?)items[i] == "passwords" && !items[i + 1].IsNull)
            {
                return [.. ((StackExchange.Redis.RedisResult[])items[i + 1]!).Select(r => (string?)r ?? string.Empty)];
            }
        }

        return [];
    }
}
