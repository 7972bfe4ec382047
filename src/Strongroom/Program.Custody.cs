using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Strongroom.Client;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>Root-key custody on the command line: the HSM, Shamir and KMS flags, `admin init` and `operator unseal|seal`.</summary>
public static partial class Program
{
    /// <summary>`strongroom admin init`: initialises a data directory in the chosen custody without serving it.</summary>
    private static Command InitCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The data directory to create (new or empty). Default: none.", Required = true };
        var account = new Option<string?>("--account-id") { Description = "12-digit account id (default: chosen at random)." };
        var command = new Command("init", "Initialise a new data directory (store, root key in the chosen custody, admin credentials) without starting the server. With --root-key shamir the shares go to --shares-out (or, without it, are printed once to standard output) and nothing of the key stays in the directory.") { dataDir, account };
        var rootKey = new RootKeyFlags(settings);
        rootKey.AddTo(command);
        var storage = new StorageFlags(settings);
        storage.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var options = rootKey.Read(result);
            if (options.Provider == "shamir" && options.SharesOut is null)
            {
                // No --shares-out: the shares are printed once below, and written nowhere.
                options.PrintedShares = [];
            }

            var path = result.GetValue(dataDir)!;
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            {
                await Console.Error.WriteLineAsync($"strongroom: '{Path.GetFullPath(path)}' is not empty; admin init makes a new data directory.");
                return 1;
            }

