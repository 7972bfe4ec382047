using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Strongroom.Bench;

/// <summary>
/// The "ceiling": bare Kestrel, configured like Strongroom's host (slim builder, no server header,
/// loopback HTTP/1.1), that reads the request body and answers a fixed 200-byte JSON document. Run as
/// its own process (`Strongroom.Bench ceiling-server --port N`) so it is measured like Strongroom.
/// </summary>
internal static class CeilingServer
{
    /// <summary>Exactly 200 bytes of JSON, shaped like a GetSecretValue answer.</summary>
    public static readonly byte[] Body = MakeBody();

    private static byte[] MakeBody()
    {
        var prefix = "{\"ARN\":\"arn:aws:secretsmanager:us-east-1:111122223333:secret:bench-AbCdEf\",\"Name\":\"bench\",\"VersionStages\":[\"AWSCURRENT\"],\"SecretString\":\"";
        var suffix = "\"}";
        var body = prefix + new string('x', 200 - prefix.Length - suffix.Length) + suffix;
        return System.Text.Encoding.ASCII.GetBytes(body);
    }

    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            if (HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.ContentLength = 5;
                await context.Response.Body.WriteAsync("ready"u8.ToArray());
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-amz-json-1.1";
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body, context.RequestAborted);
        });
        await app.RunAsync();
        return 0;
    }
}
