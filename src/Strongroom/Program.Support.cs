using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>Helpers the command groups share: refused flags, durations, the error guard.</summary>
public static partial class Program
{
    /// <summary>The first of <paramref name="flags"/> given on the command line (not a default), or null.</summary>
    private static string? RefusedByDev(ParseResult result, IEnumerable<Option> flags) =>
        flags.FirstOrDefault(flag => result.GetResult(flag) is { Implicit: false })?.Name;

    /// <summary>
    /// The flag's "90d", "12h", "10m" or "30s" as a span; null when not set; anything else is refused at start with an
    /// error that names the flag.
    /// </summary>
    internal static TimeSpan? Duration(ParseResult result, Option<string?> flag)
    {
        var text = result.GetValue(flag);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var unit = text[^1];
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0 || unit is not ('d' or 'h' or 'm' or 's'))
        {
            throw new ArgumentException($"{flag.Name}: '{text}' is not a duration such as 90d, 12h, 10m or 30s");
        }

        return unit switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromSeconds(n),
        };
    }

    private static async Task<int> Guarded(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or Core.Storage.StoreUnavailableException)
        {
            await Console.Error.WriteLineAsync($"strongroom: {e.Message}");
            return 1;
        }
    }
}
