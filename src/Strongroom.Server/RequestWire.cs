using System.Buffers;
using Microsoft.AspNetCore.Http;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Iam;

namespace Strongroom.Server;

/// <summary>
/// The request's bytes before any service sees them (moved out of <see cref="ApiEndpoint"/>): the bounded body read, a
/// transport failure as AWS's error, the access key a failed signature claimed, and the two STS calls AWS serves
/// unsigned.
/// </summary>
internal static class RequestWire
{
    internal static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, int maxBody, CancellationToken ct)
    {
        if (request.ContentLength > maxBody)
        {
            throw new AwsError("SerializationException", "The request body is too large.", 413);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)(request.ContentLength ?? 4096) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= maxBody)
                    {
                        throw new AwsError("SerializationException", "The request body is too large.", 413);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBody + 1));
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
        catch
        {
            // Too large, malformed or too slow (Kestrel's BadHttpRequestException): the part read is zeroed and returned.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            throw;
        }
    }

    /// <summary>A request Kestrel could not read (too large, malformed chunking, too slow) as AWS's error for it.</summary>
    internal static AwsError TransportError(Microsoft.AspNetCore.Http.BadHttpRequestException e) => e.StatusCode switch
    {
        413 => new AwsError("SerializationException", "The request body is too large.", 413),
        408 => new AwsError("RequestTimeoutException", "The request body did not arrive in time.", 408),
        _ => new AwsError("SerializationException", "The request body could not be read: " + e.Message, e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400),
    };

    internal static string? ClaimedAccessKey(string authorization)
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

    /// <summary>
    /// The query of an unsigned STS call AWS serves unsigned (AssumeRoleWithWebIdentity, AssumeRoleWithSAML), or null:
    /// no Authorization header, no presigned-URL parameters, no X-Amz-Target, a form body whose Action is exactly one
    /// of those two and whose Version is STS's. Nothing else is ever served unsigned.
    /// </summary>
    internal static QueryRequest? UnsignedStsCall(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        if (request.Headers.ContainsKey("Authorization") || request.Headers.ContainsKey("X-Amz-Target")
            || request.Query.Keys.Any(k => k.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var query = QueryRequest.Parse(body);
        return IamApi.UnsignedStsActions.Contains(query.Action) && query.Get("Version") == IamApi.StsVersion ? query : null;
    }
}
