using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Strongroom.Configuration;

/// <summary>
/// Reads the environment with the standard provider (prefix STRONGROOM_) and keeps the known settings under their flag
/// names, so STRONGROOM_DATA_DIR and the config file's "data-dir" are one key. An empty variable counts as unset, as it
/// always has; variables that are not settings (STRONGROOM_ROOT_KEY, STRONGROOM_CONFIG, …) are not configuration keys.
/// </summary>
public sealed class StrongroomEnvironmentProvider : ConfigurationProvider
{
    /// <inheritdoc/>
    public override void Load()
    {
        var environment = new EnvironmentVariablesConfigurationProvider("STRONGROOM_");
        environment.Load();
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in SettingNames.All)
        {
            if (environment.TryGet(SettingNames.EnvironmentSuffix(name), out var value) && !string.IsNullOrEmpty(value))
            {
                data[name] = value;
            }
        }

        Data = data;
    }
}
