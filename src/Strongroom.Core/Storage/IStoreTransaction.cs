namespace Strongroom.Core.Storage;

/// <summary>
/// One serialisable write transaction: the writers of every aggregate, composed. Every change made through it commits
/// together when the work passed to <see cref="IUnitOfWork.WriteAsync{T}"/> returns, or not at all when it throws. A use
/// case that writes one aggregate depends on that aggregate's writer, not on this.
/// </summary>
public interface IStoreTransaction : IStoreReader, ISettingsWriter, ISecretWriter, IKmsKeyWriter, IIamWriter, IParameterWriter,
    IRootWrappedWriter, IOutboxWriter, IRotationRunWriter;
