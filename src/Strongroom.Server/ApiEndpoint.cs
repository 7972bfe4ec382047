using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.CloudTrail;
using Strongroom.Protocol.Aws.Iam;
using Strongroom.Protocol.Aws.Json;
using Strongroom.Protocol.Aws.Kms;
using Strongroom.Protocol.Aws.SecretsManager;
using Strongroom.Protocol.Aws.Ssm;
using Strongroom.Protocol.Aws.Strongroom;

namespace Strongroom.Server;

/// <summary>
/// POST /, the request path (docs/adr/0013): refuse a locked-out or flooding client before any work; read the body
/// (bounded; a transport failure is answered 4xx); verify SigV4 (a failure counts toward the brute-force limits and
/// may be answered slowly); take a token from the caller's key; decode and validate the body ONCE at the edge
/// (<see cref="JsonInput.Parse"/> or <see cref="QueryRequest.Parse"/>: strict UTF-8, no lone surrogate); build the
/// audit record's request parameters from that validated input, bounded, BEFORE the effect; refuse a write while the
/// trail is known to be unwritable; authorise; run the operation on the decoded input; finish the record (error,
/// response identifiers: total, cannot fail) and append it; answer only once it is durable (fail closed). Request
/// bodies are never logged: they hold secret values. The body and response buffers are zeroed once used.
/// </summary>
public sealed partial class ApiEndpoint
{
    private const string JsonContentType = "application/x-amz-json-1.1";
    private readonly SigV4Verifier _verifier;
    private readonly IReadOnlyList<IJsonService> _services;
    private readonly IamApi _iamApi;
    private readonly Authorizer _authorizer;
    private readonly AuditLog _audit;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger<ApiEndpoint> _logger;
    private readonly AuditTrailMode _auditTrail;
    private readonly RequestLimiter _limiter;
    private readonly ServiceEvents _events;
    private readonly int _maxBody;

    /// <param name="services">Every awsJson service this server answers (one registration each; no per-service switch here).</param>
    public ApiEndpoint(SigV4Verifier verifier, IEnumerable<IJsonService> services, IamApi iamApi, Authorizer authorizer, AuditLog audit, ServerIdentity identity, TimeProvider time, ILogger<ApiEndpoint> logger, ServerOptions options, RequestLimiter limiter, ServiceEvents events)
    {
        ArgumentNullException.ThrowIfNull(options);
        _auditTrail = options.AuditTrail;
        _maxBody = options.Limits.MaxBodyBytes;
        _iamApi = iamApi;
        _authorizer = authorizer;
        _verifier = verifier;
        _services = services.ToList();
        // Every service this endpoint answers is decided by its own registration in Core, never by the fallback: a
        // protocol API registered without its access registration (or the reverse) fails the start, naming it.
        var undecided = _services.Select(s => s.SigningName).Concat(IamApi.SigningNames).Where(name => !authorizer.Services.Contains(name)).ToList();
        if (undecided.Count > 0)
        {
            throw new InvalidOperationException("No access registration (Core.Policies.IServiceAccess) for the service(s) " + string.Join(", ", undecided) + ".");
        }
        _audit = audit;
        _identity = identity;
        _time = time;
        _logger = logger;
        _limiter = limiter;
        _events = events;
    }

    private (IJsonService? Json, string? Service, string Operation) Route(string target)
    {
        foreach (var service in _services)
        {
            if (target.StartsWith(service.TargetPrefix, StringComparison.Ordinal))
            {
                return (service, service.SigningName, target[service.TargetPrefix.Length..]);
            }
        }

        return (null, null, target);
    }

