using System.Globalization;
using System.Text;

namespace Strongroom.Server;

/// <summary>
/// What the first start of a new data directory prints once the listener is up: the endpoint, the data directory,
/// where the admin's access key is, and the two `export` lines that point the AWS CLI at it. It names the credentials
/// file only: the key itself is never printed.
/// </summary>
internal static class FirstRunBanner
{
    public static string Text(ServerOptions options, string dataDir, string credentialsFile)
    {
        var endpoint = ClientEndpoint(options);
        var credentials = System.IO.Path.GetFullPath(credentialsFile);
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("Strongroom is ready. A new data directory was initialised.");
        text.AppendLine(CultureInfo.InvariantCulture, $"  endpoint           {endpoint}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  data directory     {System.IO.Path.GetFullPath(dataDir)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  admin credentials  {credentials} (mode 0600, profile default; keep it, or import your own key and delete it)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  web console        {endpoint}/console/");
        text.AppendLine("Use it with the AWS CLI (AWS_ENDPOINT_URL needs AWS CLI 2.13 / 1.29 or later; older ones take --endpoint-url):");
        text.AppendLine(CultureInfo.InvariantCulture, $"  export AWS_SHARED_CREDENTIALS_FILE={credentials} AWS_DEFAULT_REGION={options.Region}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  export AWS_ENDPOINT_URL={endpoint}");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>The URL a client on this machine uses: a wildcard listen address is reached through loopback.</summary>
    internal static string ClientEndpoint(ServerOptions options)
    {
        var (host, port) = options.Endpoint;
        host = host switch
        {
            "0.0.0.0" => "127.0.0.1",
            "::" => "[::1]",
            _ when host.Contains(':', StringComparison.Ordinal) => "[" + host + "]",
            _ => host,
        };
        return (options.TlsCert is null ? "http://" : "https://") + host + ":" + port.ToString(CultureInfo.InvariantCulture);
    }
}
