using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>`strongroom admin`: import-access-key, explain (offline), migrate-store; init and rotate-root-key are in Program.Custody.cs.</summary>
public static partial class Program
{
    private static Command AdminCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var keyId = new Option<string>("--access-key-id") { Description = "Access key id to import.", Required = true };
        var secret = new Option<string>("--secret-access-key") { Description = "Secret access key to import.", Required = true };
        var import = new Command("import-access-key", "Import an existing access key pair for the admin.") { dataDir, keyId, secret };
        var importRoot = new RootKeyFlags(settings);
        importRoot.AddTo(import);
        var importStorage = new StorageFlags(settings);
        importStorage.AddTo(import);
        import.SetAction(async (result, ct) =>
        {
            var id = result.GetValue(keyId)!;
            var key = result.GetValue(secret)!;
            if (id.Length is < 3 or > 128 || !id.All(char.IsAsciiLetterOrDigit))
            {
                await Console.Error.WriteLineAsync("strongroom: --access-key-id must be 3 to 128 letters and digits");
                return 2;
            }

            if (key.Length is < 1 or > 256)
            {
                await Console.Error.WriteLineAsync("strongroom: --secret-access-key must be 1 to 256 characters");
                return 2;
            }

            try
            {
                var postgres = importStorage.Read(result);
                await using var data = await DataDirectory.OpenAsync(result.GetValue(dataDir)!, "us-east-1", null, create: postgres is null, ct, importRoot.Read(result), postgres: postgres);
                await data.ImportAccessKeyAsync(id, key, ct);
                await Console.Out.WriteLineAsync($"Imported access key {id} for {DataDirectory.AdminArn(data.Identity.AccountId)}.");
                return 0;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or RootKeySealedException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
                return 1;
            }
        });
        return new Command("admin", "Operator tasks on a data directory.") { import, InitCommand(settings), RotateRootKeyCommand(settings), ExplainCommand(settings), MigrateStoreCommand(settings) };
    }

    private static Command MigrateStoreCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The SQLite data directory to copy (its strongroom.db). Env STRONGROOM_DATA_DIR.", DefaultValueFactory = _ => settings.Get("data-dir", "strongroom-data")! };
        // Its setting is read where it is used, not as a default: --help prints defaults, and a connection string may hold a password.
        var postgres = new Option<string?>("--postgres") { Description = "The target database's Npgsql connection string; it must be new and empty (or only initialised). Prefer STRONGROOM_POSTGRES or the config file: a flag is visible in the process list. Never shown. Default: none." };
        var verifyOnly = new Option<bool>("--verify-only") { Description = "Copy nothing: compare the data directory with the database (row counts and SHA-256 digests per table, then the audit chain). Default: off." };
        var config = new Option<string?>("--config") { Description = "JSON file of settings named like the flags (data-dir, postgres). Default: none." };
        var command = new Command(
            "migrate-store",
            "Copy a SQLite data directory's store into an empty PostgreSQL database, then verify the copy (exit 0 only when verified). "
            + "Rows are copied as stored, in one PostgreSQL transaction: ciphertext and wrapped keys byte for byte, ids and audit sequence numbers kept; "
            + "the root key is not read and not copied. Stop the server first: the data directory is read in one SQLite read transaction (a consistent "
            + "snapshot), so writes a running server makes meanwhile are not copied and make the verification fail.")
        { dataDir, postgres, verifyOnly, config };
        command.SetAction(async (result, ct) =>
        {
            var connectionString = result.GetValue(postgres) ?? settings.Get("postgres", null);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                await Console.Error.WriteLineAsync("strongroom: migrate-store needs --postgres \"<connection string>\" (or STRONGROOM_POSTGRES, or \"postgres\" in the config file)");
                return 2;
            }

            return await Guarded(() => StoreMigrationTool.MigrateAsync(result.GetValue(dataDir)!, connectionString, result.GetValue(verifyOnly), Console.Out, Console.Error, ct));
        });
        return command;
    }

    private static Command ExplainCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var user = new Option<string>("--user") { Description = "IAM user name.", Required = true };
        var action = new Option<string>("--action") { Description = "Action, e.g. secretsmanager:GetSecretValue.", Required = true };
        var resource = new Option<string>("--resource") { Description = "Resource as the call names it: a secret's name, partial or full ARN, or any ARN.", Required = true };
        var context = new Option<string[]>("--context") { Description = "Condition keys as key=value[,value] (repeatable). Default: none.", AllowMultipleArgumentsPerToken = true };
        var region = new Option<string>("--region") { Description = "Region of the call explained (where a secret name is looked up). Default: us-east-1.", DefaultValueFactory = _ => "us-east-1" };
        var command = new Command("explain", "Say which policy statement allows or denies an action for a user (exit 0 when allowed, 1 denied, 2 unknown action). Over the network: `strongroom explain --endpoint-url`.") { dataDir, user, action, resource, context, region };
        var storage = new StorageFlags(settings);
        storage.AddTo(command);
        command.SetAction((result, ct) => Guarded(() => ExplainTool.ExplainAsync(result.GetValue(dataDir)!, result.GetValue(user)!, result.GetValue(action)!, result.GetValue(resource)!, result.GetValue(context) ?? [], Console.Out, ct, storage.Read(result), result.GetValue(region))));
        return command;
    }
}
