using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Strongroom.Crypto;

namespace Strongroom.Bench.Micro;

/// <summary>
/// Opening a stored secret value: unwrap the data key (KmsCiphertextBlob.Open under cached KMS key
/// material), then decrypt the value (SecretEnvelope.Open). <see cref="OpenAsServiceDoes"/> adds what
/// SecretsService does around it: build the encryption context, decode UTF-8, zero the buffers.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private const string Arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:bench/read/00042-AbCdEf";
    private const string VersionId = "0b2c7a4e-3f1d-4c55-9a0e-6f1b2d3c4e5f";
    private byte[] _material = null!;
    private byte[] _context = null!;
    private byte[] _envelope = null!;

    [GlobalSetup]
    public void Setup()
    {
        _material = RandomNumberGenerator.GetBytes(32);
        _context = EncryptionContext.ForSecretVersion(Arn, VersionId);
        var dataKey = SecretEnvelope.NewDataKey();
        var blob = KmsCiphertextBlob.Seal(Guid.NewGuid(), 1, _material, dataKey, _context);
        _envelope = SecretEnvelope.Seal(1, blob, dataKey, Encoding.UTF8.GetBytes(Servers.SecretValue(42, "v0-")), _context);
    }

    [Benchmark(Baseline = true)]
    public byte[] Open()
    {
        var (_, wrapped) = SecretEnvelope.ReadHeader(_envelope);
        var dataKey = KmsCiphertextBlob.Open(wrapped.Span, _material, _context);
        var plaintext = SecretEnvelope.Open(_envelope, dataKey, _context);
        CryptographicOperations.ZeroMemory(dataKey);
        return plaintext;
    }

    [Benchmark]
    public string OpenAsServiceDoes()
    {
        var context = EncryptionContext.ForSecretVersion(Arn, VersionId);
        var (_, wrapped) = SecretEnvelope.ReadHeader(_envelope);
        var dataKey = KmsCiphertextBlob.Open(wrapped.Span, _material, context);
        try
        {
            var plaintext = SecretEnvelope.Open(_envelope, dataKey, context);
            var text = Encoding.UTF8.GetString(plaintext);
            CryptographicOperations.ZeroMemory(plaintext);
            return text;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}
