namespace Strongroom.Core.Storage;

/// <summary>Writes of the parameters aggregate inside a unit of work (with its reads).</summary>
public interface IParameterWriter : IParameterReader
{
    /// <summary>Writes the parameter row (latest version, labels, tags).</summary>
    Task UpsertParameterAsync(Parameters.ParameterRecord parameter, CancellationToken cancellationToken);

    Task InsertParameterVersionAsync(string region, string key, Parameters.ParameterVersionRecord version, CancellationToken cancellationToken);

    Task DeleteParameterVersionAsync(string region, string key, long version, CancellationToken cancellationToken);

    /// <summary>Deletes a parameter with every version, label and tag.</summary>
    Task DeleteParameterAsync(string region, string key, CancellationToken cancellationToken);
}
