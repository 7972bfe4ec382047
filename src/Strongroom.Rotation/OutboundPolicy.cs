using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strongroom.Rotation;

/// <summary>
/// The hosts rotation may open connections to (the operator's <c>--rotation-allowed-hosts</c>): the URLs of HTTP
/// functions and the databases built-in rotators log in to — the latter named by secret values, which any principal
/// allowed PutSecretValue writes, so without a limit a rotation is a request to any address the server can reach.
/// Entries are IP addresses, CIDR blocks (<c>10.0.0.0/8</c>, <c>fd00::/8</c>), host names and host-name patterns
/// (<c>db.example.com</c>, <c>*.db.example.com</c>), or <c>*</c> for any host. The default allows loopback and the
/// private ranges (RFC 1918, IPv6 unique-local) and nothing else — not link-local (where cloud metadata services
/// answer), not the public internet. Whatever the list, a host must be one host name or IP address: no host lists,
/// no Unix-socket paths. Immutable and thread-safe.
/// </summary>
public sealed class OutboundPolicy
{
    /// <summary>The flag that sets it, for messages.</summary>
    public const string Flag = "--rotation-allowed-hosts";

    /// <summary>The default list: loopback and private networks.</summary>
    public const string DefaultList = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";

    private readonly List<(byte[] Network, int Prefix)> _networks = [];
    private readonly List<string> _names = [];
    private bool _any;

    private OutboundPolicy(string text) => Text = text;

    /// <summary>The list as given (for messages and the start-up log).</summary>
    public string Text { get; }

    public static OutboundPolicy Default { get; } = Parse(DefaultList);

    /// <summary>Parses a comma-separated list; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static OutboundPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var policy = new OutboundPolicy(text);
        var entries = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            throw new FormatException($"{Flag}: the list is empty (give addresses, CIDR blocks or host names, or * for any host)");
        }

        foreach (var entry in entries)
        {
            if (entry == "*")
            {
                policy._any = true;
            }
            else if (entry.Contains('/', StringComparison.Ordinal))
            {
                var slash = entry.IndexOf('/', StringComparison.Ordinal);
                if (!IPAddress.TryParse(entry[..slash], out var network)
                    || !int.TryParse(entry.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
                    || prefix > network.GetAddressBytes().Length * 8)
                {
                    throw new FormatException($"{Flag}: '{entry}' is not a CIDR block such as 10.0.0.0/8 or fd00::/8");
                }

                policy._networks.Add((Normalize(network).GetAddressBytes(), prefix));
            }
            else if (IPAddress.TryParse(entry.Trim('[', ']'), out var address))
            {
                var bytes = Normalize(address).GetAddressBytes();
                policy._networks.Add((bytes, bytes.Length * 8));
            }
            else if (IsHostName(entry.Replace("*", "a", StringComparison.Ordinal)))
            {
                policy._names.Add(entry.ToLowerInvariant());
            }
            else
            {
                throw new FormatException($"{Flag}: '{entry}' is not an IP address, a CIDR block, a host name or a pattern such as *.db.example.com");
            }
        }

        return policy;
    }

    /// <summary>Whether <paramref name="address"/> is inside one of the allowed networks.</summary>
    public bool Allows(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_any)
        {
            return true;
        }

        var bytes = Normalize(address).GetAddressBytes();
        return _networks.Any(n => n.Network.Length == bytes.Length && PrefixMatches(n.Network, bytes, n.Prefix));
    }

    /// <summary>
    /// Checks <paramref name="host"/> before a connection: one host name or IP address, allowed by name or with every
    /// address it resolves to allowed. Returns the addresses to connect to (empty when the name itself is allowed and
    /// the caller may resolve it); throws <see cref="OutboundRefusedException"/> with a message that names the host and
    /// the flag, never anything else.
    /// </summary>
    public async Task<IReadOnlyList<IPAddress>> CheckAsync(string host, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(host);
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(literal, out var address) && (literal.Contains(':', StringComparison.Ordinal) || literal.Count(c => c == '.') == 3))
        {
            return Allows(address) ? [address] : throw Refused(host, "its address is outside the allowed networks");
        }

        if (!IsHostName(host))
        {
            throw Refused(host, "it is not one host name or IP address");
        }

        var name = host.TrimEnd('.').ToLowerInvariant();
        if (_any || _names.Any(pattern => Glob(pattern, name)))
        {
            return [];
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(name, ct);
        }
        catch (SocketException)
        {
            throw Refused(host, "it does not resolve");
        }

        if (addresses.Length == 0)
        {
            throw Refused(host, "it does not resolve");
        }

        return addresses.All(Allows) ? addresses : throw Refused(host, "it resolves to an address outside the allowed networks");
    }

    /// <summary>
    /// An HTTP handler for calling HTTP functions: it connects only where <see cref="CheckAsync"/> allows, to the very
    /// addresses it checked (no second lookup), and never follows a redirect — a 3xx is the function's answer. A
    /// refusal surfaces as an <see cref="HttpRequestException"/> whose inner exception is an <see cref="OutboundRefusedException"/>.
    /// </summary>
    public SocketsHttpHandler CreateHttpHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await CheckAsync(context.DnsEndPoint.Host, ct);
            if (addresses.Count == 0)
            {
                addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync([.. addresses], context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    private OutboundRefusedException Refused(string host, string why) =>
        new($"connecting to {Shorten(host)} is not allowed ({why}): the operator's {Flag} is {Text}");

    private static string Shorten(string host) => host.Length <= 100 ? host : host[..100] + "...";

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool PrefixMatches(byte[] network, byte[] address, int prefix)
    {
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            if ((network[bit / 8] & mask) != (address[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A DNS name: labels of letters, digits, '-' and '_', dot-separated, at most 253 characters.</summary>
    private static bool IsHostName(string host) =>
        host.Length is > 0 and <= 253
        && host.TrimEnd('.').Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    /// <summary>Case-insensitive (both sides are lowercase) wildcard match: * matches any run of characters.</summary>
    private static bool Glob(string pattern, string value)
    {
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (p < pattern.Length && pattern[p] == value[v])
            {
                p++;
                v++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
