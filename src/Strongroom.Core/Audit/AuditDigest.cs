namespace Strongroom.Core.Audit;

/// <summary>A signed statement that records FromSeq..ToSeq exist and end in hash <see cref="LastHash"/>.</summary>
public sealed record AuditDigest(long FromSeq, long ToSeq, byte[] LastHash, DateTimeOffset CreatedDate, byte[] PreviousDigestHash, byte[] Signature)
{
    /// <summary>The exact bytes that are signed (format 1).</summary>
    public byte[] SignedPayload() => System.Text.Encoding.UTF8.GetBytes(
        $"strongroom-audit-digest 1\n{FromSeq}\n{ToSeq}\n{Convert.ToHexStringLower(LastHash)}\n{Convert.ToHexStringLower(PreviousDigestHash)}\n{CreatedDate.ToUnixTimeMilliseconds()}\n");

    public byte[] DigestHash() => System.Security.Cryptography.SHA256.HashData([.. SignedPayload(), .. Signature]);
}
