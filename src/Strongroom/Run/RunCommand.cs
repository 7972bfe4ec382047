using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Strongroom.Client;

namespace Strongroom.Run;

/// <summary>
/// `strongroom run --env NAME=SECRET_ID[#JSON_KEY] … [--on-rotate restart|signal:HUP|none] -- COMMAND ARGS`: starts
/// COMMAND with the secrets in its environment only (never on a command line, never printed) and, on a new
/// AWSCURRENT (seen through Strongroom's change stream), restarts it or sends it the signal. Signals sent to
/// `strongroom run` (TERM, INT, HUP, QUIT) are passed on; its exit code is the child's (128+N after signal N).
/// </summary>
internal static class RunCommand
{
    private const int UsageError = 2;

    public static Command Create()
    {
        var endpoint = new Option<string?>("--endpoint-url") { Description = "The Strongroom (or AWS) endpoint (else AWS_ENDPOINT_URL). Default: none." };
        var region = new Option<string?>("--region") { Description = "Region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)." };
        var profile = new Option<string?>("--profile") { Description = "Profile in the AWS shared credentials/config files. Default: none." };
        var env = new Option<string[]>("--env") { Description = "NAME=SECRET_ID[#JSON_KEY] (repeatable): the variable gets the secret's AWSCURRENT value, or one top-level JSON field of it. Default: none.", AllowMultipleArgumentsPerToken = false };
        var onRotate = new Option<string>("--on-rotate") { Description = "On a new AWSCURRENT: restart (stop with TERM, start with the new values), signal:NAME (e.g. signal:HUP) or none. Default: none.", DefaultValueFactory = _ => "restart" };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments (after --).", Arity = ArgumentArity.OneOrMore };
        var run = new Command("run", "Run a command with secrets in its environment, restarting or signalling it when they rotate.") { endpoint, region, profile, env, onRotate, command };
        run.SetAction(async (result, ct) =>
        {
            List<EnvMapping> mappings;
            int? rotateSignal = null;
            var rotate = result.GetValue(onRotate)!;
            ClientSettings settings;
            try
            {
                mappings = [.. (result.GetValue(env) ?? []).Select(EnvMapping.Parse)];
                if (mappings.Count == 0)
                {
                    throw new ClientConfigurationException("give at least one --env NAME=SECRET_ID[#JSON_KEY].");
                }

                if (rotate.StartsWith("signal:", StringComparison.Ordinal))
                {
                    rotateSignal = Native.SignalNumber(rotate["signal:".Length..]) ?? throw new ClientConfigurationException($"--on-rotate {rotate}: known signals are HUP, INT, QUIT, USR1, USR2, TERM.");
                }
                else if (rotate is not ("restart" or "none"))
                {
                    throw new ClientConfigurationException($"--on-rotate {rotate}: expected restart, signal:NAME or none.");
                }

                settings = new ClientSettingsResolver().Resolve(result.GetValue(endpoint), result.GetValue(region), result.GetValue(profile));
            }
            catch (ClientConfigurationException e)
            {
                await Console.Error.WriteLineAsync("strongroom run: " + e.Message);
                return UsageError;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            await using var cache = new SecretCache(new SecretsManagerClient(settings.CreateJsonClient(http)), new SecretCacheOptions { Ttl = TimeSpan.FromMinutes(5), WatchWait = TimeSpan.FromSeconds(10) });
            return await new Supervisor(cache, mappings, result.GetValue(command)!, rotate, rotateSignal).RunAsync(ct);
        });
        return run;
    }

    /// <summary>One child at a time; rotation events and forwarded signals act on the current one.</summary>
    private sealed class Supervisor(SecretCache cache, List<EnvMapping> mappings, string[] command, string rotate, int? rotateSignal)
    {
        private readonly SemaphoreSlim _rotated = new(0);
        private Process? _child;

        public async Task<int> RunAsync(CancellationToken ct)
        {
            var ids = mappings.Select(m => m.SecretId).ToHashSet(StringComparer.Ordinal);
            cache.SecretChanged += (_, e) =>
            {
                if (ids.Contains(e.SecretId))
                {
                    _rotated.Release();
                }
            };
            var registrations = new List<PosixSignalRegistration>();
            foreach (var (posix, number) in new[] { (PosixSignal.SIGTERM, Native.SigTerm), (PosixSignal.SIGINT, Native.SigInt), (PosixSignal.SIGHUP, Native.SigHup), (PosixSignal.SIGQUIT, Native.SigQuit) })
            {
                registrations.Add(PosixSignalRegistration.Create(posix, context =>
                {
                    context.Cancel = true; // the child decides; its exit ends this process
                    if (_child is { HasExited: false } child)
                    {
                        Native.Signal(child.Id, number);
                    }
                }));
            }

            try
            {
                while (true)
                {
                    Process child;
                    try
                    {
                        child = await StartAsync(ct);
                    }
                    catch (Exception e) when (e is AwsServiceException or ClientConfigurationException or HttpRequestException)
                    {
                        await Console.Error.WriteLineAsync("strongroom run: " + e.Message);
                        return 1;
                    }
                    catch (System.ComponentModel.Win32Exception e)
                    {
                        await Console.Error.WriteLineAsync($"strongroom run: cannot start {command[0]}: {e.Message}");
                        return 127;
                    }

                    using (child)
                    {
                        _child = child;
                        var exited = child.WaitForExitAsync(CancellationToken.None);
                        while (true)
                        {
                            var rotation = _rotated.WaitAsync(CancellationToken.None);
                            if (await Task.WhenAny(exited, rotation) == exited)
                            {
                                return child.ExitCode;
                            }

                            if (rotate == "none")
                            {
                                continue;
                            }

                            if (rotateSignal is { } signal)
                            {
                                await Console.Error.WriteLineAsync($"strongroom run: a secret rotated; sending signal {signal} to {child.Id}");
                                Native.Signal(child.Id, signal);
                                continue;
                            }

                            await Console.Error.WriteLineAsync($"strongroom run: a secret rotated; restarting {command[0]}");
                            Native.Signal(child.Id, Native.SigTerm);
                            if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)) != exited)
                            {
                                child.Kill(entireProcessTree: true);
                                await exited;
                            }

                            while (_rotated.CurrentCount > 0)
                            {
                                await _rotated.WaitAsync(CancellationToken.None); // one restart covers every rotation so far
                            }

                            break;
                        }
                    }
                }
            }
            finally
            {
                foreach (var registration in registrations)
                {
                    registration.Dispose();
                }
            }
        }

        private async Task<Process> StartAsync(CancellationToken ct)
        {
            var info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
            foreach (var arg in command.Skip(1))
            {
                info.ArgumentList.Add(arg);
            }

            foreach (var mapping in mappings)
            {
                // Values go only into the child's environment block: not argv, not our output.
                info.Environment[mapping.Name] = mapping.Value(await cache.GetSecretValueAsync(mapping.SecretId, ct: ct));
            }

            return Process.Start(info) ?? throw new ClientConfigurationException($"cannot start {command[0]}");
        }
    }
}
