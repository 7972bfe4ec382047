namespace Strongroom.Core.Storage;

/// <summary>Settings: named values of the store (schema version, cluster state …).</summary>
public interface ISettingsReader
{
    Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken);
}
