using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Protocol.Aws;

namespace Strongroom.Server;

/// <summary>AWS's JSON error answer, moved out of <see cref="ApiEndpoint"/>.</summary>
internal static class AwsErrorResponse
{
    private const string JsonContentType = "application/x-amz-json-1.1";

    /// <summary>AWS's JSON error shape. Secrets Manager names the text "Message", KMS "message".</summary>
    internal static async Task WriteAsync(HttpContext context, AwsError error, string messageMember)
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
            writer.WriteString("__type", JsonText(error.Code));
            writer.WriteString(messageMember, JsonText(error.Message));
            writer.WriteEndObject();
        }

        context.Response.ContentLength = output.WrittenCount;
        await context.Response.Body.WriteAsync(output.WrittenMemory);
    }

    /// <summary><paramref name="text"/> with each unpaired surrogate replaced by U+FFFD (a JSON writer refuses them).</summary>
    internal static string JsonText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                var chars = text.ToCharArray();
                for (var j = i; j < chars.Length; j++)
                {
                    if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1]))
                    {
                        j++;
                    }
                    else if (char.IsSurrogate(chars[j]))
                    {
                        chars[j] = '\uFFFD';
                    }
                }

                return new string(chars);
            }
        }

        return text;
    }
}
