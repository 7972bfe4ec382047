using System.CommandLine;
using Strongroom.Configuration;

namespace Strongroom;

/// <summary>
/// The `strongroom` executable: builds the command tree (one file per command group: Program.Server.cs, Program.Admin.cs,
/// Program.Custody.cs, Program.Audit.cs, Program.Doctor.cs, FunctionCommands.cs, ExplainCommands.cs, Agent/, Run/) over the
/// settings of the config file and the STRONGROOM_* environment (<see cref="StrongroomSettings"/>) and runs it.
/// </summary>
public static partial class Program
{
    /// <summary>"strongroom VERSION (commit HASH)": the version and the commit the build embedded (InformationalVersion VERSION+HASH).</summary>
    public static string VersionText()
    {
        var informational = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        return $"strongroom {version} (commit {commit}; .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier})";
    }

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--version"])
        {
            await Console.Out.WriteLineAsync(VersionText());
            return 0;
        }

        // First parsed with no setting read (flag defaults are computed while parsing): a dev server keeps that parse and
        // never reads one; any other command is parsed again over the config file and the environment.
        var parsed = RootCommand(StrongroomSettings.None).Parse(args);
        if (parsed.Errors.Count == 0 && parsed.CommandResult.Command.Name == "server" && parsed.GetValue<bool>("--dev"))
        {
            var ignored = IgnoredByDev();
            if (ignored.Count > 0)
            {
                await Console.Error.WriteLineAsync($"strongroom: --dev ignores {string.Join(", ", ignored)}: a dev server uses only its own temporary SQLite store and file root key.");
            }

            return await parsed.InvokeAsync();
        }

        var (settings, configError) = StrongroomSettings.Load(StrongroomSettings.ConfigFile(args));
        if (settings is null)
        {
            await Console.Error.WriteLineAsync("strongroom: " + configError);
            return 2;
        }

        return await RootCommand(settings).Parse(args).InvokeAsync();
    }

    /// <summary>Every command, its flags' defaults taken from <paramref name="settings"/>.</summary>
    private static RootCommand RootCommand(StrongroomSettings settings)
    {
        var root = new RootCommand("Strongroom: a self-hosted secrets manager that speaks AWS Secrets Manager's API.");
        root.Subcommands.Add(ServerCommand(settings));
        root.Subcommands.Add(AdminCommand(settings));
        root.Subcommands.Add(AuditCommand(settings));
        root.Subcommands.Add(OperatorCommand());
        root.Subcommands.Add(BackupCommand());
        root.Subcommands.Add(DoctorCommand(settings));
        root.Subcommands.Add(FunctionCommands.FunctionCommand());
        root.Subcommands.Add(FunctionCommands.RotationCommand());
        root.Subcommands.Add(FunctionCommands.EventsCommand());
        root.Subcommands.Add(ExplainCommands.ExplainCommand());
        root.Subcommands.Add(Agent.AgentCommand.Create());
        root.Subcommands.Add(Run.RunCommand.Create());
        return root;
    }

    /// <summary>The server settings in the environment that `server --dev` leaves unread (names only: values may be secret).</summary>
    private static List<string> IgnoredByDev()
    {
        var names = SettingNames.All.Select(SettingNames.EnvironmentVariable).Append("STRONGROOM_ROOT_KEY").Append(SettingNames.ConfigVariable);
        return [.. names.Where(name => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))];
    }
}
