using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Core.Audit;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.CloudTrail;
using Strongroom.Protocol.Aws.Iam;
using Strongroom.Protocol.Aws.Kms;
using Strongroom.Protocol.Aws.SecretsManager;
using Strongroom.Protocol.Aws.Ssm;
using Strongroom.Protocol.Aws.Strongroom;

namespace Strongroom.Server;

/// <summary>
/// POST /: verifies SigV4, routes by X-Amz-Target, records the call in the audit trail, and only then
/// answers (fail closed: no durable record, no answer). Request bodies are never logged: they hold secret
/// values. The response buffer is zeroed once written.
/// </summary>
public sealed partial class ApiEndpoint
{
    private const int MaxBody = 1024 * 1024;
    private const string JsonContentType = "application/x-amz-json-1.1";
    private readonly SigV4Verifier _verifier;
    private readonly SecretsManagerApi _secretsManager;
    private readonly KmsApi _kms;
    private readonly CloudTrailApi _cloudTrail;
    private readonly SsmApi _ssm;
    private readonly IamApi _iamApi;
    private readonly RotationAdminApi _rotationAdmin;
    private readonly Authorizer _authorizer;
    private readonly Core.Storage.IStore _store;
    private readonly AuditLog _audit;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger<ApiEndpoint> _logger;
    private readonly AuditTrailMode _auditTrail;
    private readonly AuditAdminApi _auditAdmin;

    public ApiEndpoint(SigV4Verifier verifier, SecretsManagerApi secretsManager, KmsApi kms, CloudTrailApi cloudTrail, SsmApi ssm, IamApi iamApi, RotationAdminApi rotationAdmin, Authorizer authorizer, Core.Storage.IStore store, AuditLog audit, ServerIdentity identity, TimeProvider time, ILogger<ApiEndpoint> logger, ServerOptions options, AuditAdminApi auditAdmin)
    {
        _auditAdmin = auditAdmin;
        _rotationAdmin = rotationAdmin;
        _auditTrail = options.AuditTrail;
        _store = store;
        _iamApi = iamApi;
        _authorizer = authorizer;
        _ssm = ssm;
        _verifier = verifier;
        _secretsManager = secretsManager;
        _kms = kms;
        _cloudTrail = cloudTrail;
        _audit = audit;
        _identity = identity;
        _time = time;
        _logger = logger;
    }

