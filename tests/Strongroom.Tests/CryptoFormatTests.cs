using System.Text;
using Strongroom.Crypto;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Golden tests: these blobs were produced by an independent implementation of the documented formats
/// (Python's cryptography AESGCM following docs/formats/ciphertext.md). If one fails, the format changed:
/// add a new format version instead of changing the expected bytes.
/// </summary>
public sealed class CryptoFormatTests
{
    private const string Context = "{\"SecretARN\":\"arn:aws:secretsmanager:us-east-1:111122223333:secret:golden-AbCdEf\",\"SecretVersionId\":\"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\"}";
    private const string KmsBlobHex = "53524b011111111122223333444455555555555500000007000102030405060708090a0b6df2b87b5a55d795f6773415b892775ed191a3346c78c7aca78218eac835592299260f26ca2acccb75f1c706e0688c84";
    private const string EnvelopeHex = "5352560101005453524b011111111122223333444455555555555500000007000102030405060708090a0b6df2b87b5a55d795f6773415b892775ed191a3346c78c7aca78218eac835592299260f26ca2acccb75f1c706e0688c840c0d0e0f101112131415161783211a91662a9773cbf26c6251965d3005f60cd8383d3ab06f404b26abfe8478c3c963e053520a98d76fe2de54920f";
    private const string WrappedKeyHex = "5352570118191a1b1c1d1e1f2021222332ffc40535d9e2edea8a7aadec85706e6bcdfbffd1dcb080c62e5392fef64f33061032666fc74910d8a72a839d3db0d8";
    private const string Binding = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555#7";

    private static byte[] Range(int start, int count) => Enumerable.Range(start, count).Select(i => (byte)i).ToArray();

    private static readonly byte[] KeyMaterial = Range(1, 32);
    private static readonly byte[] DataKey = Range(0xa0, 32);
    private static readonly byte[] Root = Range(0x40, 32);

    [Fact]
    public void CanonicalContext_SecretVersion_MatchesGolden()
    {
        var arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:golden-AbCdEf";
        var version = "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1";
        Assert.Equal(Context, Encoding.UTF8.GetString(EncryptionContext.ForSecretVersion(arn, version)));
        Assert.Equal(Context, Encoding.UTF8.GetString(EncryptionContext.Canonical(new Dictionary<string, string> { ["SecretVersionId"] = version, ["SecretARN"] = arn })));
    }

    [Fact]
    public void CanonicalContext_SecretVersion_ReusedWriterGivesEachCallItsOwnBytes()
    {
        // The writer is reused per thread: a long name, a short one, then the golden one again, each exact.
        var longArn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:" + new string('n', 5000) + "-AbCdEf";
        foreach (var (arn, version) in new[] { (longArn, "v-long"), ("arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf", "v\"é"), ("arn:aws:secretsmanager:us-east-1:111122223333:secret:golden-AbCdEf", "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1") })
        {
            var expected = EncryptionContext.Canonical(new Dictionary<string, string> { ["SecretVersionId"] = version, ["SecretARN"] = arn });
            Assert.Equal(expected, EncryptionContext.ForSecretVersion(arn, version));
        }

        Assert.Equal(Context, Encoding.UTF8.GetString(EncryptionContext.ForSecretVersion("arn:aws:secretsmanager:us-east-1:111122223333:secret:golden-AbCdEf", "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1")));
    }

    [Fact]
    public void KmsCiphertextBlob_Golden_OpensAndNamesKey()
    {
        var blob = Convert.FromHexString(KmsBlobHex);
        var (keyId, version) = KmsCiphertextBlob.ReadHeader(blob);
        Assert.Equal(Guid.Parse("11111111-2222-3333-4444-555555555555"), keyId);
        Assert.Equal(7u, version);
        Assert.Equal(DataKey, KmsCiphertextBlob.Open(blob, KeyMaterial, Encoding.UTF8.GetBytes(Context)));
    }

