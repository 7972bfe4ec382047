using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Audit;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.SecretsManager;
using Strongroom.Storage.PostgreSql;

namespace Strongroom.Server;

/// <summary>The composition root: builds and runs the HTTP server over an opened data directory.</summary>
public static partial class StrongroomServer
{
    /// <summary>Runs until <paramref name="ct"/> is cancelled or the process gets SIGTERM/SIGINT. Returns the exit code.</summary>
    public static async Task<int> RunAsync(ServerOptions options, TextWriter console, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await console.WriteLineAsync("strongroom: " + problem);
            }

            return 2;
        }

        string? tempDir = null;
        if (options.Dev)
        {
            tempDir = Directory.CreateTempSubdirectory("strongroom-dev-").FullName;
            options.DataDir = Path.Combine(tempDir, "data");
        }

        // A Shamir or KMS server whose key is not available serves sealed until it is, then opens; sealed again by
        // Strongroom.Seal, it goes round once more.
        var unsealed = false;
        while (true)
        {
            DataDirectory? data = null;
            try
            {
                data = await DataDirectory.OpenAsync(options.DataDir, options.Region, options.AccountId, create: true, ct, options.RootKey, postgres: options.PostgresConnection);
            }
            catch (RootKeySealedException e)
            {
                RootKeySource source;
                try
                {
                    source = new RootKeySource(options.RootKey, Path.GetFullPath(options.DataDir));
                }
                catch (Crypto.RootKeyUnavailableException problem)
                {
                    await console.WriteLineAsync($"strongroom: cannot open data directory '{options.DataDir}': {problem.Message}");
                    return 1;
                }

                var sealedRun = await SealedServer.RunAsync(options, source, e, ct);
                unsealed = true;
                if (sealedRun.Stopped)
                {
                    return 0;
                }

                options.RootKey.Unsealed?.Dispose();
                options.RootKey.Unsealed = sealedRun.Key;
                continue;
            }
            catch (Exception e) when (e is Crypto.RootKeyUnavailableException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await console.WriteLineAsync($"strongroom: cannot open data directory '{options.DataDir}': {e.Message}");
                return 1;
            }
            finally
            {
                // The open copied the rebuilt key into its holder (or failed); this copy is released at once.
                if (data is not null && options.RootKey.Unsealed is { } rebuilt)
                {
                    rebuilt.Dispose();
                    options.RootKey.Unsealed = null;
                }
            }

            using var seal = new SealSwitch(data.RootSource.Provider == "shamir");
            var code = await RunOpenAsync(options, data, seal, unsealed, tempDir, console, ct);
            unsealed = false;
            if (!seal.Requested || ct.IsCancellationRequested)
            {
                return code;
            }
        }
    }

    private static async Task<int> RunOpenAsync(ServerOptions options, DataDirectory data, SealSwitch seal, bool unsealed, string? tempDir, TextWriter console, CancellationToken ct)
    {
        try
        {
            if (options.Dev)
            {
                await data.ImportAccessKeyAsync("test", "test", ct);
            }
            else
            {
                await data.EnsureAdminCredentialsAsync(ct);
            }

            using var sink = options.AuditFile is null ? null : new AuditFileSink(options.AuditFile);
            await using var audit = await AuditLog.StartAsync(data.Store, sink is null ? null : sink.Write, ct);
            using var signer = await AuditSigner.LoadOrCreateAsync(data.Store, data.Root, ct);
            var digester = new AuditDigester(data.Store, signer, TimeProvider.System);
            var app = Build(options, data, audit, digester, seal);
            var events = app.Services.GetRequiredService<ServiceEvents>();
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Strongroom");
            if (options.Dev)
            {
                LogDevWarning(logger, data.Path);
            }

            LogStarting(logger, options.Listen, data.Path, data.Identity.AccountId, options.Region, data.Root.Fingerprint);
            if (options.PostgresConnection is not null)
            {
                LogPostgres(logger, PostgresStore.Describe(options.PostgresConnection));
            }

            if (data.Recovery is not null)
            {
                LogRecovery(logger, data.Recovery);
            }

            if (options.RotationAllowedHosts is not null && options.RotationOutbound.Allows(System.Net.IPAddress.Parse("169.254.169.254")))
            {
                LogRotationReachesEverything(logger, options.RotationOutbound.Text);
            }
            else
            {
                LogRotationAllowedHosts(logger, options.RotationOutbound.Text);
            }

            if (options.Console == "on")
            {
                LogConsole(logger, (options.TlsCert is null ? "http://" : "https://") + options.Listen + "/console/");
            }
            else
            {
                LogConsoleOff(logger);
            }

            if (data.Created && !options.Dev)
            {
                LogInitialised(logger, data.CredentialsFile);
                var banner = FirstRunBanner.Text(options, data.Path, data.CredentialsFile);
                app.Lifetime.ApplicationStarted.Register(() =>
                {
                    console.Write(banner);
                    console.Flush();
                });
            }

            var integrity = new IntegrityReporter(events, logger);
            data.Root.IntegrityFailure += integrity.Report;
            integrity.Notes(data.IdentityNotes);
            await events.RecordAsync("ServerStarted", "strongroom", null, null, new Dictionary<string, string> { ["listen"] = options.Listen, ["rootKeyFingerprint"] = data.Root.Fingerprint });
            if (data.IdentityNotes.Count > 0)
            {
                await events.RecordAsync("IdentitiesChecked", "strongroom", null, null, new Dictionary<string, string> { ["notes"] = string.Join("; ", data.IdentityNotes) });
            }

            await RecordRootKeyRotationAsync(data, events, ct);
            data.RootKeys.Reloaded += () => _ = RecordRootKeyRotationAsync(data, events, CancellationToken.None);
            // Unseal attempts journalled while sealed — in this run or in runs stopped before any unseal (ADR 0029).
            var attempts = UnsealJournal.Read(data.Path);
            foreach (var attempt in attempts)
            {
                await events.RecordAsync("UnsealAttempt", "strongroom", null, null, new Dictionary<string, string>
                {
                    ["sourceIPAddress"] = attempt.SourceAddress,
                    ["attemptTime"] = attempt.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["accepted"] = attempt.Accepted ? "true" : "false",
                    ["outcome"] = attempt.Message,
                });
            }

            if (unsealed)
            {
                await events.RecordAsync("Unsealed", "strongroom", null, null, new Dictionary<string, string> { ["rootKeyFingerprint"] = data.Root.Fingerprint });
            }

            if (attempts.Count > 0)
            {
                UnsealJournal.Delete(data.Path);
            }

            using (var running = CancellationTokenSource.CreateLinkedTokenSource(ct, seal.Token))
            {
                await app.RunAsync(running.Token);
            }

            if (seal.Requested && !ct.IsCancellationRequested)
            {
                LogSealedByOperator(logger);
                await events.RecordAsync("Sealed", "strongroom", null, null, new Dictionary<string, string> { ["rootKeyFingerprint"] = data.Root.Fingerprint });
                await digester.WriteDigestAsync(CancellationToken.None);
                return 0;
            }

            await events.RecordAsync("ServerStopped", "strongroom", null, null);
            await digester.WriteDigestAsync(CancellationToken.None);
            return 0;
        }
        finally
        {
            await data.DisposeAsync();
            if (tempDir is not null)
            {
                try
                {
                    Directory.Delete(tempDir, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a dev directory left in /tmp holds only ciphertext and a throw-away key.
                }
            }
        }
    }

    /// <summary>--log-format auto: human-readable lines on a terminal, JSON lines otherwise (journal, files, pipes).</summary>
    internal static string ResolvedLogFormat(string format) =>
        format == "auto" ? (System.Console.IsOutputRedirected ? "json" : "text") : format;


    private static WebApplication Build(ServerOptions options, DataDirectory data, AuditLog audit, AuditDigester digester, SealSwitch seal)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (ResolvedLogFormat(options.LogFormat) == "text")
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        var limits = options.Limits;
        var connections = new ConnectionLimiter(limits);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Every transport limit comes from RequestLimitsOptions (docs/operations/limits.md). A body over the limit,
            // declared or chunked, fails its read with 413; too slow or never arriving, 408; bad chunking, 400.
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = limits.MaxBodyBytes + 1;
            kestrel.Limits.MaxRequestHeaderCount = limits.MaxHeaderCount;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxHeaderBytes;
            kestrel.Limits.RequestHeadersTimeout = limits.HeadersTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(limits.MinBodyBytesPerSecond, limits.BodyGrace);
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            var (host, port) = options.Endpoint;
            void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
            {
                listen.Use(connections.Wrap);
                if (options.TlsCert is not null && options.TlsKey is not null)
                {
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(options.TlsCert, options.TlsKey));
                }
            }

            if (host == "localhost")
            {
                kestrel.ListenLocalhost(port, Configure);
            }
            else
            {
                kestrel.Listen(System.Net.IPAddress.Parse(host), port, Configure);
            }
        });

        var time = TimeProvider.System;
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(seal);
        builder.Services.AddSingleton(data.Store);
        // The narrow ports (docs/adr/0036) a DI-built class may take instead of the whole store: the same instance.
        builder.Services.AddSingleton<Core.Storage.IStoreReader>(data.Store);
        builder.Services.AddSingleton(data.Identity);
        var cluster = new Core.Cluster.ClusterCoordinator(data.Store, options.EffectiveNodeId, options.Cluster, time);
        builder.Services.AddSingleton(cluster);
        builder.Services.AddSingleton<Core.Cluster.IClusterView>(cluster);
        builder.Services.AddHostedService<ClusterService>();
        builder.Services.AddSingleton(sp => new KeyRing(data.Store, data.Root, data.Identity, time));
        builder.Services.AddSingleton(new KnownRegions(options.Region, options.ExtraRegions));
        builder.Services.AddSingleton<SecretsService>();
        builder.Services.AddSingleton<SecretsManagerApi>();
        builder.Services.AddSingleton<KmsService>();
        builder.Services.AddSingleton<Core.Parameters.ParameterService>();
        builder.Services.AddSingleton<Protocol.Aws.Ssm.SsmApi>();
        builder.Services.AddSingleton<Protocol.Aws.Kms.KmsApi>();
        builder.Services.AddSingleton(sp => new Core.Identity.IamService(data.Store, data.Root, data.Identity, time));
        builder.Services.AddSingleton(sp => new Core.Identity.OidcKeySource(options.OidcJwksFileMap, time,
            (issuer, reason) => LogJwksUnavailable(sp.GetRequiredService<ILoggerFactory>().CreateLogger("Strongroom.WebIdentity"), issuer, reason)));
        builder.Services.AddSingleton<Core.Identity.WebIdentityFederation>();
        builder.Services.AddSingleton(sp => new Protocol.Aws.Iam.IamApi(sp.GetRequiredService<Core.Identity.IamService>(), sp.GetRequiredService<Core.Identity.WebIdentityFederation>()));
        builder.Services.AddSingleton(sp => new Core.Rotation.RotationFunctionRegistry(data.Store, data.Root, data.Identity, time, sp.GetRequiredService<Core.Identity.IamService>()));
        builder.Services.AddSingleton<Core.Rotation.IRotationFunctions>(sp => sp.GetRequiredService<Core.Rotation.RotationFunctionRegistry>());
        builder.Services.AddSingleton<Protocol.Aws.Strongroom.RotationAdminApi>();
        builder.Services.AddSingleton(sp => new SecretWatch(sp.GetRequiredService<SecretsService>(), time));
        builder.Services.AddSingleton<Protocol.Aws.Strongroom.WatchSecretsApi>();
        // Rotation: the scheduler is the SecretsService's IRotationStarter; runs call functions that call back here.
        var rotationRuntime = new Rotation.Runners.RotationRuntimeOptions { CaBundle = options.TlsCert, Outbound = options.RotationOutbound };
        builder.Services.AddSingleton(rotationRuntime);
        builder.Services.AddSingleton(options.Rotation);
        builder.Services.AddSingleton<Core.Rotation.IRotationObserver, RotationObserver>();
        builder.Services.AddSingleton<Core.Rotation.IRotationCredentialIssuer, RotationCredentialIssuer>();
        builder.Services.AddSingleton(sp => new Core.Rotation.RotationScheduler(
            data.Store, sp.GetRequiredService<SecretsService>, sp.GetRequiredService<Core.Rotation.RotationRunner>,
            sp.GetRequiredService<Core.Rotation.IRotationObserver>(), options.Rotation, time, cluster, sp.GetRequiredService<Core.Events.IEventOutbox>()));
        builder.Services.AddSingleton<Core.Rotation.IRotationStarter>(sp => sp.GetRequiredService<Core.Rotation.RotationScheduler>());
        builder.Services.AddSingleton<Core.Rotation.IRotationInvoker>(sp => new Rotation.Runners.RotationInvoker(
            rotationRuntime, sp.GetRequiredService<Core.Rotation.IRotationFunctions>(), sp.GetRequiredService<RotationHttp>().Functions, sp.GetRequiredService<RotationHttp>().Callback));
        builder.Services.AddSingleton<RotationHttp>();
        builder.Services.AddSingleton<Core.Rotation.RotationRunner>();
        builder.Services.AddHostedService<RotationService>();
        builder.Services.AddSingleton<Core.Policies.AccessChecks>();
        builder.Services.AddSingleton<Core.Policies.CallAuthorization>();
        builder.Services.AddSingleton<Authorizer>();
        builder.Services.AddSingleton(new RequestLimiter(limits, time));
        builder.Services.AddSingleton<ICredentialSource>(sp => new StoreCredentialSource(sp.GetRequiredService<Core.Identity.IamService>(), data.Identity, time, options.Dev));
        builder.Services.AddSingleton<SigV4Verifier>();
        builder.Services.AddSingleton(audit);
        builder.Services.AddSingleton(digester);
        builder.Services.AddSingleton<ServiceEvents>();
        builder.Services.AddSingleton<Protocol.Aws.CloudTrail.CloudTrailApi>();
        if (options.AuditRetention is { } retention)
        {
            builder.Services.AddSingleton(new AuditArchive(data.Store, options.AuditArchiveDir ?? Path.Combine(data.Path, "audit-archive"), retention, time));
        }

        builder.Services.AddHostedService<DigestService>();
        builder.Services.AddSingleton<ApiEndpoint>();
        // The awsJson services the endpoint routes to, by X-Amz-Target prefix (IJsonService).
        builder.Services.AddSingleton<IJsonService>(sp => sp.GetRequiredService<SecretsManagerApi>());
        builder.Services.AddSingleton<IJsonService>(sp => sp.GetRequiredService<Protocol.Aws.Kms.KmsApi>());
        builder.Services.AddSingleton<IJsonService>(sp => sp.GetRequiredService<Protocol.Aws.Ssm.SsmApi>());
        builder.Services.AddSingleton<IJsonService>(sp => sp.GetRequiredService<Protocol.Aws.CloudTrail.CloudTrailApi>());
        builder.Services.AddSingleton<IJsonService, StrongroomAdminService>();
        builder.Services.AddSingleton(sp => new AuditAdminApi(data.Store, options.AuditArchiveDir ?? Path.Combine(data.Path, "audit-archive"), sp.GetRequiredService<ILogger<AuditAdminApi>>()));
        builder.Services.AddSingleton(data.Root);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<Core.Events.IEventOutbox, EventOutbox>();
        builder.Services.AddHostedService<EventDelivery>();
        builder.Services.AddSingleton<EventsAdminApi>();
        builder.Services.AddHostedService<PurgeService>();
        builder.Services.AddHostedService<KmsMaintenanceService>();

        var app = builder.Build();
        var readiness = app.Services.GetRequiredService<Readiness>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            readiness.Started = true;
            // Rotation functions call back on the address the server really listens on (port 0 included).
            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (address is not null)
            {
                rotationRuntime.Endpoint = SelfEndpoint(address);
            }
        });
        app.Lifetime.ApplicationStopping.Register(() => readiness.Started = false);
        var endpoint = app.Services.GetRequiredService<ApiEndpoint>();
        var webConsole = options.Console == "on" ? new ConsoleEndpoint(options) : null;
        RegisterGauges(data.Store, audit);
        _ = new RotationHealthMetrics(data.Store, new Core.Rotation.RotationHealth(data.Store, time), time).RunAsync(app.Lifetime.ApplicationStopping);
        app.Run(async context =>
        {
            var path = context.Request.Path.Value;
            if (HttpMethods.IsGet(context.Request.Method) && path == "/health/live")
            {
                await context.Response.WriteAsync("ok");
                return;
            }

            if (HttpMethods.IsGet(context.Request.Method) && path == "/health/ready")
            {
                var problem = await readiness.CheckAsync(context.RequestAborted);
                context.Response.StatusCode = problem is null ? 200 : 503;
                await context.Response.WriteAsync(problem is null ? "ready" : "not ready: " + problem);
                return;
            }

            if (HttpMethods.IsGet(context.Request.Method) && path == "/metrics")
            {
                var remote = context.Connection.RemoteIpAddress;
                if (options.MetricsAccess == "off" || (options.MetricsAccess == "loopback" && (remote is null || !System.Net.IPAddress.IsLoopback(remote))))
                {
                    context.Response.StatusCode = 403;
                    return;
                }

                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
                return;
            }

            if (HttpMethods.IsPost(context.Request.Method) && (path == "/" || string.IsNullOrEmpty(path)))
            {
                await endpoint.HandleAsync(context);
                return;
            }

            if (webConsole is not null && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) && ConsoleEndpoint.Serves(path))
            {
                await webConsole.HandleAsync(context);
                return;
            }

            context.Response.StatusCode = 404;
        });
        return app;
    }

    /// <summary>A listen address as a URL functions can call: a wildcard host becomes loopback.</summary>
    internal static Uri SelfEndpoint(string address)
    {
        var uri = new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        var host = uri.Host is "0.0.0.0" ? "127.0.0.1" : uri.Host is "[::]" or "::" ? "[::1]" : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri;
    }

    /// <summary>Records a RootKeyRotated event when the store's root key differs from the one last recorded.</summary>
    private static async Task RecordRootKeyRotationAsync(DataDirectory data, ServiceEvents events, CancellationToken ct)
    {
        const string setting = "audit_root_fingerprint";
        var current = await data.Store.GetSettingAsync(RootWrap.FingerprintSetting, ct) ?? data.Root.Fingerprint;
        var recorded = await data.Store.GetSettingAsync(setting, ct);
        if (recorded == current)
        {
            return;
        }

        if (recorded is not null)
        {
            await events.RecordAsync("RootKeyRotated", "strongroom", null, null, new Dictionary<string, string> { ["previousFingerprint"] = recorded, ["fingerprint"] = current });
        }

        await data.Store.WriteAsync(async tx =>
        {
            await tx.SetSettingAsync(setting, current, ct);
            return true;
        }, ct);
    }
}
