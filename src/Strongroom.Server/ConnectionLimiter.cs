using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Strongroom.Server;

/// <summary>
/// Kestrel connection middleware that holds each client address to <see cref="RequestLimitsOptions.MaxConnectionsPerAddress"/>
/// open connections: one more is closed at once, before a byte is read (metric strongroom_connections_refused_total).
/// Thread-safe; an address's entry is removed when its last connection closes.
/// </summary>
public sealed class ConnectionLimiter
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();
    private readonly int _max;

    public ConnectionLimiter(RequestLimitsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _max = options.MaxConnectionsPerAddress;
    }

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        if ((connection.RemoteEndPoint as IPEndPoint)?.Address is not { } address)
        {
            await next(connection);
            return;
        }

        if (_open.AddOrUpdate(address, 1, static (_, n) => n + 1) > _max)
        {
            Release(address);
            ServerMetrics.ConnectionsRefused.Inc();
            connection.Abort(new ConnectionAbortedException("Too many connections from this address."));
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Release(address);
        }
    };

    private void Release(IPAddress address)
    {
        if (_open.AddOrUpdate(address, 0, static (_, n) => n - 1) <= 0)
        {
            // Removes the entry only if no connection arrived in between (it would have raised the count).
            _open.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }
}
