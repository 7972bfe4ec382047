using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strongroom.Bench;

/// <summary>The status and (when asked for, or on an error status) the body of one response.</summary>
internal readonly record struct HttpResult(int Status, byte[]? Body)
{
    public string BodyText => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A minimal HTTP/1.1 keep-alive client over one socket: one request in flight, no pipelining. It
/// understands Content-Length, chunked bodies and Connection: close (reconnecting on the next request),
/// which is all Kestrel and werkzeug send. The load generator uses it instead of HttpClient so that the
/// client's own CPU cost (it shares the machine's two cores with the server) stays small. Not thread-safe.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private readonly IPEndPoint _endPoint;
    private Socket? _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private byte[] _request = new byte[4 * 1024];

    public RawHttpConnection(IPEndPoint endPoint)
    {
        _endPoint = endPoint;
    }

    public string HostHeader => $"{_endPoint.Address}:{_endPoint.Port}";

    public async Task ConnectAsync(CancellationToken ct)
    {
        _socket?.Dispose();
        _socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await _socket.ConnectAsync(_endPoint, ct);
        _start = _end = 0;
    }

    /// <summary>Builds and sends a signed awsJson 1.1 POST / and reads the whole response.</summary>
    public ValueTask<HttpResult> PostAsync(SigV4Signer signer, string target, string service, ReadOnlySpan<byte> body, bool captureBody, CancellationToken ct)
    {
        var host = HostHeader;
        var amzDate = signer.AmzDateNow();
        var authorization = signer.Authorization(host, target, service, amzDate, body);
        var head = $"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {SigV4Signer.ContentType}\r\nX-Amz-Target: {target}\r\nX-Amz-Date: {amzDate}\r\nAuthorization: {authorization}\r\nContent-Length: {body.Length}\r\n\r\n";
        var length = Encoding.ASCII.GetByteCount(head) + body.Length;
        if (_request.Length < length)
        {
            _request = new byte[Math.Max(length, _request.Length * 2)];
        }

        var written = Encoding.ASCII.GetBytes(head, _request);
        body.CopyTo(_request.AsSpan(written));
        return SendAsync(_request.AsMemory(0, length), captureBody, ct);
    }

    /// <summary>Builds and sends a signed Query-protocol POST / (IAM, STS; setup only) and reads the whole response.</summary>
    public ValueTask<HttpResult> QueryAsync(SigV4Signer signer, string service, byte[] body, CancellationToken ct)
    {
        var host = HostHeader;
        var amzDate = signer.AmzDateNow();
        var authorization = signer.QueryAuthorization(host, service, amzDate, body);
        var head = $"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {SigV4Signer.QueryContentType}\r\nX-Amz-Date: {amzDate}\r\nAuthorization: {authorization}\r\nContent-Length: {body.Length}\r\n\r\n";
        var request = new byte[Encoding.ASCII.GetByteCount(head) + body.Length];
        var written = Encoding.ASCII.GetBytes(head, request);
        body.CopyTo(request.AsSpan(written));
        return SendAsync(request, captureBody: true, ct);
    }

    public ValueTask<HttpResult> GetAsync(string path, bool captureBody, CancellationToken ct)
    {
        var head = $"GET {path} HTTP/1.1\r\nHost: {HostHeader}\r\n\r\n";
        var written = Encoding.ASCII.GetBytes(head, _request);
        return SendAsync(_request.AsMemory(0, written), captureBody, ct);
    }

    public async ValueTask<HttpResult> SendAsync(ReadOnlyMemory<byte> request, bool captureBody, CancellationToken ct)
    {
        var reused = _socket is not null;
        if (_socket is null)
        {
            await ConnectAsync(ct);
        }

        try
        {
            return await SendOnceAsync(request, captureBody, ct);
        }
        catch (Exception e) when (reused && e is IOException or SocketException)
        {
            // The server closed an idle keep-alive connection: reconnect once.
            await ConnectAsync(ct);
            return await SendOnceAsync(request, captureBody, ct);
        }
    }

    private async ValueTask<HttpResult> SendOnceAsync(ReadOnlyMemory<byte> request, bool captureBody, CancellationToken ct)
    {
        var socket = _socket!;
        var sent = 0;
        while (sent < request.Length)
        {
            sent += await socket.SendAsync(request[sent..], SocketFlags.None, ct);
        }

        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
        {
            if (!await FillAsync(ct))
            {
                throw new IOException("connection closed before the response headers");
            }
        }

        var head = _buffer.AsSpan(_start, headerEnd);
        var status = ParseStatus(head, out var http10);
        long contentLength = -1;
        var chunked = false;
        var close = http10;
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                contentLength = long.Parse(Encoding.ASCII.GetString(value), System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = value.IndexOf("chunked"u8) >= 0;
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8) || (http10 && !Ascii.EqualsIgnoreCase(value, "keep-alive"u8));
            }
        }

        _start += headerEnd + HeaderEnd.Length;
        var sink = captureBody || status != 200 ? new ArrayBufferWriter<byte>() : null;
        if (chunked)
        {
            while (true)
            {
                var line = await ReadLineAsync(ct);
                var semicolon = line.IndexOf(';', StringComparison.Ordinal);
                var size = Convert.ToInt64(semicolon >= 0 ? line[..semicolon] : line, 16);
                if (size == 0)
                {
                    // Trailers (none expected) end with an empty line.
                    while ((await ReadLineAsync(ct)).Length > 0)
                    {
                    }

                    break;
                }

                await ConsumeAsync(size, sink, ct);
                await ReadLineAsync(ct);
            }
        }
        else if (contentLength >= 0)
        {
            await ConsumeAsync(contentLength, sink, ct);
        }
        else
        {
            await ConsumeAsync(long.MaxValue, sink, ct);
            close = true;
        }

        if (close)
        {
            _socket?.Dispose();
            _socket = null;
        }

        return new HttpResult(status, sink?.WrittenSpan.ToArray());
    }

    private static int ParseStatus(ReadOnlySpan<byte> head, out bool http10)
    {
        // "HTTP/1.1 200 OK"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8))
        {
            throw new IOException("not an HTTP/1.x response");
        }

        http10 = head[7] == (byte)'0';
        return ((head[9] - '0') * 100) + ((head[10] - '0') * 10) + (head[11] - '0');
    }

    private async ValueTask<string> ReadLineAsync(CancellationToken ct)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            if (!await FillAsync(ct))
            {
                throw new IOException("connection closed inside a chunked body");
            }
        }

        var line = Encoding.ASCII.GetString(_buffer, _start, end);
        _start += end + 2;
        return line;
    }

    /// <summary>Skips (or copies into <paramref name="sink"/>) <paramref name="count"/> body bytes; long.MaxValue reads to end of stream.</summary>
    private async ValueTask ConsumeAsync(long count, ArrayBufferWriter<byte>? sink, CancellationToken ct)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(ct))
            {
                if (count == long.MaxValue)
                {
                    return;
                }

                throw new IOException("connection closed inside the response body");
            }

            var take = (int)Math.Min(count, _end - _start);
            sink?.Write(_buffer.AsSpan(_start, take));
            _start += take;
            if (count != long.MaxValue)
            {
                count -= take;
            }
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        _end += read;
        return read > 0;
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }
}
