using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Strongroom.Tests;

/// <summary>
/// Looks for a root key in files without knowing it: every 32-byte window of every file (raw, and decoded from each
/// base64 or hex run) is hashed as <c>RootKey.Fingerprint</c> does and compared with the key's fingerprint.
/// </summary>
internal static partial class KeyMaterialScan
{
    public static IReadOnlyList<string> FilesHolding(string directory, string fingerprint)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            if (Holds(bytes, fingerprint))
            {
                found.Add(file);
                continue;
            }

            var text = Encoding.Latin1.GetString(bytes);
            foreach (Match match in Base64Run().Matches(text))
            {
                var decoded = TryBase64(match.Value);
                if (decoded is not null && Holds(decoded, fingerprint))
                {
                    found.Add(file);
                    break;
                }
            }

            foreach (Match match in HexRun().Matches(text))
            {
                if (Holds(Convert.FromHexString(match.Value.Length % 2 == 0 ? match.Value : match.Value[..^1]), fingerprint))
                {
                    found.Add(file);
                    break;
                }
            }
        }

        return found;
    }

    private static byte[]? TryBase64(string value)
    {
        var trimmed = value[..(value.Length / 4 * 4)];
        try
        {
            return Convert.FromBase64String(trimmed);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool Holds(byte[] bytes, string fingerprint)
    {
        var input = new byte[48];
        "strongroom-root\0"u8.CopyTo(input);
        var expected = Convert.FromHexString(fingerprint);
        Span<byte> hash = stackalloc byte[32];
        for (var i = 0; i + 32 <= bytes.Length; i++)
        {
            bytes.AsSpan(i, 32).CopyTo(input.AsSpan(16));
            SHA256.HashData(input, hash);
            if (hash[..8].SequenceEqual(expected))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex("[A-Za-z0-9+/]{43,}={0,2}")]
    private static partial Regex Base64Run();

    [GeneratedRegex("[0-9a-fA-F]{64,}")]
    private static partial Regex HexRun();
}
