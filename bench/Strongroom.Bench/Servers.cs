using System.Globalization;

namespace Strongroom.Bench;

/// <summary>Starting the three kinds of server the suite measures.</summary>
internal static class Servers
{
    public const string Region = "us-east-1";

    /// <param name="postgres">
    /// Null for the default SQLite store; else the connection string of a PostgreSQL database, passed as
    /// STRONGROOM_STORAGE/STRONGROOM_POSTGRES (not argv, as the operations guide advises).
    /// </param>
    public static Task<ServerProcess> StartStrongroomAsync(BenchOptions options, string dataDir, string logFile, CancellationToken ct, string? postgres = null, string name = "strongroom")
    {
        if (!File.Exists(options.StrongroomDll))
        {
            throw new FileNotFoundException($"{options.StrongroomDll} not found: build it with `dotnet build -c Release src/Strongroom` or pass --strongroom");
        }

        var port = ServerProcess.FreePort();
        return ServerProcess.StartAsync(
            name,
            "dotnet",
            [options.StrongroomDll, "server", "--data-dir", dataDir, "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--region", Region],
            port,
            "/health/ready",
            logFile,
            TimeSpan.FromMinutes(5),
            ct,
            postgres is null ? null : new Dictionary<string, string> { ["STRONGROOM_STORAGE"] = "postgres", ["STRONGROOM_POSTGRES"] = postgres });
    }

    public static Task<ServerProcess> StartCeilingAsync(string logFile, CancellationToken ct)
    {
        var port = ServerProcess.FreePort();
        var self = typeof(Servers).Assembly.Location;
        return ServerProcess.StartAsync("ceiling", "dotnet", [self, "ceiling-server", "--port", port.ToString(CultureInfo.InvariantCulture)], port, "/ready", logFile, TimeSpan.FromMinutes(1), ct);
    }

    /// <summary>moto's server (Python), or null when moto_server is not on PATH.</summary>
    public static async Task<ServerProcess?> StartMotoAsync(string logFile, CancellationToken ct)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, "moto_server")).FirstOrDefault(File.Exists);
        if (found is null)
        {
            return null;
        }

        var port = ServerProcess.FreePort();
        return await ServerProcess.StartAsync("moto", found, ["-H", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)], port, "/moto-api/", logFile, TimeSpan.FromMinutes(2), ct);
    }

    /// <summary>The admin key pair from &lt;data-dir&gt;/admin.credentials (AWS shared-credentials format).</summary>
    public static SigV4Signer AdminSigner(string dataDir)
    {
        string? id = null, secret = null;
        foreach (var raw in File.ReadLines(Path.Combine(dataDir, "admin.credentials")))
        {
            var parts = raw.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                continue;
            }

            switch (parts[0])
            {
                case "aws_access_key_id": id ??= parts[1]; break;
                case "aws_secret_access_key": secret ??= parts[1]; break;
                default: break;
            }
        }

        return new SigV4Signer(id ?? throw new InvalidDataException("no aws_access_key_id in admin.credentials"), secret ?? throw new InvalidDataException("no aws_secret_access_key in admin.credentials"), Region);
    }

    /// <summary>Total size of the files under <paramref name="dir"/>.</summary>
    public static long DirectoryBytes(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>A realistic database credential, about 150 bytes of JSON.</summary>
    public static string SecretValue(long i, string salt) =>
        $"{{\"username\":\"app_user_{i:D7}\",\"password\":\"{salt}{i:D7}Zq8#rT2!mW5$kP9v\",\"engine\":\"postgres\",\"host\":\"db{i % 16}.internal.example\",\"port\":5432,\"dbname\":\"app\"}}";
}