    /// <summary>The operation's name when this server serves it, else "unknown" (metric labels never grow with client input).</summary>
    private string Served(IJsonService? json, string? service, string operation) =>
        (json?.Serves(operation) ?? (service is not null && IamApi.SigningNames.Contains(service) && _iamApi.Handles(service, operation))) ? operation : "unknown";

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = Guid.NewGuid().ToString();
        var started = _time.GetUtcNow();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        var (json, service, operation) = Route(context.Request.Headers["X-Amz-Target"].ToString());
        var isQuery = service is null && context.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var claimedKey = RequestWire.ClaimedAccessKey(context.Request.Headers.Authorization.ToString());
        QueryRequest? query = null;
        JsonInput? input = null;
        string? requestParameters = null;
        var failureDelay = TimeSpan.Zero;
        var messageMember = json?.ErrorMessageMember ?? "Message";
        byte[]? rented = null;
        var output = ResponseBuffers.Rent();
        CallerIdentity? caller = null;
        AwsError? error = null;
        var body = ReadOnlyMemory<byte>.Empty;
        var webIdentity = false;
        WebIdentityResult? webIdentityResult = null;
        try
        {
            if (_limiter.RefuseBeforeAuth(address, claimedKey) is { } refusal)
            {
                ServerMetrics.Throttled.WithLabels("address").Inc();
                throw new AwsError("ThrottlingException", refusal);
            }

            var (buffer, length) = await RequestWire.ReadBodyAsync(context.Request, _maxBody, context.RequestAborted);
            rented = buffer;
            body = new ReadOnlyMemory<byte>(buffer, 0, length);
            var headers = context.Request.Headers;
            var sourceIp = context.Connection.RemoteIpAddress?.ToString();

            // The one unsigned path, as on AWS: an STS AssumeRoleWithWebIdentity (or AssumeRoleWithSAML, which answers
            // that SAML is not supported) Query request without any signature — the token is the proof. Everything
            // else, a mistyped action or version included, goes through SigV4 and is refused unsigned.
            if (isQuery && RequestWire.UnsignedStsCall(context.Request, body) is { } unsignedQuery)
            {
                (query, service, operation, webIdentity) = (unsignedQuery, "sts", unsignedQuery.Action, true);
                requestParameters = AuditShape.RequestParameters(service, operation, query);
                RefuseWritesWhileTrailUnwritable(service, operation);
                var (xml, result) = await _iamApi.InvokeWebIdentityAsync(unsignedQuery, requestId, RequestKeys(context), context.RequestAborted);
                webIdentityResult = result;
                output.Write(System.Text.Encoding.UTF8.GetBytes(xml));
            }
            else
            {
                try
                {
                    caller = await _verifier.VerifyAsync(
                        new SigV4Request(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, name => HeaderValues(headers[name]), body),
                        context.RequestAborted);
                }
                catch (AwsError e)
                {
                    failureDelay = await AuthFailedAsync(address, claimedKey, e.Code);
                    throw;
                }

                if (!_limiter.TryAcquireKey(caller.AccessKeyId))
                {
                    ServerMetrics.Throttled.WithLabels("key").Inc();
                    throw new AwsError("ThrottlingException", "Rate exceeded");
                }

                if (isQuery && IamApi.SigningNames.Contains(caller.Service))
                {
                    query = QueryRequest.Parse(body);
                    (service, operation) = (caller.Service, query.Action);
                    if (!_iamApi.Handles(service, operation))
                    {
                        throw new AwsError("InvalidAction", $"The action {operation} is not valid for this web service.");
                    }
                }

                if (service is null)
                {
                    throw new AwsError("UnknownOperationException", string.Empty);
                }

                if (caller.Service != service)
                {
                    throw new AwsError("InvalidSignatureException", $"Credential should be scoped to correct service: '{service}'. ");
                }

                // The edge: decode and validate the body once; an operation we do not serve reads nothing (it fails with its own error).
                if (query is null)
                {
                    input = Served(json, service, operation) == "unknown" ? JsonInput.Empty() : JsonInput.Parse(body);
                }

                // The record's parameters come from the validated input, before the effect, so nothing about the record can fail after it.
                requestParameters = query is not null ? AuditShape.RequestParameters(service, operation, query) : AuditShape.RequestParameters(service, operation, input!);
                RefuseWritesWhileTrailUnwritable(service, operation);
                // Access is decided in Core; a secret it resolved is handed to the operation, which reads it from there.
                var resolved = await _authorizer.AuthorizeAsync(caller, json, service, operation, input, query, sourceIp, context.Request.IsHttps, context.RequestAborted);
                if (query is not null && service == "sts" && IamApi.UnsignedStsActions.Contains(operation))
                {
                    // Signed or not, a web identity call is decided by its token and the role's trust policy alone.
                    webIdentity = true;
                    var (xml, result) = await _iamApi.InvokeWebIdentityAsync(query, requestId, RequestKeys(context), context.RequestAborted);
                    webIdentityResult = result;
                    output.Write(System.Text.Encoding.UTF8.GetBytes(xml));
                }
                else if (query is not null)
                {
                    var xml = await _iamApi.InvokeAsync(service, query, requestId, caller.PrincipalArn, caller.UserName, caller.Kind, caller.AccessKeyId, context.RequestAborted);
                    output.Write(System.Text.Encoding.UTF8.GetBytes(xml));
                }
                else
                {
                    // What the call reaches only while it runs is checked with this request's own context.
                    var access = _authorizer.AccessOf(caller, sourceIp, context.Request.IsHttps);
                    await InvokeJsonAsync(json!, operation, caller, access, input!, resolved, output, context.RequestAborted);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // A web identity call's own errors (ExpiredTokenException is a 400 there) keep their STS codes.
            error = e is Microsoft.AspNetCore.Http.BadHttpRequestException transport ? RequestWire.TransportError(transport) : AwsErrorMapper.Map(e);
            if (isQuery && !webIdentity)
            {
                // The Query services name authentication failures and throttling differently and answer 403 / 400.
                error = error.Code switch
                {
                    "UnrecognizedClientException" => new AwsError("InvalidClientTokenId", error.Message, 403),
                    "InvalidSignatureException" => new AwsError("SignatureDoesNotMatch", error.Message, 403),
                    "IncompleteSignatureException" or "MissingAuthenticationTokenException" => new AwsError(error.Code.Replace("Exception", string.Empty, StringComparison.Ordinal), error.Message, 403),
                    "ExpiredTokenException" => new AwsError("ExpiredToken", error.Message, 403),
                    "ThrottlingException" => new AwsError("Throttling", error.Message, 400),
                    _ => error,
                };
            }

            if (e is Core.Storage.StoreUnavailableException)
            {
                LogStoreUnavailable(_logger, requestId, e.Message);
            }
            else if (error.Status >= 500 && error.Status != 503)
            {
                LogInternalError(_logger, requestId, e.GetType().Name, e.StackTrace);
            }

            output.Clear();
        }
        finally
        {
            input?.Dispose();
        }

        var auditStarted = _time.GetTimestamp();
        try
        {
            switch (_auditTrail)
            {
                case AuditTrailMode.Durable:
                    await _audit.AppendAsync(BuildEvent(context, requestId, started, service, operation, caller, requestParameters, output.WrittenMemory, error, webIdentity, webIdentityResult));
                    break;
                case AuditTrailMode.NotAwaited:
                    _ = _audit.AppendAsync(BuildEvent(context, requestId, started, service, operation, caller, requestParameters, output.WrittenMemory, error, webIdentity, webIdentityResult));
                    break;
                case AuditTrailMode.Off:
                default:
                    break;
            }
        }
        catch (AuditUnavailableException e)
        {
            ServerMetrics.AuditFailures.Inc();
            LogAuditFailed(_logger, requestId, e.InnerException?.GetType().Name ?? e.GetType().Name);
            output.Clear();
            // A call that already failed because the database is unreachable keeps that clearer message.
            error = error?.Status == 503 ? error : new AwsError("ServiceUnavailable", "The audit trail cannot be written, so the request was not answered. Try again later.", 503);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }

            ServerMetrics.AuditWrite.Observe(_time.GetElapsedTime(auditStarted).TotalSeconds);
        }

        var label = service ?? "unknown";
        var operationLabel = Served(json, service, operation);
        ServerMetrics.Requests.WithLabels(label, operationLabel, error?.Code ?? string.Empty).Inc();
        ServerMetrics.Latency.WithLabels(label, operationLabel).Observe((_time.GetUtcNow() - started).TotalSeconds);
        try
        {
            if (failureDelay > TimeSpan.Zero)
            {
                // A slowed-down authentication failure: the delay costs a guesser time, never a correctly signed caller.
                await Task.Delay(failureDelay, _time, context.RequestAborted);
            }

            if (error is not null)
            {
                if (isQuery)
                {
                    var xml = System.Text.Encoding.UTF8.GetBytes(QueryWriter.Error(IamApi.Namespace(service), error, requestId));
                    if (context.Response.HasStarted)
                    {
                        return;
                    }

                    context.Response.StatusCode = error.Status;
                    context.Response.ContentType = "text/xml";
                    context.Response.ContentLength = xml.Length;
                    await context.Response.Body.WriteAsync(xml, context.RequestAborted);
                    return;
                }

                await WriteErrorAsync(context, error, messageMember);
                return;
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = query is not null ? "text/xml" : JsonContentType;
            context.Response.ContentLength = output.WrittenCount;
            await context.Response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; its record is already durable.
        }
        finally
        {
            ResponseBuffers.Return(output);
        }
    }

    /// <summary>A header's values for the signature check (an absent header has none).</summary>
    private static string[] HeaderValues(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0)
        {
            return [];
        }

        var result = new string[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = values[i] ?? string.Empty;
        }

        return result;
    }

