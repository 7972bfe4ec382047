using System.Security.Cryptography;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Audit;

/// <summary>
/// The ECDSA P-256 key that signs audit digests. Its private half is stored wrapped by the root key; its
/// public half is published (setting <see cref="PublicKeySetting"/>, `strongroom audit public-key`) so anyone
/// can verify the trail without holding a secret. Thread-safe.
/// </summary>
public sealed class AuditSigner : IDisposable
{
    public const string PublicKeySetting = "audit_public_key";
    private const string WrappedName = "audit-signing-key";
    private readonly ECDsa _key;

    private AuditSigner(ECDsa key, string publicKeyPem)
    {
        _key = key;
        PublicKeyPem = publicKeyPem;
    }

    public string PublicKeyPem { get; }

    public static async Task<AuditSigner> LoadOrCreateAsync(IUnitOfWork store, RootWrap root, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(root);
        return await store.WriteAsync(async tx =>
        {
            var wrapped = await tx.GetRootWrappedAsync(WrappedName, ct);
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            if (wrapped is null)
            {
                var pkcs8 = key.ExportPkcs8PrivateKey();
                try
                {
                    await tx.PutRootWrappedAsync(WrappedName, await root.WrapAsync(tx, pkcs8, "named:" + WrappedName, ct), ct);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pkcs8);
                }

                await tx.SetSettingAsync(PublicKeySetting, key.ExportSubjectPublicKeyInfoPem(), ct);
            }
            else
            {
                var pkcs8 = await root.UnwrapAsync(tx, wrapped, "named:" + WrappedName, ct);
                try
                {
                    key.ImportPkcs8PrivateKey(pkcs8, out _);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pkcs8);
                }
            }

            return new AuditSigner(key, key.ExportSubjectPublicKeyInfoPem());
        }, ct);
    }

    public byte[] Sign(byte[] payload) => _key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static bool Verify(string publicKeyPem, byte[] payload, byte[] signature)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        return key.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public void Dispose() => _key.Dispose();
}