    private static (string? Service, string Operation) Route(string target) =>
        target.StartsWith(SecretsManagerApi.TargetPrefix, StringComparison.Ordinal) ? ("secretsmanager", target[SecretsManagerApi.TargetPrefix.Length..])
        : target.StartsWith(KmsApi.TargetPrefix, StringComparison.Ordinal) ? ("kms", target[KmsApi.TargetPrefix.Length..])
        : target.StartsWith(CloudTrailApi.TargetPrefix, StringComparison.Ordinal) ? ("cloudtrail", target[CloudTrailApi.TargetPrefix.Length..])
        : target.StartsWith(SsmApi.TargetPrefix, StringComparison.Ordinal) ? ("ssm", target[SsmApi.TargetPrefix.Length..])
        : target.StartsWith(RotationAdminApi.TargetPrefix, StringComparison.Ordinal) ? ("strongroom", target[RotationAdminApi.TargetPrefix.Length..])
        : (null, target);

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = Guid.NewGuid().ToString();
        var started = _time.GetUtcNow();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        var (service, operation) = Route(context.Request.Headers["X-Amz-Target"].ToString());
        var isQuery = service is null && context.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;
        QueryRequest? query = null;
        var messageMember = service is "kms" or "ssm" ? "message" : "Message";
        byte[]? rented = null;
        var output = new ArrayBufferWriter<byte>(512);
        CallerIdentity? caller = null;
        AwsError? error = null;
        var body = ReadOnlyMemory<byte>.Empty;
        try
        {
            var (buffer, length) = await ReadBodyAsync(context.Request, context.RequestAborted);
            rented = buffer;
            body = new ReadOnlyMemory<byte>(buffer, 0, length);
            var headers = context.Request.Headers;
            caller = await _verifier.VerifyAsync(
                new SigV4Request(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, name => headers[name].Select(v => v ?? string.Empty).ToArray(), body),
                context.RequestAborted);
            if (isQuery && caller.Service is "iam" or "sts")
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

            await _authorizer.AuthorizeAsync(caller, service, operation, body, query, context.Connection.RemoteIpAddress?.ToString(), context.Request.IsHttps, context.RequestAborted);
            var authorizedCaller = caller;
            SecretsManagerApi.ReadCheck.Value = Authorizer.IsAdmin(caller) ? null : id => _authorizer.CanReadAsync(authorizedCaller, id, context.RequestAborted);
            if (query is not null)
            {
                var xml = await _iamApi.InvokeAsync(service, query, requestId, caller.PrincipalArn, caller.UserName, caller.AccessKeyId, context.RequestAborted);
                output.Write(System.Text.Encoding.UTF8.GetBytes(xml));
            }
            else
            {
                await InvokeJsonAsync(service, operation, caller, body, output, context.RequestAborted);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            error = AwsErrorMapper.Map(e);
            if (isQuery)
            {
                // The Query services name authentication failures differently and answer 403.
                error = error.Code switch
                {
                    "UnrecognizedClientException" => new AwsError("InvalidClientTokenId", error.Message, 403),
                    "InvalidSignatureException" => new AwsError("SignatureDoesNotMatch", error.Message, 403),
                    "IncompleteSignatureException" or "MissingAuthenticationTokenException" => new AwsError(error.Code.Replace("Exception", string.Empty, StringComparison.Ordinal), error.Message, 403),
                    "ExpiredTokenException" => new AwsError("ExpiredToken", error.Message, 403),
                    _ => error,
                };
            }

            if (e is Core.Storage.StoreUnavailableException)
            {
                LogStoreUnavailable(_logger, requestId, e.Message);
            }
            else if (error.Status >= 500)
            {
                LogInternalError(_logger, requestId, e.GetType().Name, e.StackTrace);
            }

            output.Clear();
        }

        var auditStarted = _time.GetTimestamp();
        try
        {
            switch (_auditTrail)
            {
                case AuditTrailMode.Durable:
                    await _audit.AppendAsync(BuildEvent(context, requestId, started, service, operation, caller, body, output.WrittenMemory, error, query));
                    break;
                case AuditTrailMode.NotAwaited:
                    _ = _audit.AppendAsync(BuildEvent(context, requestId, started, service, operation, caller, body, output.WrittenMemory, error, query));
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
        // Only operations we serve become label values, so clients cannot grow the metric set.
        var operationLabel = service switch
        {
            "secretsmanager" when _secretsManager.Handles(operation) => operation,
            "kms" when _kms.Operations.Contains(operation) => operation,
            "cloudtrail" when operation == "LookupEvents" => operation,
            "ssm" when _ssm.Operations.Contains(operation) => operation,
            "strongroom" when operation is "ExplainAccess" or AuditAdminApi.VerifyOperation || _rotationAdmin.Handles(operation) => operation,
            "iam" or "sts" when _iamApi.Handles(service, operation) => operation,
            _ => "unknown",
        };
        ServerMetrics.Requests.WithLabels(label, operationLabel, error?.Code ?? string.Empty).Inc();
        ServerMetrics.Latency.WithLabels(label, operationLabel).Observe((_time.GetUtcNow() - started).TotalSeconds);
        try
        {
            if (error is not null)
            {
                if (isQuery)
                {
                    var xml = System.Text.Encoding.UTF8.GetBytes(QueryWriter.Error(service == "sts" ? IamApi.StsNamespace : IamApi.IamNamespace, error, requestId));
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
        finally
        {
            output.Clear();
        }
    }

    private async Task InvokeJsonAsync(string service, string operation, CallerIdentity caller, ReadOnlyMemory<byte> body, ArrayBufferWriter<byte> output, CancellationToken ct)
    {
        await using var writer = new Utf8JsonWriter(output);
        switch (service)
        {
            case "kms":
                await _kms.InvokeAsync(operation, caller.Region, body, writer, ct);
                break;
            case "cloudtrail":
                await _cloudTrail.InvokeAsync(operation, body, writer, ct);
                break;
            case "ssm":
                await _ssm.InvokeAsync(operation, caller.Region, caller.PrincipalArn, body, writer, ct);
                break;
            case "strongroom":
                await AdminAsync(operation, caller, body, writer, ct);
                break;
            default:
                await _secretsManager.InvokeAsync(operation, caller.Region, body, writer, ct);
                break;
        }
    }

    /// <summary>
    /// Strongroom's own admin API (X-Amz-Target "Strongroom.*"). Rotation-function operations are open to whoever an
    /// IAM policy allows strongroom:&lt;Operation&gt; (already checked by the authorizer), and so is VerifyAuditTrail;
    /// ExplainAccess is for the admin only.
    /// </summary>
    private async Task AdminAsync(string operation, CallerIdentity caller, ReadOnlyMemory<byte> body, Utf8JsonWriter writer, CancellationToken ct)
    {
        if (_rotationAdmin.Handles(operation))
        {
            await _rotationAdmin.InvokeAsync(operation, caller.Region, body, writer, ct);
            return;
        }

        if (operation == AuditAdminApi.VerifyOperation)
        {
            await _auditAdmin.VerifyAsync(writer, ct);
            return;
        }

        if (!Authorizer.IsAdmin(caller))
        {
            throw new AwsError("AccessDeniedException", $"User: {caller.PrincipalArn} is not authorized to perform: strongroom:{operation}: Strongroom's admin API is for the administrator only.");
        }

        if (operation != "ExplainAccess")
        {
            throw new AwsError("UnknownOperationException", $"Strongroom's admin API has no operation {operation}.");
        }

        using var input = Protocol.Aws.Json.JsonInput.Parse(body);
        var context = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        if (input.Object("Context") is { } map)
        {
            foreach (var property in map.EnumerateObject())
            {
                context.Add(new(property.Name, property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().Select(v => v.ToString()).ToList() : [property.Value.ToString()]));
            }
        }

        var explanation = await ExplainTool.ExplainAsync(_store, input.RequiredString("UserName"), input.RequiredString("Action"), input.RequiredString("Resource"), context, ct);
        writer.WriteStartObject();
        writer.WriteString("Decision", explanation.Decision);
        writer.WriteBoolean("Allowed", explanation.Allowed);
        Protocol.Aws.Json.JsonOutput.String(writer, "PolicyName", explanation.PolicyName);
        Protocol.Aws.Json.JsonOutput.String(writer, "StatementSid", explanation.StatementSid);
        if (explanation.StatementIndex is { } index)
        {
            writer.WriteNumber("StatementIndex", index);
        }

        writer.WriteString("Explanation", explanation.Text);
        writer.WriteEndObject();
    }

    private AuditEvent BuildEvent(HttpContext context, string requestId, DateTimeOffset started, string? service, string operation, CallerIdentity? caller, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> output, AwsError? error, QueryRequest? query)
    {
        var source = (service ?? caller?.Service ?? "unknown") + ".amazonaws.com";
        var readOnly = AuditShape.IsReadOnly(service ?? string.Empty, operation);
        var (responseElements, resources) = error is null && service is not ("iam" or "sts") ? AuditShape.FromResponse(service ?? string.Empty, output, readOnly) : (null, []);
        AuditIdentity identity;
        if (caller is not null)
        {
            identity = new AuditIdentity("IAMUser", PrincipalId(caller.PrincipalArn), caller.PrincipalArn, _identity.AccountId, caller.AccessKeyId, caller.UserName);
        }
        else
        {
            identity = new AuditIdentity("Unknown", string.Empty, string.Empty, _identity.AccountId, ClaimedAccessKey(context.Request.Headers.Authorization.ToString()), null);
        }

        return new AuditEvent
        {
            EventName = string.IsNullOrEmpty(operation) ? "Unknown" : operation,
            EventSource = source,
            AwsRegion = caller?.Region ?? _identity.DefaultRegion,
            AccountId = _identity.AccountId,
            EventTime = started,
            RequestId = requestId,
            UserIdentity = identity,
            SourceIpAddress = context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Truncate(context.Request.Headers.UserAgent.ToString(), 1024),
            RequestParametersJson = caller is null ? null : query is not null ? QueryParameters(query) : AuditShape.RequestParameters(body),
            ResponseElementsJson = responseElements,
            ErrorCode = error?.Code,
            ErrorMessage = error?.Message,
            ReadOnly = readOnly,
            Resources = resources.Select(r => new AuditResource(r.Arn, r.Type)).ToList(),
        };
    }

    private static string QueryParameters(QueryRequest query) =>
        JsonSerializer.Serialize(query.All.Where(p => p.Key is not ("Action" or "Version")).ToDictionary(p => char.ToLowerInvariant(p.Key[0]) + p.Key[1..], p => p.Value));

    private static string? Truncate(string value, int max) => value.Length == 0 ? null : value.Length <= max ? value : value[..max];

    /// <summary>A stable principal id in AWS's shape (AIDA + 17 characters) derived from the principal's ARN.</summary>
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

    private static string? ClaimedAccessKey(string authorization)
    {
        var start = authorization.IndexOf("Credential=", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += "Credential=".Length;
        var end = authorization.IndexOf('/', start);
        return end > start && end - start <= 128 ? authorization[start..end] : null;
    }

    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBody)
        {
            throw new AwsError("SerializationException", "The request body is too large.", 413);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)(request.ContentLength ?? 4096) + 1);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length >= MaxBody)
                {
                    ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    throw new AwsError("SerializationException", "The request body is too large.", 413);
                }

                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBody + 1));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                buffer = bigger;
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
        }
    }

    /// <summary>AWS's JSON error shape. Secrets Manager names the text "Message", KMS "message".</summary>
    public static async Task WriteErrorAsync(HttpContext context, AwsError error, string messageMember)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = error.Status;
        context.Response.ContentType = JsonContentType;
        context.Response.Headers["x-amzn-ErrorType"] = error.Code;
        var output = new ArrayBufferWriter<byte>(256);
        await using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("__type", error.Code);
            writer.WriteString(messageMember, error.Message);
            writer.WriteEndObject();
        }

        context.Response.ContentLength = output.WrittenCount;
        await context.Response.Body.WriteAsync(output.WrittenMemory);
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Request {RequestId} answered ServiceUnavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string requestId, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Request {RequestId} failed with an internal error {ExceptionType}: {StackTrace}")]
    private static partial void LogInternalError(ILogger logger, string requestId, string exceptionType, string? stackTrace);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Critical, Message = "Request {RequestId} was refused because its audit record could not be written ({ExceptionType})")]
    private static partial void LogAuditFailed(ILogger logger, string requestId, string exceptionType);
}
