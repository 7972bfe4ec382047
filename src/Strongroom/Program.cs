using System.CommandLine;
using Strongroom.Server;

namespace Strongroom;

/// <summary>The `strongroom` executable: the server and the operator commands.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Strongroom: a self-hosted secrets manager that speaks AWS Secrets Manager's API.");
        root.Subcommands.Add(ServerCommand());
        root.Subcommands.Add(AdminCommand());
        return await root.Parse(args).InvokeAsync();
    }

    private static Command ServerCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory (created and initialised on first start).", DefaultValueFactory = _ => "strongroom-data" };
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on. Plain HTTP only on loopback.", DefaultValueFactory = _ => "127.0.0.1:4566" };
        var region = new Option<string>("--region") { Description = "Default region shown to users; every region is served.", DefaultValueFactory = _ => "us-east-1" };
        var account = new Option<string?>("--account-id") { Description = "12-digit account id to initialise with (default: chosen at random at init)." };
        var dev = new Option<bool>("--dev") { Description = "Throw-away server for tests: temporary data, any access key accepted as admin." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate file for HTTPS." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key file for HTTPS." };
        var command = new Command("server", "Run the Strongroom server.") { dataDir, listen, region, account, dev, tlsCert, tlsKey };
        command.SetAction(async (result, ct) =>
        {
            var options = new ServerOptions
            {
                DataDir = result.GetValue(dataDir)!,
                Listen = result.GetValue(listen)!,
                Region = result.GetValue(region)!,
                AccountId = result.GetValue(account),
                Dev = result.GetValue(dev),
                TlsCert = result.GetValue(tlsCert),
                TlsKey = result.GetValue(tlsKey),
            };
            return await StrongroomServer.RunAsync(options, Console.Error, ct);
        });
        return command;
    }

    private static Command AdminCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var keyId = new Option<string>("--access-key-id") { Description = "Access key id to import.", Required = true };
        var secret = new Option<string>("--secret-access-key") { Description = "Secret access key to import.", Required = true };
        var import = new Command("import-access-key", "Import an existing access key pair for the admin.") { dataDir, keyId, secret };
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
                await using var data = await DataDirectory.OpenAsync(result.GetValue(dataDir)!, "us-east-1", null, create: true, ct);
                await data.ImportAccessKeyAsync(id, key, ct);
                await Console.Out.WriteLineAsync($"Imported access key {id} for {DataDirectory.AdminArn(data.Identity.AccountId)}.");
                return 0;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
                return 1;
            }
        });
        return new Command("admin", "Operator tasks on a data directory.") { import };
    }
}
