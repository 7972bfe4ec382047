using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Strongroom.Crypto;

/// <summary>
/// Canonical bytes of a KMS-style encryption context: a JSON object with keys in ordinal order and no
/// white space. These bytes are bound as AAD, so the same pairs in any order give the same bytes.
/// </summary>
public static class EncryptionContext
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

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

    /// <summary>
    /// Canonical bytes for the two-member context Secrets Manager uses, without building a dictionary; written through
    /// this thread's reused writer (every secret read needs them), so only the returned array is allocated.
    /// </summary>
    public static byte[] ForSecretVersion(string secretArn, string versionId)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);

        // "SecretARN" sorts before "SecretVersionId" in ordinal order.
        writer.WriteStartObject();
        writer.WriteString("SecretARN"u8, secretArn);
        writer.WriteString("SecretVersionId"u8, versionId);
        writer.WriteEndObject();
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 4096)
        {
            (t_buffer, t_writer) = (null, null); // an unusually long name's buffer is not kept
        }

        return bytes;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
