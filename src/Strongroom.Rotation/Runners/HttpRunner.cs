using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Rotation;

namespace Strongroom.Rotation.Runners;

/// <summary>
/// An HTTP function: the event JSON is POSTed to the function's URL with
/// <c>X-Strongroom-Timestamp</c> (Unix seconds) and
/// <c>X-Strongroom-Signature: sha256=HEX(HMAC-SHA256(key, timestamp + "." + body))</c>, the key
/// being the one CreateRotationFunction returned. Any 2xx answer is success. The client it is given follows no
/// redirects and connects only to hosts the operator allows (<see cref="OutboundPolicy.CreateHttpHandler"/>).
/// </summary>
internal sealed class HttpRunner
{
    private readonly HttpClient _http;
    private readonly IRotationFunctions _functions;

    public HttpRunner(HttpClient http, IRotationFunctions functions)
    {
        _http = http;
        _functions = functions;
    }

    /// <summary>Largest part of an error answer's body kept (its head), masked before it is stored.</summary>
    internal const int BodyLimitBytes = 8 * 1024;

    public async Task InvokeAsync(RotationFunction function, RotationStep step, RotationStepOutput output, CancellationToken ct)
    {
        var url = function.Url ?? throw new RotationFailedException("The function has no URL.");
        var body = RotationInvoker.EventJson(step);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var key = await _functions.GetHmacKeyAsync(function, ct) ?? throw new RotationFailedException("The function has no signing key.");
        string signature;
        try
        {
            var signed = new byte[timestamp.Length + 1 + body.Length];
            Encoding.ASCII.GetBytes(timestamp + ".", signed);
            body.CopyTo(signed, timestamp.Length + 1);
            signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, signed));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Strongroom-Timestamp", timestamp);
        request.Headers.Add("X-Strongroom-Signature", signature);
        request.Headers.Add("X-Strongroom-Function", function.Arn);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            {
                if (inner is OutboundRefusedException refused)
                {
                    throw new RotationFailedException(refused.Message);
                }
            }

            throw new RotationFailedException($"POST to the function's URL failed ({e.HttpRequestError}).");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                await ReadBodyAsync(response, output, ct);
                throw new RotationFailedException($"the function's URL answered HTTP {(int)response.StatusCode}.");
            }
        }
    }

    /// <summary>The head of an error answer's body, as text, into the step's output; a body that cannot be read adds nothing.</summary>
    private static async Task ReadBodyAsync(HttpResponseMessage response, RotationStepOutput output, CancellationToken ct)
    {
        var head = new byte[BodyLimitBytes];
        var length = 0;
        var more = false;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            int read;
            while (length < head.Length && (read = await stream.ReadAsync(head.AsMemory(length), ct)) > 0)
            {
                length += read;
            }

            more = length == head.Length && await stream.ReadAsync(new byte[1], ct) > 0;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The status already says it failed; the body is a courtesy.
        }

        if (length > 0)
        {
            output.Write("body", System.Text.Encoding.UTF8.GetString(head, 0, length) + (more ? "\n[rest of the body dropped]" : string.Empty));
        }

        Array.Clear(head);
    }
}
