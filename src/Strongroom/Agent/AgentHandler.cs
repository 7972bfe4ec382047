using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Client;

namespace Strongroom.Agent;

/// <summary>
/// The HTTP contract of AWS's Secrets Manager Agent (and the Parameter Store path of AWS's Lambda extension):
/// GET /secretsmanager/get?secretId=ID[&amp;versionId=…|&amp;versionStage=…][&amp;refreshNow=true], GET /v1/ID and
/// /secretsmanager/ID, GET /systemsmanager/parameters/get?name=…[&amp;withDecryption=true], GET /ping. Every request
/// but /ping must carry the SSRF token (X-Aws-Parameters-Secrets-Token or X-Vault-Token) and no X-Forwarded-For,
/// checked before anything is read. Server errors pass through with their status and AWS error JSON. Thread-safe.
/// </summary>
internal sealed class AgentHandler
{
    public const string StaleHeader = "X-Strongroom-Stale";
    private static readonly string[] TokenHeaders = ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"];
    private static readonly HashSet<string> GetParameters = new(StringComparer.Ordinal) { "secretId", "versionId", "versionStage", "refreshNow" };
    private static readonly HashSet<string> PathParameters = new(StringComparer.Ordinal) { "versionId", "versionStage", "refreshNow" };
    private static readonly System.Buffers.SearchValues<char> NeedsParsing = System.Buffers.SearchValues.Create("%+&=#");
    private static readonly HashSet<string> SsmParameters = new(StringComparer.Ordinal) { "name", "withDecryption", "version", "label" };
    private readonly SecretCache _cache;
    private readonly AwsJsonClient _ssm;
    private readonly byte[] _token;
    private readonly TimeSpan _ttl;
    private readonly int _maxEntries;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<SecretValue, byte[]> _bodies = [];
    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, byte[] Body)> _parameters = new(StringComparer.Ordinal);

    public AgentHandler(SecretCache cache, AwsJsonClient ssm, AgentOptions options, TimeProvider time, ILogger logger)
    {
        _cache = cache;
        _ssm = ssm;
        _token = Encoding.UTF8.GetBytes(options.Token);
        _ttl = options.Ttl;
        _maxEntries = options.MaxEntries;
        _time = time;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (path == "/ping")
        {
            // As AWS's agent: the health check needs no token and reads nothing.
            await WriteAsync(context, 200, "text/plain", "healthy"u8.ToArray());
            return;
        }

        if (request.Headers.ContainsKey("X-Forwarded-For"))
        {
            await RefuseAsync(context, "a forwarded request (X-Forwarded-For) is never served");
            return;
        }

        if (!TokenMatches(request.Headers))
        {
            await RefuseAsync(context, "missing or wrong SSRF token (X-Aws-Parameters-Secrets-Token)");
            return;
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            await ErrorAsync(context, 405, "MethodNotAllowed", "Only GET is served.");
            return;
        }

        if (path == "/secretsmanager/get")
        {
            // The hot path: "?secretId=ID" and nothing else, answered from the cache without building the query collection.
            if (PlainSecretId(request.QueryString.Value) is { } plain && _cache.TryGetFresh(plain, null, null, out var cached))
            {
                await WriteAsync(context, 200, "application/json", _bodies.GetValue(cached, Body));
                return;
            }

            if (Unknown(request.Query, GetParameters) is { } unknown)
            {
                await ErrorAsync(context, 400, "InvalidParameter", "unknown parameter: " + unknown);
                return;
            }

            await SecretAsync(context, request.Query["secretId"].ToString());
            return;
        }

        if (path == "/systemsmanager/parameters/get")
        {
            await ParameterAsync(context);
            return;
        }

        foreach (var prefix in new[] { "/v1/", "/secretsmanager/" })
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
            {
                if (Unknown(request.Query, PathParameters) is { } unknown)
                {
                    await ErrorAsync(context, 400, "InvalidParameter", "unknown parameter: " + unknown);
                    return;
                }

                await SecretAsync(context, Uri.UnescapeDataString(path[prefix.Length..]));
                return;
            }
        }

        await ErrorAsync(context, 404, "NotFound", "Not found: the agent serves /secretsmanager/get, /v1/ID, /systemsmanager/parameters/get and /ping.");
    }

    private bool TokenMatches(IHeaderDictionary headers)
    {
        foreach (var name in TokenHeaders)
        {
            if (headers.TryGetValue(name, out var values) && values.Count == 1 && Equal(values[0] ?? string.Empty, _token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Constant-time comparison of a header's UTF-8 bytes with the token, without allocating on the read path.</summary>
    private static bool Equal(string presented, byte[] token)
    {
        var count = Encoding.UTF8.GetByteCount(presented);
        if (count != token.Length)
        {
            return false; // as FixedTimeEquals answers any length mismatch: the length is not the secret
        }

        var rented = count > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(count) : null;
        var bytes = rented is null ? stackalloc byte[count] : rented.AsSpan(0, count);
        try
        {
            Encoding.UTF8.GetBytes(presented, bytes);
            return CryptographicOperations.FixedTimeEquals(bytes, token);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    /// <summary>ID when the query string is exactly "?secretId=ID" with nothing to unescape; otherwise null (the general path reads it).</summary>
    private static string? PlainSecretId(string? query)
    {
        const string Prefix = "?secretId=";
        return query is not null && query.Length > Prefix.Length && query.StartsWith(Prefix, StringComparison.Ordinal) && query.AsSpan(Prefix.Length).IndexOfAny(NeedsParsing) < 0
            ? query[Prefix.Length..]
            : null;
    }

    private static string? Unknown(IQueryCollection query, HashSet<string> known)
    {
        foreach (var key in query.Keys)
        {
            if (!known.Contains(key))
            {
                return key;
            }
        }

        return null;
    }

    private async Task RefuseAsync(HttpContext context, string reason)
    {
        AgentLog.Refused(_logger, context.Request.Method, context.Request.Path.Value ?? "/", context.Connection.RemoteIpAddress?.ToString() ?? "?", reason);
        await ErrorAsync(context, 403, "AccessDeniedException", "Refused: " + reason + ".");
    }

    private async Task SecretAsync(HttpContext context, string secretId)
    {
        var query = context.Request.Query;
        if (secretId.Length == 0)
        {
            await ErrorAsync(context, 400, "InvalidParameter", "missing parameter secretId");
            return;
        }

        var refresh = query["refreshNow"].ToString();
        bool refreshNow;
        if (refresh.Length == 0 || refresh == "0" || refresh.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            refreshNow = false;
        }
        else if (refresh == "1" || refresh.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            refreshNow = true;
        }
        else
        {
            await ErrorAsync(context, 400, "InvalidParameter", "invalid refreshNow value");
            return;
        }

        var versionId = query["versionId"].ToString();
        var versionStage = query["versionStage"].ToString();
        if (!refreshNow && _cache.TryGetFresh(secretId, versionId.Length > 0 ? versionId : null, versionStage.Length > 0 ? versionStage : null, out var fresh))
        {
            // The hot path: a fresh cached version, its answer rendered once per version.
            await WriteAsync(context, 200, "application/json", _bodies.GetValue(fresh, Body));
            return;
        }

        try
        {
            var result = await _cache.GetAsync(secretId, versionId.Length > 0 ? versionId : null, versionStage.Length > 0 ? versionStage : null, refreshNow, context.RequestAborted);
            if (result.IsStale)
            {
                context.Response.Headers[StaleHeader] = "true";
                AgentLog.ServedStale(_logger, secretId, _cache.UnreachableSince ?? _time.GetUtcNow());
            }

            await WriteAsync(context, 200, "application/json", _bodies.GetValue(result.Value, Body));
        }
        catch (AwsServiceException e)
        {
            AgentLog.ServerError(_logger, e.Code, e.HttpStatus, secretId);
            await ErrorAsync(context, e.HttpStatus is >= 400 and < 600 ? e.HttpStatus : 500, e.Code, e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            AgentLog.Unreachable(_logger, secretId, e.GetType().Name);
            await ErrorAsync(context, 502, "ServiceUnavailable", $"The secrets service at {_cache.Client.Endpoint} cannot be reached and nothing is cached for this secret.");
        }
    }

    /// <summary>GetSecretValue's answer, member for member, serialised once per cached version.</summary>
    private static byte[] Body(SecretValue v)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("ARN", v.Arn);
            w.WriteString("Name", v.Name);
            w.WriteString("VersionId", v.VersionId);
            if (v.SecretString is not null)
            {
                w.WriteString("SecretString", v.SecretString);
            }

            if (v.SecretBinary is not null)
            {
                w.WriteBase64String("SecretBinary", v.SecretBinary);
            }

            w.WriteStartArray("VersionStages");
            foreach (var stage in v.VersionStages)
            {
                w.WriteStringValue(stage);
            }

            w.WriteEndArray();
            if (v.CreatedDate is { } created)
            {
                w.WriteNumber("CreatedDate", created.ToUnixTimeMilliseconds() / 1000.0);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task ParameterAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (Unknown(query, SsmParameters) is { } unknown)
        {
            await ErrorAsync(context, 400, "InvalidParameter", "unknown parameter: " + unknown);
            return;
        }

        var name = query["name"].ToString();
        if (name.Length == 0)
        {
            await ErrorAsync(context, 400, "InvalidParameter", "missing parameter name");
            return;
        }

        var selector = query["version"].ToString() is { Length: > 0 } version ? ":" + version : query["label"].ToString() is { Length: > 0 } label ? ":" + label : string.Empty;
        var decrypt = query["withDecryption"].ToString().Equals("true", StringComparison.OrdinalIgnoreCase);
        var key = (decrypt ? "D\n" : "P\n") + name + selector;
        var now = _time.GetUtcNow();
        if (_parameters.TryGetValue(key, out var hit) && hit.Expires > now)
        {
            await WriteAsync(context, 200, "application/json", hit.Body);
            return;
        }

        try
        {
            var answer = await _ssm.CallAsync("ssm", "AmazonSSM.GetParameter", new { Name = name + selector, WithDecryption = decrypt }, context.RequestAborted);
            var body = JsonSerializer.SerializeToUtf8Bytes(answer);
            if (_parameters.Count >= _maxEntries && !_parameters.ContainsKey(key))
            {
                EvictParameters(now);
            }

            _parameters[key] = (now + _ttl, body);
            await WriteAsync(context, 200, "application/json", body);
        }
        catch (AwsServiceException e)
        {
            AgentLog.ServerError(_logger, e.Code, e.HttpStatus, name);
            await ErrorAsync(context, e.HttpStatus is >= 400 and < 600 ? e.HttpStatus : 500, e.Code, e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            AgentLog.Unreachable(_logger, name, e.GetType().Name);
            await ErrorAsync(context, 502, "ServiceUnavailable", $"The parameter service at {_ssm.Endpoint} cannot be reached.");
        }
    }

    /// <summary>
    /// Keeps the parameter cache under --max-entries: drops what has expired, and when nothing has, the entry that
    /// expires soonest (the oldest fetched). A scan of at most max-entries, only when a new parameter arrives at the bound.
    /// </summary>
    private void EvictParameters(DateTimeOffset now)
    {
        foreach (var (key, entry) in _parameters)
        {
            if (entry.Expires <= now)
            {
                _parameters.TryRemove(key, out _);
            }
        }

        while (_parameters.Count >= _maxEntries && !_parameters.IsEmpty)
        {
            var oldest = _parameters.MinBy(p => p.Value.Expires).Key;
            _parameters.TryRemove(oldest, out _);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message) =>
        WriteAsync(context, status, "application/x-amz-json-1.1", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["__type"] = code, ["message"] = message }));

    private static async Task WriteAsync(HttpContext context, int status, string contentType, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
