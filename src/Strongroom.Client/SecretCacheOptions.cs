namespace Strongroom.Client;

/// <summary>
/// Settings of a <see cref="SecretCache"/>. The defaults are those of AWS's caching libraries (a value is kept one
/// hour, at most 1024 entries), plus Strongroom's change stream, which is used when the server offers it.
/// </summary>
public sealed class SecretCacheOptions
{
    /// <summary>How long a value is served before the cache asks again (version-aware: DescribeSecret first). Default 1 hour.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most entries kept; the least recently used one is evicted to make room. Default 1024.</summary>
    public int MaxEntries { get; set; } = 1024;

    /// <summary>
    /// Follow Strongroom.WatchSecrets so a new AWSCURRENT is fetched as soon as the server reports it. Against a
    /// server without the operation (AWS) the cache notices on the first call and relies on <see cref="Ttl"/> alone.
    /// </summary>
    public bool WatchChanges { get; set; } = true;

    /// <summary>How long one watch call waits on the server before it answers "nothing changed" (1–20 s). Default 20 s.</summary>
    public TimeSpan WatchWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// While the server cannot be reached, how long cached values are still served (marked stale); after that a read
    /// fails with a ServiceUnavailable error. Zero (the default): a failed refresh fails the read, as AWS's libraries do.
    /// </summary>
    public TimeSpan MaxStale { get; set; } = TimeSpan.Zero;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Ttl, TimeSpan.Zero, nameof(Ttl));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEntries, 1, nameof(MaxEntries));
        ArgumentOutOfRangeException.ThrowIfLessThan(WatchWait, TimeSpan.FromSeconds(1), nameof(WatchWait));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WatchWait, TimeSpan.FromSeconds(20), nameof(WatchWait));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStale, TimeSpan.Zero, nameof(MaxStale));
    }
}
