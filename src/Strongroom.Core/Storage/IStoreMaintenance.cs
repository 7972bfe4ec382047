namespace Strongroom.Core.Storage;

/// <summary>Operator-facing upkeep of the store: schema, gauges, backups.</summary>
public interface IStoreMaintenance
{
    /// <summary>Creates or migrates the schema (forward only).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Counts for operators' gauges. May scan; call at scrape time, not per request.</summary>
    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken);

    /// <summary>Writes a consistent snapshot of the whole store to <paramref name="path"/> while writes go on.</summary>
    Task BackupAsync(string path, CancellationToken cancellationToken);
}
