using System.Security.Cryptography;

namespace Strongroom.Core.Identity;

/// <summary>Unique ids of IAM entities and access keys (prefix and 16 base-32 characters), and the alphabet of secret access keys.</summary>
internal static class IamIds
{
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    internal const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    internal static string NewId(string prefix)
    {
        var chars = new char[16];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = IdAlphabet[RandomNumberGenerator.GetInt32(IdAlphabet.Length)];
        }

        return prefix + new string(chars);
    }
}