            try
            {
                await using var data = await DataDirectory.OpenAsync(path, "us-east-1", result.GetValue(account), create: true, ct, options, postgres: storage.Read(result));
                await data.EnsureAdminCredentialsAsync(ct);
                await Console.Out.WriteLineAsync($"Initialised {data.Path}: account {data.Identity.AccountId}, root key fingerprint {data.Root.Fingerprint} ({data.RootSource.Describe()}); admin credentials in {data.CredentialsFile}.");
                if (data.RootSource.Provider == "shamir" && options.PrintedShares is { } printed)
                {
                    await Console.Out.WriteLineAsync($"The {printed.Count} key shares, printed this once and written nowhere; any {options.KeyThreshold} unseal. Give each to its key holder now: with fewer than {options.KeyThreshold} the data is lost.");
                    for (var i = 0; i < printed.Count; i++)
                    {
                        await Console.Out.WriteLineAsync($"share {i + 1}: {printed[i]}");
                    }

                    printed.Clear();
                }
                else if (data.RootSource.Provider == "shamir")
                {
                    await Console.Out.WriteLineAsync($"Wrote {options.KeyShares} key shares to {Path.GetFullPath(options.SharesOut!)} (share-1 … share-{options.KeyShares}); any {options.KeyThreshold} unseal. Hand one to each key holder and delete them there: they are shown nowhere else, and with fewer than {options.KeyThreshold} the data is lost.");
                }

                return 0;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or RootKeySealedException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>`strongroom operator unseal|seal|seal-status` against a running server.</summary>
    private static Command OperatorCommand()
    {
        static Option<string?> Endpoint() => new("--endpoint-url") { Description = "The Strongroom server, e.g. http://127.0.0.1:4566 (else AWS_ENDPOINT_URL). Default: none." };
        var unsealEndpoint = Endpoint();
        var shareFile = new Option<string?>("--share-file") { Description = "Read the share from this file instead of standard input or the prompt. Default: none." };
        var unseal = new Command("unseal", "Give one key share to a sealed server (from --share-file, standard input, or a prompt without echo); prints the progress. At the threshold the server unseals.") { unsealEndpoint, shareFile };
        unseal.SetAction(async (result, ct) =>
        {
            if (EndpointOf(result.GetValue(unsealEndpoint)) is not { } endpoint)
            {
                return FunctionCommands.UsageError;
            }

            string? share;
            if (result.GetValue(shareFile) is { } file)
            {
                share = (await File.ReadAllTextAsync(file, ct)).Trim();
            }
            else if (Console.IsInputRedirected)
            {
                share = (await Console.In.ReadLineAsync(ct))?.Trim();
            }
            else
            {
                await Console.Error.WriteAsync("Key share (not shown): ");
                share = RootKeySource.ReadHidden();
            }

            if (string.IsNullOrEmpty(share))
            {
                await Console.Error.WriteLineAsync("strongroom: no share given");
                return FunctionCommands.UsageError;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using var response = await http.PostAsJsonAsync(new Uri(endpoint, "/strongroom/unseal"), new Dictionary<string, string> { ["Share"] = share }, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    await Console.Error.WriteLineAsync("strongroom: the server is not sealed");
                    return 1;
                }

                JsonElement body;
                try
                {
                    body = JsonDocument.Parse(text).RootElement;
                }
                catch (JsonException)
                {
                    await Console.Error.WriteLineAsync($"strongroom: unexpected answer ({(int)response.StatusCode})");
                    return 1;
                }

                var message = body.TryGetProperty("Message", out var m) ? m.GetString() : null;
                var progress = body.TryGetProperty("Progress", out var p) ? p.GetInt32().ToString(CultureInfo.InvariantCulture) : "?";
                var threshold = body.TryGetProperty("Threshold", out var t) ? t.GetInt32().ToString(CultureInfo.InvariantCulture) : "?";
                var shares = body.TryGetProperty("Shares", out var n) ? n.GetInt32().ToString(CultureInfo.InvariantCulture) : "?";
                if (!response.IsSuccessStatusCode)
                {
                    await Console.Error.WriteLineAsync($"strongroom: share refused: {message}");
                    return 1;
                }

                var sealedNow = body.TryGetProperty("Sealed", out var s) && s.GetBoolean();
                await Console.Out.WriteLineAsync(sealedNow
                    ? $"Unseal progress: {progress} of {threshold} shares (of {shares}); still sealed."
                    : $"Unseal progress: {threshold} of {threshold} shares (of {shares}); unsealed.");
                return 0;
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"strongroom: cannot reach {endpoint}: {e.Message}");
                return FunctionCommands.ConnectionError;
            }
        });

        var sealEndpoint = Endpoint();
        var region = new Option<string?>("--region") { Description = "Region (else AWS_REGION, the profile's). Default: none." };
        var profile = new Option<string?>("--profile") { Description = "Profile in the AWS shared files (else AWS_PROFILE, else default)." };
        var seal = new Command("seal", "Seal a Shamir server (admin credentials from the standard AWS chain): the root key leaves its memory and every call answers 503 until it is unsealed again.") { sealEndpoint, region, profile };
        seal.SetAction(async (result, ct) =>
        {
            ClientSettings settings;
            try
            {
                settings = new ClientSettingsResolver().Resolve(result.GetValue(sealEndpoint), result.GetValue(region), result.GetValue(profile));
            }
            catch (ClientConfigurationException e)
            {
                await Console.Error.WriteLineAsync("strongroom: " + e.Message);
                return FunctionCommands.UsageError;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                var answer = await new StrongroomAdminClient(settings.CreateJsonClient(http)).CallAsync(SealSwitch.Operation, new { }, ct);
                await Console.Out.WriteLineAsync(answer.TryGetProperty("Message", out var m) ? "Sealed: " + m.GetString() : "Sealed.");
                return 0;
            }
            catch (AwsServiceException e)
            {
                await Console.Error.WriteLineAsync($"An error occurred ({e.Code}) when calling the Seal operation: {e.Message}");
                return FunctionCommands.ServiceError;
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"strongroom: cannot reach {settings.Endpoint}: {e.Message}");
                return FunctionCommands.ConnectionError;
            }
        });

