using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>--storage and --postgres for the operator commands that read the store (same settings as the server's).</summary>
internal sealed class StorageFlags(StrongroomSettings settings)
{
    public Option<string> Storage { get; } = new("--storage") { Description = "sqlite (default) or postgres. Env STRONGROOM_STORAGE.", DefaultValueFactory = _ => settings.Get("storage", "sqlite")! };

    // Its setting is read where it is used, not as a default: --help prints defaults, and a connection string may hold a password.
    public Option<string?> Postgres { get; } = new("--postgres") { Description = "For --storage postgres: the connection string. Env STRONGROOM_POSTGRES. Default: none." };

    public void AddTo(Command command)
    {
        command.Options.Add(Storage);
        command.Options.Add(Postgres);
    }

    /// <summary>The connection string with PostgreSQL storage, null with SQLite.</summary>
    /// <exception cref="InvalidOperationException">when the two settings do not fit together (the message never shows the string).</exception>
    public string? Read(ParseResult result)
    {
        var options = new ServerOptions { Storage = result.GetValue(Storage)!, Postgres = result.GetValue(Postgres) ?? settings.Get("postgres", null) };
        var problem = options.Validate().FirstOrDefault(p => p.Contains("--storage", StringComparison.Ordinal) || p.Contains("--postgres", StringComparison.Ordinal));
        return problem is null ? options.PostgresConnection : throw new InvalidOperationException(problem);
    }
}
