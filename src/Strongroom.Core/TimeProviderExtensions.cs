namespace Strongroom.Core;

/// <summary>Time as the store keeps it.</summary>
public static class TimeProviderExtensions
{
    /// <summary>Now, truncated to whole milliseconds: the precision every persisted date has, so a value read back equals the one written.</summary>
    public static DateTimeOffset NowMillis(this TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
    }
}
