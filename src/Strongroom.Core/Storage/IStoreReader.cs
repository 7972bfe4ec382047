namespace Strongroom.Core.Storage;

/// <summary>
/// Reads shared by the store and its write transactions: the reads of every aggregate, composed. Records returned are
/// fresh copies. A use case that reads one aggregate depends on that aggregate's reader, not on this.
/// </summary>
public interface IStoreReader : ISettingsReader, ISecretReader, IKmsKeyReader, IIamReader, IParameterReader;
