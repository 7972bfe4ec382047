using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Server;

/// <summary>
/// The webhook signature: header <see cref="Header"/> = <c>t=UNIX_SECONDS,v1=HEX</c>, where HEX is the lower-case hex
/// HMAC-SHA256, keyed with the endpoint's secret (UTF-8), of <c>"UNIX_SECONDS." + body</c> (the body's exact bytes).
/// Binding the timestamp lets receivers refuse old deliveries; the event id header lets them refuse repeats.
/// </summary>
public static class EventSignature
{
    public const string Header = "Strongroom-Signature";
    public const string EventIdHeader = "Strongroom-Event-Id";

    public static string Sign(string secret, long unixSeconds, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(body);
        var ts = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var prefix = Encoding.UTF8.GetBytes(ts + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message, prefix.Length);
        var key = Encoding.UTF8.GetBytes(secret);
        try
        {
            return $"t={ts},v1={Convert.ToHexStringLower(HMACSHA256.HashData(key, message))}";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
