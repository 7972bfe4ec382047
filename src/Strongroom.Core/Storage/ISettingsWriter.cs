namespace Strongroom.Core.Storage;

/// <summary>Settings written inside a unit of work.</summary>
public interface ISettingsWriter : ISettingsReader
{
    Task SetSettingAsync(string key, string value, CancellationToken cancellationToken);
}
