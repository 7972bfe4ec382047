using System.Text;
using System.Text.Json;

namespace Strongroom.Crypto;

/// <summary>
/// Canonical bytes of a KMS-style encryption context: a JSON object with keys in ordinal order and no
/// white space. These bytes are bound as AAD, so the same pairs in any order give the same bytes.
/// </summary>
public static class EncryptionContext
{
    public static byte[] Canonical(IReadOnlyDictionary<string, string>? context)
    {
        if (context is null || context.Count == 0)
        {
            return [];
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var pair in context.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(pair.Key, pair.Value);
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Canonical bytes for the two-member context Secrets Manager uses, without building a dictionary.</summary>
    public static byte[] ForSecretVersion(string secretArn, string versionId)
    {
        // "SecretARN" sorts before "SecretVersionId" in ordinal order.
        using var stream = new MemoryStream(secretArn.Length + versionId.Length + 48);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("SecretARN"u8, secretArn);
            writer.WriteString("SecretVersionId"u8, versionId);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