    [Fact]
    public void SecretEnvelope_Golden_Opens()
    {
        var envelope = Convert.FromHexString(EnvelopeHex);
        var (kind, wrapped) = SecretEnvelope.ReadHeader(envelope);
        Assert.Equal(1, kind);
        Assert.Equal(KmsBlobHex, Convert.ToHexStringLower(wrapped.Span));
        var plaintext = SecretEnvelope.Open(envelope, DataKey, Encoding.UTF8.GetBytes(Context));
        Assert.Equal("{\"password\":\"golden-plaintext\"}", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void WrappedKey_Golden_Unwraps()
    {
        using var root = new RootKey(Root);
        Assert.Equal(KeyMaterial, WrappedKey.Unwrap(root, Convert.FromHexString(WrappedKeyHex), Binding));
    }

    [Fact]
    public void KmsCiphertextBlob_EveryFlippedByte_FailsWithOneErrorType()
    {
        var blob = Convert.FromHexString(KmsBlobHex);
        for (var i = 0; i < blob.Length; i++)
        {
            var copy = (byte[])blob.Clone();
            copy[i] ^= 0x01;
            Assert.Throws<CryptoFailureException>(() => KmsCiphertextBlob.Open(copy, KeyMaterial, Encoding.UTF8.GetBytes(Context)));
        }
    }

    [Fact]
    public void SecretEnvelope_EveryFlippedByteAfterKey_Fails()
    {
        var envelope = Convert.FromHexString(EnvelopeHex);
        for (var i = 0; i < envelope.Length; i++)
        {
            if (i is >= 7 and < 7 + 84)
            {
                continue; // the wrapped data key is authenticated by its own blob (previous test)
            }

            var copy = (byte[])envelope.Clone();
            copy[i] ^= 0x80;
            Assert.ThrowsAny<Exception>(() => SecretEnvelope.Open(copy, DataKey, Encoding.UTF8.GetBytes(Context)));
        }
    }

    [Fact]
    public void SecretEnvelope_OtherContext_Fails()
    {
        var other = EncryptionContext.ForSecretVersion("arn:aws:secretsmanager:us-east-1:111122223333:secret:golden-XXXXXX", "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1");
        Assert.Throws<CryptoFailureException>(() => SecretEnvelope.Open(Convert.FromHexString(EnvelopeHex), DataKey, other));
        Assert.Throws<CryptoFailureException>(() => KmsCiphertextBlob.Open(Convert.FromHexString(KmsBlobHex), KeyMaterial, other));
    }

    [Fact]
    public void WrappedKey_OtherBinding_Fails()
    {
        using var root = new RootKey(Root);
        Assert.Throws<CryptoFailureException>(() => WrappedKey.Unwrap(root, Convert.FromHexString(WrappedKeyHex), Binding.Replace("#7", "#8", StringComparison.Ordinal)));
    }

    [Fact]
    public void Seal_Roundtrip_UsesFreshNonces()
    {
        var context = Encoding.UTF8.GetBytes(Context);
        var a = KmsCiphertextBlob.Seal(Guid.NewGuid(), 1, KeyMaterial, DataKey, context);
        var b = KmsCiphertextBlob.Seal(Guid.NewGuid(), 1, KeyMaterial, DataKey, context);
        Assert.NotEqual(a.AsSpan(24, 12).ToArray(), b.AsSpan(24, 12).ToArray());
        Assert.Equal(DataKey, KmsCiphertextBlob.Open(a, KeyMaterial, context));
    }

    [Fact]
    public void FileRootKeyProvider_CreatesMode0600_AndReloads()
    {
        var dir = Directory.CreateTempSubdirectory("sr-rootkey-").FullName;
        try
        {
            var provider = new FileRootKeyProvider(Path.Combine(dir, "root.key"));
            using var created = provider.Create();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(provider.Path));
            using var loaded = provider.Load();
            Assert.Equal(created.Fingerprint(), loaded.Fingerprint());
            File.WriteAllText(provider.Path, "garbage\n");
            var error = Assert.Throws<RootKeyUnavailableException>(provider.Load);
            Assert.Contains(provider.Path, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // Row integrity tags (docs/formats/record-mac.md): HMAC-SHA256 under HKDF-SHA256(root, info "strongroom/record-mac/v1"),
    // over the length-prefixed content; vectors from Python's cryptography HKDF and hmac.
    private const string EntityContentHex = "5352524543310000000a69616d2d656e74697479000000047573657200000005616c696365000000267b224e616d65223a22616c696365222c22557365724964223a2241494441474f4c44454e227d";
    private const string EntityMacHex = "0144a3cdab6e42c6631e42ba0891bd3cb86b77bc4edb2aab995058c9609b591a5c";
    private const string AccessKeyMacHex = "01f519279ee3cbb92eb2d6c160c9c5ff926a2eb8b95d1208915e2978b9372fb929";

    [Fact]
    public void RecordMac_IamEntity_MatchesGolden()
    {
        using var root = new RootKey(Root);
        var content = Core.Identity.IamRecords.EntityContent("user", "alice", "{\"Name\":\"alice\",\"UserId\":\"AIDAGOLDEN\"}");
        Assert.Equal(EntityContentHex, Convert.ToHexStringLower(content));
        Assert.Equal(EntityMacHex, Convert.ToHexStringLower(RecordMac.Compute(root, content)));
        Assert.True(RecordMac.Verify(root, content, Convert.FromHexString(EntityMacHex)));
    }

    [Fact]
    public void RecordMac_AccessKey_MatchesGolden()
    {
        using var root = new RootKey(Root);
        var key = new Core.Identity.AccessKeyRecord
        {
            AccessKeyId = "AKIAGOLDENKEY0000001", WrappedSecret = [1, 2, 3], PrincipalArn = "arn:aws:iam::111122223333:user/alice", UserName = "alice",
            Status = "Active", CreatedDate = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), PrincipalId = "AIDAGOLDEN",
        };
        Assert.Equal(AccessKeyMacHex, Convert.ToHexStringLower(RecordMac.Compute(root, Core.Identity.IamRecords.AccessKeyContent(key))));
        Assert.Equal("access-key:AKIAGOLDENKEY0000001\nAIDAGOLDEN\narn:aws:iam::111122223333:user/alice", Core.Identity.IamRecords.AccessKeyBinding(key.AccessKeyId, key.PrincipalId, key.PrincipalArn));
        Assert.Equal("access-key:AKIAGOLDENKEY0000001", Core.Identity.IamRecords.AccessKeyBinding(key.AccessKeyId, null, key.PrincipalArn));
    }

    [Fact]
    public void RecordMac_AnyChange_FailsToVerify()
    {
        using var root = new RootKey(Root);
        using var other = new RootKey(Range(0x41, 32));
        var content = Core.Identity.IamRecords.EntityContent("user", "alice", "{}");
        var mac = RecordMac.Compute(root, content);
        Assert.True(RecordMac.Verify(root, content, mac));
        Assert.False(RecordMac.Verify(other, content, mac));
        Assert.False(RecordMac.Verify(root, Core.Identity.IamRecords.EntityContent("user", "alicf", "{}"), mac));
        // Moving a row to another name or kind, or shifting a field boundary, changes the content.
        Assert.False(RecordMac.Verify(root, Core.Identity.IamRecords.EntityContent("group", "alice", "{}"), mac));
        Assert.NotEqual(Core.Identity.IamRecords.EntityContent("user", "ab", "c"), Core.Identity.IamRecords.EntityContent("user", "a", "bc"));
        for (var i = 0; i < mac.Length; i++)
        {
            var flipped = (byte[])mac.Clone();
            flipped[i] ^= 0x01;
            Assert.False(RecordMac.Verify(root, content, flipped));
        }

        Assert.False(RecordMac.Verify(root, content, mac.AsSpan(0, 32)));
        Assert.False(RecordMac.Verify(root, content, []));
    }
}
