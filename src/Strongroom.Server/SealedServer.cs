using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Crypto;
using Strongroom.Protocol.Aws;

namespace Strongroom.Server;

/// <summary>
/// What a server whose root key is not available yet serves on its listen address: /health/live 200, /health/ready 503
/// "sealed: REASON", GET /strongroom/seal-status, POST /strongroom/unseal (Shamir: one share per call, rate-limited),
/// and 503 ServiceUnavailable to every API call. Nothing of the store is read. It returns when the key is available —
/// rebuilt from the shares, or (KMS) when the KMS answers again — and the full server then starts on the same address.
/// </summary>
public static partial class SealedServer
{
    /// <summary>An unseal attempt: logged and journalled (<see cref="UnsealJournal"/>) at once, recorded in the audit trail at the next unseal.</summary>
    public sealed record Attempt(DateTimeOffset Time, string SourceAddress, bool Accepted, string Message);

    /// <summary>Key: the rebuilt key (Shamir), or null when the source can be loaded again (KMS) or the server was stopped.</summary>
    public sealed record Result(bool Stopped, RootKey? Key, IReadOnlyList<Attempt> Attempts);

    public static async Task<Result> RunAsync(ServerOptions options, RootKeySource source, RootKeySealedException sealedBy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sealedBy);
        var reason = sealedBy.Message;
        var state = source.Provider == "shamir" ? source.Custody : null;
        var unsealer = state is null ? null : new Unsealer(state, TimeProvider.System);
        var attempts = new List<Attempt>();
        var journal = new UnsealJournal(Path.GetFullPath(options.DataDir));
        var done = new TaskCompletionSource<RootKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = Build(options);
        var logger = app.Services.GetService(typeof(ILoggerFactory)) is ILoggerFactory factory ? factory.CreateLogger("Strongroom") : throw new InvalidOperationException("no logger");
        LogSealed(logger, options.Listen, reason);
        app.Run(async context =>
        {
            var path = context.Request.Path.Value;
            var get = HttpMethods.IsGet(context.Request.Method);
            if (get && path == "/health/live")
            {
                await context.Response.WriteAsync("ok");
                return;
            }

            if (get && path == "/health/ready")
            {
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("sealed: " + Volatile.Read(ref reason));
                return;
            }

            if (get && path == "/metrics")
            {
                // Only what a sealed server knows: that it is sealed (the alert rules' StrongroomSealed).
                var remote = context.Connection.RemoteIpAddress;
                if (options.MetricsAccess == "off" || (options.MetricsAccess == "loopback" && (remote is null || !System.Net.IPAddress.IsLoopback(remote))))
                {
                    context.Response.StatusCode = 403;
                    return;
                }

                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await context.Response.WriteAsync("# HELP strongroom_sealed 1 while the server is sealed (its root key unavailable; every API call answers 503), else 0.\n# TYPE strongroom_sealed gauge\nstrongroom_sealed 1\n");
                return;
            }

            if (get && path == "/strongroom/seal-status")
            {
                await WriteStatusAsync(context, 200, Volatile.Read(ref reason), unsealer, null);
                return;
            }

            if (HttpMethods.IsPost(context.Request.Method) && path == "/strongroom/unseal")
            {
                if (unsealer is null)
                {
                    await WriteStatusAsync(context, 400, Volatile.Read(ref reason), null, "this server is not sealed by key shares; it unseals by itself when its KMS answers");
                    return;
                }

                string? share = null;
                if (context.Request.ContentLength is null or <= 4096)
                {
                    try
                    {
                        using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
                        share = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("Share", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                    }
                    catch (JsonException)
                    {
                        share = null;
                    }
                }

                if (share is null)
                {
                    await WriteStatusAsync(context, 400, Volatile.Read(ref reason), unsealer, "the body must be {\"Share\": \"strongroom-share-v1:...\"} (at most 4096 bytes)");
                    return;
                }

                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                var outcome = unsealer.Submit(share);
                var attempt = new Attempt(DateTimeOffset.UtcNow, address, outcome.Accepted, outcome.Message);
                lock (attempts)
                {
                    attempts.Add(attempt);
                }

                LogUnsealAttempt(logger, address, outcome.Accepted, outcome.Message);
                if (!journal.Append(attempt))
                {
                    LogJournalFailed(logger, Path.Combine(options.DataDir, UnsealJournal.FileName));
                }

                await WriteStatusAsync(context, outcome.Throttled ? 429 : outcome.Accepted ? 200 : 400, Volatile.Read(ref reason), unsealer, outcome.Message, outcome.Key is not null);
                if (outcome.Key is { } key)
                {
                    await context.Response.CompleteAsync();
                    if (!done.TrySetResult(key))
                    {
                        key.Dispose();
                    }
                }

                return;
            }

            if (HttpMethods.IsPost(context.Request.Method) && (path == "/" || string.IsNullOrEmpty(path)))
            {
                await WriteUnavailableAsync(context, Volatile.Read(ref reason));
                return;
            }

            context.Response.StatusCode = 503;
            await context.Response.WriteAsync("Strongroom is sealed: " + Volatile.Read(ref reason));
        });

        // Stopped by SIGTERM/SIGINT (the host's lifetime) or the caller: the process ends sealed.
        var stopped = false;
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            Volatile.Write(ref stopped, true);
            done.TrySetResult(null);
        });
        await app.StartAsync(ct);
        using var stop = ct.Register(() =>
        {
            Volatile.Write(ref stopped, true);
            done.TrySetResult(null);
        });
        Task? probe = null;
        using var probing = new CancellationTokenSource();
        if (sealedBy.Retries)
        {
            probe = ProbeAsync(source, options.RootKey.KmsRetryInterval, r =>
            {
                if (r != Volatile.Read(ref reason))
                {
                    Volatile.Write(ref reason, r);
                    LogStillSealed(logger, r);
                }
            }, () => done.TrySetResult(null), probing.Token);
        }

        var key = await done.Task;
        var stoppedBeforeKey = key is null && Volatile.Read(ref stopped);
        await probing.CancelAsync();
        if (probe is not null)
        {
            await probe;
        }

        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        List<Attempt> recorded;
        lock (attempts)
        {
            recorded = [.. attempts];
        }

        return new Result(stoppedBeforeKey, key, recorded);
    }

    /// <summary>Asks the source again every <paramref name="interval"/>; calls <paramref name="available"/> once it gives the key.</summary>
    private static async Task ProbeAsync(RootKeySource source, TimeSpan interval, Action<string> stillSealed, Action available, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                using var key = await Task.Run(() => source.Load(), ct);
                available();
                return;
            }
            catch (RootKeySealedException e)
            {
                stillSealed(e.Message);
            }
            catch (RootKeyUnavailableException e)
            {
                stillSealed(e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task WriteStatusAsync(HttpContext context, int status, string reason, Unsealer? unsealer, string? message, bool unsealed = false)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteBoolean("Sealed", !unsealed);
        writer.WriteString("Reason", unsealed ? "unsealed" : reason);
        if (unsealer is not null)
        {
            writer.WriteNumber("Progress", unsealed ? unsealer.Threshold : unsealer.Progress);
            writer.WriteNumber("Threshold", unsealer.Threshold);
            writer.WriteNumber("Shares", unsealer.Shares);
        }

        if (message is not null)
        {
            writer.WriteString("Message", message);
        }

        writer.WriteEndObject();
    }

    /// <summary>503 ServiceUnavailable in the protocol of the call: JSON (Secrets Manager, KMS, SSM, CloudTrail) or query XML (IAM, STS).</summary>
    private static async Task WriteUnavailableAsync(HttpContext context, string reason)
    {
        var message = "Strongroom is sealed (" + reason + "); nothing can be read or written until it is unsealed.";
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        if (target.Length == 0 && context.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
        {
            context.Response.StatusCode = 503;
            context.Response.ContentType = "text/xml";
            await context.Response.WriteAsync("<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>"
                + System.Security.SecurityElement.Escape(message) + "</Message></Error><RequestId>" + Guid.NewGuid() + "</RequestId></ErrorResponse>");
            return;
        }

        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        var member = target.StartsWith("TrentService.", StringComparison.Ordinal) || target.StartsWith("AmazonSSM.", StringComparison.Ordinal) ? "message" : "Message";
        await ApiEndpoint.WriteErrorAsync(context, new AwsError("ServiceUnavailable", message, 503), member);
    }

    private static WebApplication Build(ServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.LogFormat == "text")
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Limits.MaxConcurrentConnections = options.Limits.MaxConnections;
            var (host, port) = options.Endpoint;
            void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
            {
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
        return builder.Build();
    }

    [LoggerMessage(EventId = 7900, Level = LogLevel.Warning, Message = "Strongroom is SEALED on {Listen}: {Reason}; /health/ready answers 503 and every API call 503 ServiceUnavailable until it is unsealed")]
    private static partial void LogSealed(ILogger logger, string listen, string reason);

    [LoggerMessage(EventId = 7901, Level = LogLevel.Warning, Message = "Still sealed: {Reason}")]
    private static partial void LogStillSealed(ILogger logger, string reason);

    [LoggerMessage(EventId = 8100, Level = LogLevel.Error, Message = "Cannot append to the unseal journal {Path}: this attempt is in the log only, not in the audit trail")]
    private static partial void LogJournalFailed(ILogger logger, string path);

    [LoggerMessage(EventId = 7902, Level = LogLevel.Warning, Message = "Unseal attempt from {SourceAddress}: accepted {Accepted}: {Outcome}")]
    private static partial void LogUnsealAttempt(ILogger logger, string sourceAddress, bool accepted, string outcome);
}