    /// <summary>Fail closed before the effect: while the trail cannot be written, no write runs (its record would be lost).</summary>
    private void RefuseWritesWhileTrailUnwritable(string service, string operation)
    {
        if (_auditTrail == AuditTrailMode.Durable && !_audit.IsWritable && !AuditShape.IsReadOnly(service, operation))
        {
            throw new AwsError("ServiceUnavailable", "The audit trail cannot be written, so the request was not run. Try again later.", 503);
        }
    }

    /// <summary>Counts a failed authentication toward the limits; returns how long to hold its answer.</summary>
    private async Task<TimeSpan> AuthFailedAsync(string address, string? claimedKey, string code)
    {
        var signature = code is "InvalidSignatureException" or "UnrecognizedClientException";
        var (delay, lockedOut) = _limiter.RecordAuthFailure(address, claimedKey, signature);
        ServerMetrics.AuthFailures.WithLabels(code).Inc();
        if (delay > TimeSpan.Zero)
        {
            ServerMetrics.Throttled.WithLabels("slowdown").Inc();
        }

        if (lockedOut)
        {
            ServerMetrics.Lockouts.Inc();
            LogLockout(_logger, address, claimedKey ?? string.Empty);
            try
            {
                await _events.RecordAsync("AuthenticationLockout", "strongroom", null, null, new Dictionary<string, string> { ["sourceIPAddress"] = address, ["accessKeyId"] = claimedKey ?? string.Empty });
            }
            catch (AuditUnavailableException)
            {
                // The failed call's own record still fails closed below; the lockout holds either way.
            }
        }

        return delay;
    }

