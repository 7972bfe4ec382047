using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Errors;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.Kms;
using Strongroom.Protocol.Aws.SecretsManager;

namespace Strongroom.Server;

/// <summary>
/// POST /: verifies SigV4, routes by X-Amz-Target, and writes the answer or AWS's error shape. Request
/// bodies are never logged (they hold secret values).
/// </summary>
public sealed partial class ApiEndpoint
{
    private const int MaxBody = 1024 * 1024;
    private const string JsonContentType = "application/x-amz-json-1.1";
    private readonly SigV4Verifier _verifier;
    private readonly SecretsManagerApi _secretsManager;
    private readonly KmsApi _kms;
    private readonly ILogger<ApiEndpoint> _logger;

    public ApiEndpoint(SigV4Verifier verifier, SecretsManagerApi secretsManager, KmsApi kms, ILogger<ApiEndpoint> logger)
    {
        _verifier = verifier;
        _secretsManager = secretsManager;
        _kms = kms;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        byte[]? rented = null;
        var messageMember = context.Request.Headers["X-Amz-Target"].ToString().StartsWith(KmsApi.TargetPrefix, StringComparison.Ordinal) ? "message" : "Message";
        try
        {
            var (buffer, length) = await ReadBodyAsync(context.Request, context.RequestAborted);
            rented = buffer;
            var body = new ReadOnlyMemory<byte>(buffer, 0, length);
            var target = context.Request.Headers["X-Amz-Target"].ToString();
            var headers = context.Request.Headers;
            var caller = await _verifier.VerifyAsync(
                new SigV4Request(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, name => headers[name].Select(v => v ?? string.Empty).ToArray(), body),
                context.RequestAborted);

            var (service, prefix) = target.StartsWith(SecretsManagerApi.TargetPrefix, StringComparison.Ordinal) ? ("secretsmanager", SecretsManagerApi.TargetPrefix)
                : target.StartsWith(KmsApi.TargetPrefix, StringComparison.Ordinal) ? ("kms", KmsApi.TargetPrefix)
                : throw new AwsError("UnknownOperationException", string.Empty);
            messageMember = service == "kms" ? "message" : "Message";
            if (caller.Service != service)
            {
                throw new AwsError("InvalidSignatureException", $"Credential should be scoped to correct service: '{service}'. ");
            }

            var operation = target[prefix.Length..];
            var output = new ArrayBufferWriter<byte>(512);
            await using (var writer = new Utf8JsonWriter(output))
            {
                if (service == "kms")
                {
                    await _kms.InvokeAsync(operation, caller.Region, body, writer, context.RequestAborted);
                }
                else
                {
                    await _secretsManager.InvokeAsync(operation, caller.Region, body, writer, context.RequestAborted);
                }
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = JsonContentType;
            context.Response.ContentLength = output.WrittenCount;
            await context.Response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            var error = AwsErrorMapper.Map(e);
            if (error.Status >= 500)
            {
                LogInternalError(_logger, requestId, e.GetType().Name, e.StackTrace);
            }

            await WriteErrorAsync(context, error, messageMember);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
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

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Request {RequestId} failed with an internal error {ExceptionType}: {StackTrace}")]
    private static partial void LogInternalError(ILogger logger, string requestId, string exceptionType, string? stackTrace);
}
