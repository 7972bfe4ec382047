using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Strongroom.WebConsole;

/// <summary>
/// The console's built files (dist/, embedded at build time under "console/"), by path relative to /console/
/// ("index.html", "app.js" …). Loaded once; immutable and thread-safe.
/// </summary>
public static class ConsoleAssets
{
    private const string Prefix = "console/";
    private static readonly Lazy<FrozenDictionary<string, ConsoleAsset>> Loaded = new(Load);

    /// <summary>Every asset by relative path (ordinal, case-sensitive).</summary>
    public static FrozenDictionary<string, ConsoleAsset> All => Loaded.Value;

    private static FrozenDictionary<string, ConsoleAsset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            assets[path] = new ConsoleAsset(path, ContentType(path), content, "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..32] + "\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json; charset=utf-8",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