    private async Task InvokeJsonAsync(IJsonService service, string operation, CallerIdentity caller, Core.Policies.ICallerAccess access, JsonInput input, Core.Secrets.SecretResolution? resolved, ArrayBufferWriter<byte> output, CancellationToken ct)
    {
        await using var writer = new Utf8JsonWriter(output);
        await service.InvokeAsync(operation, new JsonCall(caller.Region, caller.PrincipalArn, _authorizer.IsAdmin(caller), access, input, writer, ct, resolved));
    }

    /// <summary>
    /// Finishes the record of one call from parts that are already validated and bounded (the request parameters were
    /// built before the effect); what is added here (identity, error, response identifiers) cannot fail.
    /// </summary>
    private AuditEvent BuildEvent(HttpContext context, string requestId, DateTimeOffset started, string? service, string operation, CallerIdentity? caller, string? requestParameters, ReadOnlyMemory<byte> output, AwsError? error, bool webIdentity, WebIdentityResult? webIdentityResult)
    {
        var source = (service ?? caller?.Service ?? "unknown") + ".amazonaws.com";
        var readOnly = AuditShape.IsReadOnly(service ?? string.Empty, operation);
        var (responseElements, resources) = error is null && !(service is not null && IamApi.SigningNames.Contains(service)) ? AuditShape.FromResponse(service ?? string.Empty, output, readOnly) : (null, []);
        if (error is not null)
        {
            // A denied or failed call names the secret it asked for, so a lookup by resource shows who tried.
            resources = AuditRequestedResource.FromRequest(service, requestParameters, caller?.Region ?? _identity.DefaultRegion, _identity.AccountId);
        }

        AuditIdentity identity;
        if (webIdentityResult is not null)
        {
            // As CloudTrail records a web identity: who the token proved, and the session's key id (never the token or secret).
            var w = webIdentityResult;
            identity = new AuditIdentity("WebIdentityUser", $"{w.ProviderName}:{w.Audience}:{w.Subject}", string.Empty, _identity.AccountId, null, w.Subject);
            responseElements = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["credentials"] = new Dictionary<string, string> { ["accessKeyId"] = w.Session.AccessKeyId, ["expiration"] = w.Session.Expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) },
                ["subjectFromWebIdentityToken"] = w.Subject,
                ["assumedRoleUser"] = new Dictionary<string, string> { ["assumedRoleId"] = w.Role.RoleId + ":" + w.Session.SessionName, ["arn"] = $"arn:aws:sts::{_identity.AccountId}:assumed-role/{w.Role.Name}/{w.Session.SessionName}" },
                ["provider"] = w.ProviderArn,
                ["audience"] = w.Audience,
            });
        }
        else if (caller is not null)
        {
            identity = AuditIdentities.For(caller, _identity.AccountId, PrincipalId);
        }
        else
        {
            identity = new AuditIdentity("Unknown", string.Empty, string.Empty, _identity.AccountId, RequestWire.ClaimedAccessKey(context.Request.Headers.Authorization.ToString()), null);
        }

        return new AuditEvent
        {
            EventName = string.IsNullOrEmpty(operation) ? "Unknown" : AuditShape.Cut(operation, 128, out _),
            EventSource = source,
            AwsRegion = caller?.Region ?? _identity.DefaultRegion,
            AccountId = _identity.AccountId,
            EventTime = started,
            RequestId = requestId,
            UserIdentity = identity,
            SourceIpAddress = context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Truncate(context.Request.Headers.UserAgent.ToString(), 1024),
            RequestParametersJson = caller is null && !webIdentity ? null : requestParameters,
            ResponseElementsJson = responseElements,
            ErrorCode = error?.Code,
            ErrorMessage = error is null ? null : AuditShape.Cut(error.Message, AuditShape.MaxStringChars, out _),
            ReadOnly = readOnly,
            Resources = resources.Select(r => new AuditResource(r.Arn, r.Type)).ToList(),
        };
    }

    /// <summary>The request's own global condition keys, for a trust policy decided without a caller.</summary>
    private Dictionary<string, IReadOnlyList<string>> RequestKeys(HttpContext context)
    {
        var now = _time.GetUtcNow();
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["aws:CurrentTime"] = [now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)],
            ["aws:EpochTime"] = [now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ["aws:SecureTransport"] = [context.Request.IsHttps ? "true" : "false"],
        };
        if (context.Connection.RemoteIpAddress?.ToString() is { } ip)
        {
            keys["aws:SourceIp"] = [ip];
        }

        return keys;
    }

    private static string? Truncate(string value, int max) => value.Length == 0 ? null : value.Length <= max ? value : value[..max];

    /// <summary>
    /// A stable principal id in AWS's shape (AIDA + 17 characters) derived from the principal's ARN: only for audit records
    /// of callers that carry no stored principal id (none today; kept for records built without a resolved caller).
    /// </summary>
    public static string PrincipalId(string arn)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(arn));
        var builder = new StringBuilder("AIDA", 21);
        for (var i = 0; i < 17; i++)
        {
            builder.Append(alphabet[hash[i] % 32]);
        }

        return builder.ToString();
    }

    /// <summary>AWS's JSON error shape. Secrets Manager names the text "Message", KMS "message".</summary>
    public static Task WriteErrorAsync(HttpContext context, AwsError error, string messageMember) => AwsErrorResponse.WriteAsync(context, error, messageMember);

    [LoggerMessage(EventId = 7201, Level = LogLevel.Warning, Message = "Authentication lockout: too many signature failures from {Address} for access key id {AccessKeyId}; refused until the lockout ends")]
    private static partial void LogLockout(ILogger logger, string address, string accessKeyId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Request {RequestId} answered ServiceUnavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string requestId, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Request {RequestId} failed with an internal error {ExceptionType}: {StackTrace}")]
    private static partial void LogInternalError(ILogger logger, string requestId, string exceptionType, string? stackTrace);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Critical, Message = "Request {RequestId} was refused because its audit record could not be written ({ExceptionType})")]
    private static partial void LogAuditFailed(ILogger logger, string requestId, string exceptionType);
}
