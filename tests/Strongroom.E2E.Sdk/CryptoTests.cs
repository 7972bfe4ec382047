using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>Encrypt, Decrypt, GenerateDataKey*, ReEncrypt, GenerateRandom (kms-api.md §2.3, §3.4, §3.5).</summary>
public sealed class CryptoTests : KmsTestBase
{
    private static Dictionary<string, string> Ctx(params string[] pairs)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < pairs.Length; i += 2)
        {
            d[pairs[i]] = pairs[i + 1];
        }

        return d;
    }

    [Fact]
    public async Task EncryptDecrypt_EveryKeyIdentifier_ReportsKeyArn()
    {
        var meta = await CreateKeyAsync();
        var alias = await CreateAliasAsync(meta.KeyId);
        var data = RandomNumberGenerator.GetBytes(100);
        foreach (var id in new[] { meta.KeyId, meta.Arn, alias, AliasArn(meta, alias) })
        {
            using var plaintext = Blob(data);
            var encrypted = await Kms.EncryptAsync(new EncryptRequest { KeyId = id, Plaintext = plaintext });
            Assert.Equal(meta.Arn, encrypted.KeyId);
            Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, encrypted.EncryptionAlgorithm);
            var blob = encrypted.CiphertextBlob.ToArray();
            Assert.InRange(blob.Length, data.Length + 1, 6144);
            var decrypted = await DecryptAsync(blob);
            Assert.Equal(data, decrypted.Plaintext.ToArray());
            Assert.Equal(meta.Arn, decrypted.KeyId);
            Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, decrypted.EncryptionAlgorithm);
            Assert.Equal(data, (await DecryptAsync(blob, keyId: id)).Plaintext.ToArray());
        }
    }

    [Fact]
    public async Task Decrypt_WithAnotherKeyId_IncorrectKey()
    {
        var meta = await CreateKeyAsync();
        var other = await CreateKeyAsync();
        var blob = await EncryptAsync(meta.KeyId, [1, 2, 3]);
        await AssertAwsErrorAsync<IncorrectKeyException>("IncorrectKeyException", () => DecryptAsync(blob, keyId: other.KeyId));
        await AssertAwsErrorAsync<IncorrectKeyException>("IncorrectKeyException", () => DecryptAsync(blob, keyId: other.Arn));
    }

    [Fact]
    public async Task Decrypt_EncryptionContextMustMatchExactly()
    {
        var meta = await CreateKeyAsync();
        var blob = await EncryptAsync(meta.Arn, [9, 9], Ctx("SecretARN", "arn:x", "purpose", "e2e"));
        Assert.Equal(new byte[] { 9, 9 }, (await DecryptAsync(blob, Ctx("purpose", "e2e", "SecretARN", "arn:x"))).Plaintext.ToArray());
        var wrong = new Dictionary<string, string>?[]
        {
            null,
            Ctx("SecretARN", "arn:x"),
            Ctx("SecretARN", "arn:x", "purpose", "e2e", "extra", "1"),
            Ctx("SecretARN", "arn:x", "purpose", "E2E"),
            Ctx("secretarn", "arn:x", "purpose", "e2e"),
        };
        foreach (var ctx in wrong)
        {
            await AssertAwsErrorAsync<InvalidCiphertextException>("InvalidCiphertextException", () => DecryptAsync(blob, ctx));
        }
    }

    [Fact]
    public async Task Decrypt_TamperedOrForeignBlob_InvalidCiphertext()
    {
        var meta = await CreateKeyAsync();
        var blob = await EncryptAsync(meta.KeyId, RandomNumberGenerator.GetBytes(64));
        var lastFlipped = (byte[])blob.Clone();
        lastFlipped[^1] ^= 1;
        var bodyFlipped = (byte[])blob.Clone();
        bodyFlipped[^40] ^= 1;
        foreach (var bad in new[] { lastFlipped, bodyFlipped, blob[..^1], RandomNumberGenerator.GetBytes(blob.Length) })
        {
            await AssertAwsErrorAsync<InvalidCiphertextException>("InvalidCiphertextException", () => DecryptAsync(bad));
        }
    }

    [Fact]
    public async Task Encrypt_PlaintextLimits_4096OkAnd4097Rejected()
    {
        var meta = await CreateKeyAsync();
        var max = RandomNumberGenerator.GetBytes(4096);
        var blob = await EncryptAsync(meta.KeyId, max);
        Assert.True(blob.Length <= 6144);
        Assert.Equal(max, (await DecryptAsync(blob)).Plaintext.ToArray());
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => EncryptAsync(meta.KeyId, RandomNumberGenerator.GetBytes(4097)));
    }

    [Fact]
    public async Task Encrypt_UnknownKey_NotFound()
    {
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException", () => EncryptAsync(Guid.NewGuid().ToString(), [1]));
        await AssertAwsErrorAsync<NotFoundException>("NotFoundException", () => EncryptAsync(AliasName("missing"), [1]));
    }

    [Theory]
    [InlineData("AES_256", 0, 32)]
    [InlineData("AES_128", 0, 16)]
    [InlineData(null, 64, 64)]
    [InlineData(null, 1024, 1024)]
    public async Task GenerateDataKey_Sizes_BlobDecryptsToPlaintext(string? spec, int bytes, int expected)
    {
        var meta = await CreateKeyAsync();
        var ctx = Ctx("SecretVersionId", "v1");
        var request = new GenerateDataKeyRequest { KeyId = meta.KeyId, EncryptionContext = ctx };
        if (spec is not null)
        {
            request.KeySpec = new DataKeySpec(spec);
        }
        else
        {
            request.NumberOfBytes = bytes;
        }

        var key = await Kms.GenerateDataKeyAsync(request);
        Assert.Equal(meta.Arn, key.KeyId);
        Assert.Equal(expected, key.Plaintext.Length);
        var back = await DecryptAsync(key.CiphertextBlob.ToArray(), ctx);
        Assert.Equal(key.Plaintext.ToArray(), back.Plaintext.ToArray());
    }

    [Fact]
    public async Task GenerateDataKey_NeitherOrBothSizes_ValidationException()
    {
        var meta = await CreateKeyAsync();
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = meta.KeyId }));
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = meta.KeyId, KeySpec = DataKeySpec.AES_256, NumberOfBytes = 32 }));
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = meta.KeyId }));
#pragma warning disable KeyManagementService1004 // out of range on purpose: the server must say so
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = meta.KeyId, NumberOfBytes = 1025 }));
#pragma warning restore KeyManagementService1004
    }

    [Fact]
    public async Task GenerateDataKeyWithoutPlaintext_OnlyTheBlob()
    {
        var meta = await CreateKeyAsync();
        var alias = await CreateAliasAsync(meta.KeyId);
        var key = await Kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest
        {
            KeyId = alias,
            KeySpec = DataKeySpec.AES_256,
            EncryptionContext = Ctx("k", "v"),
        });
        Assert.Equal(meta.Arn, key.KeyId);
        Assert.Equal(32, (await DecryptAsync(key.CiphertextBlob.ToArray(), Ctx("k", "v"))).Plaintext.Length);
    }

    [Fact]
    public async Task ReEncrypt_ToAnotherKeyAndContext_NewBlobDecrypts()
    {
        var source = await CreateKeyAsync();
        var dest = await CreateKeyAsync();
        var blob = await EncryptAsync(source.KeyId, [7, 7, 7], Ctx("a", "1"));
        using var input = Blob(blob);
        var moved = await Kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = input,
            SourceEncryptionContext = Ctx("a", "1"),
            DestinationKeyId = dest.KeyId,
            DestinationEncryptionContext = Ctx("b", "2"),
        });
        Assert.Equal(source.Arn, moved.SourceKeyId);
        Assert.Equal(dest.Arn, moved.KeyId);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, moved.SourceEncryptionAlgorithm);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, moved.DestinationEncryptionAlgorithm);
        var newBlob = moved.CiphertextBlob.ToArray();
        var back = await DecryptAsync(newBlob, Ctx("b", "2"));
        Assert.Equal(new byte[] { 7, 7, 7 }, back.Plaintext.ToArray());
        Assert.Equal(dest.Arn, back.KeyId);
        await AssertAwsErrorAsync<InvalidCiphertextException>("InvalidCiphertextException", () => DecryptAsync(newBlob, Ctx("a", "1")));
        await AssertAwsErrorAsync<IncorrectKeyException>("IncorrectKeyException", () => DecryptAsync(newBlob, Ctx("b", "2"), source.KeyId));
    }

    [Fact]
    public async Task ReEncrypt_WrongSourceContextOrKey_Fails()
    {
        var source = await CreateKeyAsync();
        var dest = await CreateKeyAsync();
        var blob = await EncryptAsync(source.KeyId, [1], Ctx("a", "1"));
        await AssertAwsErrorAsync<InvalidCiphertextException>("InvalidCiphertextException", async () =>
        {
            using var input = Blob(blob);
            await Kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = input, DestinationKeyId = dest.KeyId });
        });
        await AssertAwsErrorAsync<IncorrectKeyException>("IncorrectKeyException", async () =>
        {
            using var input = Blob(blob);
            await Kms.ReEncryptAsync(new ReEncryptRequest
            {
                CiphertextBlob = input,
                SourceKeyId = dest.KeyId,
                SourceEncryptionContext = Ctx("a", "1"),
                DestinationKeyId = dest.KeyId,
            });
        });
    }

    [Fact]
    public async Task GenerateRandom_1To1024Bytes_1025Rejected()
    {
        foreach (var n in new[] { 1, 32, 1024 })
        {
            var random = await Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = n });
            Assert.Equal(n, random.Plaintext.Length);
        }

        var a = (await Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 32 })).Plaintext.ToArray();
        var b = (await Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 32 })).Plaintext.ToArray();
        Assert.NotEqual(a, b);
#pragma warning disable KeyManagementService1004 // out of range on purpose: the server must say so
        await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("ValidationException",
            () => Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 1025 }));
#pragma warning restore KeyManagementService1004
    }
}
