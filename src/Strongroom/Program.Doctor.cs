using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>`strongroom doctor`: checks a data directory without changing it.</summary>
public static partial class Program
{
    private static Command DoctorCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory to check. Env STRONGROOM_DATA_DIR.", DefaultValueFactory = _ => settings.Get("data-dir", "strongroom-data")! };
        var config = new Option<string?>("--config") { Description = "JSON file of settings named like the flags (data-dir, storage, postgres), e.g. /etc/strongroom/strongroom.json. Default: STRONGROOM_CONFIG, else none." };
        var command = new Command(
            "doctor",
            "Check a data directory without changing it: permissions of the directory and key files, disk space, the clock, store integrity "
            + "(PRAGMA integrity_check, or that PostgreSQL answers) and schema version, the audit chain's head. Says what to fix; exit 0 when nothing failed, 1 otherwise. "
            + "Run it as the user the server runs as (sudo -u strongroom strongroom doctor --data-dir /var/lib/strongroom).")
        { dataDir, config };
        var storage = new StorageFlags(settings);
        storage.AddTo(command);
        command.SetAction((result, ct) => Guarded(() => DoctorTool.RunAsync(result.GetValue(dataDir)!, storage.Read(result), TimeProvider.System, Console.Out, ct)));
        return command;
    }
}