        var statusEndpoint = Endpoint();
        var status = new Command("seal-status", "Print whether the server is sealed, why, and the unseal progress (JSON).") { statusEndpoint };
        status.SetAction(async (result, ct) =>
        {
            if (EndpointOf(result.GetValue(statusEndpoint)) is not { } endpoint)
            {
                return FunctionCommands.UsageError;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using var response = await http.GetAsync(new Uri(endpoint, "/strongroom/seal-status"), ct);
                await Console.Out.WriteLineAsync(response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(ct) : "{\"Sealed\": false}");
                return 0;
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"strongroom: cannot reach {endpoint}: {e.Message}");
                return FunctionCommands.ConnectionError;
            }
        });

        return new Command("operator", "Operate a running server's custody: unseal, seal, seal-status.") { unseal, seal, status };
    }

    /// <summary>The endpoint from the flag or AWS_ENDPOINT_URL; null (after saying why) when there is none or it is invalid.</summary>
    private static Uri? EndpointOf(string? flag)
    {
        try
        {
            return new ClientSettingsResolver().Endpoint(flag);
        }
        catch (ClientConfigurationException e)
        {
            Console.Error.WriteLine("strongroom: " + e.Message);
            return null;
        }
    }

    private static Command RotateRootKeyCommand(StrongroomSettings settings)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var newEnv = new Option<string?>("--new-root-key-env") { Description = "For env: the variable holding the new base64 root key. Default: none." };
        var newPassphraseFile = new Option<string?>("--new-passphrase-file") { Description = "For passphrase: a file holding the new passphrase (default: the current one, with a new salt)." };
        var rollback = new Option<bool>("--rollback") { Description = "Abandon an interrupted rotation instead of resuming it. Default: off." };
        var to = new Option<string?>("--to") { Description = "The custody to move the root key to: file, env, passphrase, pkcs11, shamir or kms, with that mode's flags (default: a new key in the current mode)." };
        var command = new Command("rotate-root-key", "Re-wrap every KMS key and access key under a new root key; secret data is untouched. Works with the server stopped or running (file and passphrase-file providers are re-read by a running server).") { dataDir, newEnv, newPassphraseFile, rollback, to };
        var rootKey = new RootKeyFlags(settings);
        rootKey.AddTo(command);
        var storage = new StorageFlags(settings);
        storage.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var keep = !result.GetValue(rollback);
                await using var data = await DataDirectory.OpenAsync(result.GetValue(dataDir)!, "us-east-1", null, create: false, ct, rootKey.Read(result), keepPendingRotation: keep, postgres: storage.Read(result));
                if (data.Recovery is not null)
                {
                    await Console.Out.WriteLineAsync("Root key: " + data.Recovery + ".");
                }

                if (!keep)
                {
                    return 0;
                }

                var resumed = data.RootSource.HasNext;
                string? newPassphrase = null;
                if (result.GetValue(newPassphraseFile) is { } file)
                {
                    newPassphrase = (await File.ReadAllLinesAsync(file, ct)).FirstOrDefault();
                }

                var before = data.Root.Fingerprint;
                var options = rootKey.Read(result);
                RootKeySource? target = null;
                if (result.GetValue(to) is { } mode)
                {
                    options.Provider = mode;
                    target = data.RootSource.ForMode(options, mode);
                }

                var (count, after) = await data.RotateRootKeyAsync(result.GetValue(newEnv), newPassphrase, ct, target);
                await Console.Out.WriteLineAsync($"{(resumed ? "Resumed and completed" : "Completed")} the root-key rotation: re-wrapped or re-tagged {count} values; fingerprint {before} -> {after}.");
                if (target?.Provider == "shamir")
                {
                    await Console.Out.WriteLineAsync($"The shares of the new root key are in {options.SharesOut}: hand one to each key holder and delete them there. A restarted server is sealed until {options.KeyThreshold} are given.");
                }

                if ((target ?? data.RootSource).Provider == "env")
                {
                    await Console.Out.WriteLineAsync($"Set {rootKey.Read(result).EnvName} to the new key before the next start.");
                }

                return 0;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or RootKeySealedException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
