using Strongroom.Core.Identity;

namespace Strongroom.Core.Storage;

/// <summary>Values wrapped by the root key, inside a unit of work: named values and, for root-key rotation, every wrapped value.</summary>
public interface IRootWrappedWriter
{
    /// <summary>Every access key (users' and sessions'), by id: for root-key rotation and the upgrade at start.</summary>
    Task<IReadOnlyList<AccessKeyRecord>> ListAllAccessKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every value wrapped by the root key under a binding the store can name (KMS key material, named values), for
    /// root-key rotation. Access-key secrets are not among them: their binding names their principal, so rotation
    /// re-wraps them from <see cref="ListAllAccessKeysAsync"/>.
    /// </summary>
    Task<IReadOnlyList<RootWrappedValue>> ListRootWrappedAsync(CancellationToken cancellationToken);

    Task ReplaceRootWrappedAsync(RootWrappedValue value, byte[] wrapped, CancellationToken cancellationToken);

    /// <summary>A named value wrapped by the root key (binding "named:&lt;name&gt;"), e.g. the audit signing key.</summary>
    Task<byte[]?> GetRootWrappedAsync(string name, CancellationToken cancellationToken);

    Task PutRootWrappedAsync(string name, byte[] wrapped, CancellationToken cancellationToken);
}
