using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Core.Audit;

/// <summary>
/// The hash chain: hash(n) = SHA-256(hash(n-1) || seq(n) as 8 bytes big-endian || UTF-8 record(n)), with
/// hash(0) = 32 zero bytes. Editing, removing, inserting or reordering a record breaks every later link.
/// </summary>
public static class AuditChain
{
    public static readonly byte[] Genesis = new byte[32];

    public static byte[] Link(ReadOnlySpan<byte> previous, long seq, string record)
    {
        var recordBytes = Encoding.UTF8.GetBytes(record);
        var input = new byte[32 + 8 + recordBytes.Length];
        previous.CopyTo(input);
        BinaryPrimitives.WriteInt64BigEndian(input.AsSpan(32, 8), seq);
        recordBytes.CopyTo(input, 40);
        return SHA256.HashData(input);
    }
}
