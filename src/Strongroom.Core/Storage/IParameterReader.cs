namespace Strongroom.Core.Storage;

/// <summary>Reads of the parameters aggregate: parameters and their retained versions.</summary>
public interface IParameterReader
{
    Task<Parameters.ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken);

    /// <summary>Parameters of a region whose key starts with <paramref name="keyPrefix"/>, in key order, after <paramref name="afterKey"/>.</summary>
    Task<IReadOnlyList<Parameters.ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken);

    /// <summary>Every retained version of a parameter, oldest first.</summary>
    Task<IReadOnlyList<Parameters.ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken);
}
