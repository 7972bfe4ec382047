using System.Collections.Concurrent;

namespace Strongroom.Client;

/// <summary>
/// A client-side cache of secret values with the semantics of AWS's caching libraries: a value is served for
/// <see cref="SecretCacheOptions.Ttl"/>; after that the cache asks DescribeSecret which version holds the stage and
/// fetches the value again only when that version changed (version-aware refresh); <see cref="RefreshNowAsync"/>
/// skips the wait; at most <see cref="SecretCacheOptions.MaxEntries"/> entries, the least recently used evicted first;
/// one fetch per entry however many callers miss at once. Against Strongroom it also follows Strongroom.WatchSecrets,
/// so a new AWSCURRENT is fetched as soon as the server reports it, not when the TTL ends.
/// Thread-safe. Values live in memory only and are never logged; <see cref="SecretValue.ToString"/> hides them.
/// </summary>
public sealed class SecretCache : IAsyncDisposable
{
    public const string CurrentStage = "AWSCURRENT";
    private readonly SecretsManagerClient _client;
    private readonly SecretCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<SecretCacheKey, Entry> _entries = new();
    private readonly Lock _evictionGate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _watchGate = new();
    private readonly SemaphoreSlim _watchSignal = new(0);
    private CancellationTokenSource _watchRestart = new();
    private Task? _watchLoop;
    private volatile bool _watchSupported;
    private long _unreachableSinceTicks;
    private readonly IDisposable? _owned;

    public SecretCache(SecretsManagerClient client, SecretCacheOptions? options = null, TimeProvider? time = null)
        : this(client, options, time, null)
    {
    }

    /// <param name="owned">Disposed with the cache (the HttpClient a factory made for it).</param>
    internal SecretCache(SecretsManagerClient client, SecretCacheOptions? options, TimeProvider? time, IDisposable? owned)
    {
        _owned = owned;
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new SecretCacheOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _watchSupported = _options.WatchChanges;
    }

    /// <summary>Raised (on a pool thread) with the secret id as callers asked for it when a cached AWSCURRENT value was replaced by another version.</summary>
    public event EventHandler<SecretChangedEventArgs>? SecretChanged;

    /// <summary>The client the cache calls through.</summary>
    public SecretsManagerClient Client => _client;

    /// <summary>Entries held now (never more than <see cref="SecretCacheOptions.MaxEntries"/>).</summary>
    public int Count => _entries.Count;

    /// <summary>True while the change stream is in use (false against a server without Strongroom.WatchSecrets).</summary>
    public bool IsWatching => _watchSupported;

    /// <summary>Since when the server has not answered (null while it answers).</summary>
    public DateTimeOffset? UnreachableSince
    {
        get
        {
            var ticks = Interlocked.Read(ref _unreachableSinceTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The secret's string value (null for a binary secret).</summary>
    public async Task<string?> GetSecretStringAsync(string secretId, CancellationToken ct = default) =>
        (await GetSecretValueAsync(secretId, ct: ct).ConfigureAwait(false)).SecretString;

    /// <summary>The secret's binary value (null for a string secret). The array is the caller's copy.</summary>
    public async Task<byte[]?> GetSecretBinaryAsync(string secretId, CancellationToken ct = default) =>
        (await GetSecretValueAsync(secretId, ct: ct).ConfigureAwait(false)).SecretBinary?.ToArray();

    /// <summary>The value of <paramref name="versionId"/>, else of <paramref name="versionStage"/> (default AWSCURRENT).</summary>
    public async Task<SecretValue> GetSecretValueAsync(string secretId, string? versionId = null, string? versionStage = null, CancellationToken ct = default) =>
        (await GetAsync(secretId, versionId, versionStage, false, ct).ConfigureAwait(false)).Value;

    /// <summary>Fetches the current value now (after an authentication failure, say) and caches it.</summary>
    public async Task<SecretValue> RefreshNowAsync(string secretId, string? versionStage = null, CancellationToken ct = default) =>
        (await GetAsync(secretId, null, versionStage, true, ct).ConfigureAwait(false)).Value;

    /// <summary>
    /// The cached value, fetched when missing, expired or <paramref name="refreshNow"/>. When the server cannot be
    /// reached and <see cref="SecretCacheOptions.MaxStale"/> allows it, the held value is served with IsStale set;
    /// past that window the read fails with AwsServiceException "ServiceUnavailable" (503). A service error (not found,
    /// access denied, …) always propagates.
    /// </summary>
    public async Task<CachedSecretValue> GetAsync(string secretId, string? versionId, string? versionStage, bool refreshNow, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretId);
        var stage = versionId is null ? versionStage ?? CurrentStage : versionStage;
        var entry = EntryFor(Key(secretId, versionId, stage), secretId, versionId, stage);
        Volatile.Write(ref entry.LastUsed, _time.GetTimestamp());
        var now = _time.GetUtcNow();
        SecretValue? held;
        Task<SecretValue> pending;
        lock (entry.Gate)
        {
            held = entry.Value;
            if (held is not null && !refreshNow && (entry.VersionId is not null || now < entry.RefreshAt))
            {
                return Held(held, now);
            }

            // Single flight: every caller of this entry waits for the same fetch.
            pending = entry.Pending ??= Task.Run(() => RefreshAsync(entry, direct: refreshNow || held is null), CancellationToken.None);
        }

        try
        {
            return new CachedSecretValue(await pending.WaitAsync(ct).ConfigureAwait(false), false);
        }
        catch (Exception e) when (held is not null && IsTransient(e, ct) && UnreachableSince is { } since && _time.GetUtcNow() - since <= _options.MaxStale)
        {
            return new CachedSecretValue(held, true);
        }
    }

    /// <summary>
    /// The held value at once, when it is fresh: within its TTL (or a pinned version) and the server not known to be
    /// unreachable. No task, no fetch, no wait: the read path of a hot cache (the agent's). False: call
    /// <see cref="GetAsync"/>, which fetches, waits for a fetch under way, or serves stale.
    /// </summary>
    public bool TryGetFresh(string secretId, string? versionId, string? versionStage, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SecretValue? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretId);
        var stage = versionId is null ? versionStage ?? CurrentStage : versionStage;
        if (Interlocked.Read(ref _unreachableSinceTicks) == 0 && _entries.TryGetValue(Key(secretId, versionId, stage), out var entry))
        {
            var now = _time.GetUtcNow();
            lock (entry.Gate)
            {
                if (entry.Value is { } held && (entry.VersionId is not null || now < entry.RefreshAt))
                {
                    Volatile.Write(ref entry.LastUsed, _time.GetTimestamp());
                    value = held;
                    return true;
                }
            }
        }

        value = null;
        return false;
    }

    private static SecretCacheKey Key(string secretId, string? versionId, string? stage) => SecretCacheKey.For(secretId, versionId, stage);

    /// <summary>A value within its TTL. With the stream, it is known fresh only while the server answers.</summary>
    private CachedSecretValue Held(SecretValue value, DateTimeOffset now)
    {
        if (!_watchSupported || UnreachableSince is not { } since)
        {
            return new CachedSecretValue(value, false);
        }

        return now - since <= _options.MaxStale ? new CachedSecretValue(value, true) : throw Unreachable(now - since);
    }

    private AwsServiceException Unreachable(TimeSpan since) => new(
        "ServiceUnavailable",
        $"The secrets service at {_client.Endpoint} has not answered for {(int)since.TotalSeconds} s, longer than cached values may be served stale ({(int)_options.MaxStale.TotalSeconds} s).",
        503,
        null);

    private static bool IsTransient(Exception e, CancellationToken ct) =>
        e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested) || e is AwsServiceException { HttpStatus: >= 500 };

    private Entry EntryFor(SecretCacheKey key, string secretId, string? versionId, string? stage)
    {
        if (_entries.TryGetValue(key, out var found))
        {
            return found;
        }

        lock (_evictionGate)
        {
            while (_entries.Count >= _options.MaxEntries && !_entries.ContainsKey(key))
            {
                // O(n) over at most MaxEntries, only when a new entry is added at the bound.
                var oldest = _entries.MinBy(p => Volatile.Read(ref p.Value.LastUsed));
                _entries.TryRemove(oldest.Key, out _);
            }

            return _entries.GetOrAdd(key, _ => new Entry(secretId, versionId, stage));
        }
    }

    private async Task<SecretValue> RefreshAsync(Entry entry, bool direct)
    {
        SecretValue? old;
        lock (entry.Gate)
        {
            old = entry.Value;
        }

        try
        {
            SecretValue fresh;
            if (entry.VersionId is not null || direct || old is null)
            {
                fresh = await _client.GetSecretValueAsync(entry.SecretId, entry.VersionId, entry.VersionId is null ? entry.Stage : null, _stop.Token).ConfigureAwait(false);
            }
            else
            {
                // Version-aware: ask which version holds the stage; fetch the value only when it is another one.
                var description = await _client.DescribeSecretAsync(entry.SecretId, _stop.Token).ConfigureAwait(false);
                var holder = description.VersionIdsToStages.FirstOrDefault(p => p.Value.Contains(entry.Stage!)).Key;
                fresh = holder == old.VersionId
                    ? old
                    : await _client.GetSecretValueAsync(entry.SecretId, holder, holder is null ? entry.Stage : null, _stop.Token).ConfigureAwait(false);
            }

            Interlocked.Exchange(ref _unreachableSinceTicks, 0);
            lock (entry.Gate)
            {
                entry.Value = fresh;
                entry.RefreshAt = _time.GetUtcNow() + _options.Ttl;
                entry.Pending = null;
            }

            if (old is not null && old.VersionId != fresh.VersionId && entry.VersionId is null)
            {
                SecretChanged?.Invoke(this, new SecretChangedEventArgs(entry.SecretId, entry.Stage!));
            }

            if (old is null && entry.Stage == CurrentStage && entry.VersionId is null)
            {
                StartOrRestartWatch();
            }

            return fresh;
        }
        catch (Exception e)
        {
            if (IsTransient(e, _stop.Token))
            {
                Interlocked.CompareExchange(ref _unreachableSinceTicks, _time.GetUtcNow().UtcTicks, 0);
            }

            lock (entry.Gate)
            {
                entry.Pending = null;
            }

            throw;
        }
    }

    // ---------------------------------------------------------------- change stream

    private void StartOrRestartWatch()
    {
        if (!_watchSupported || _stop.IsCancellationRequested)
        {
            return;
        }

        lock (_watchGate)
        {
            if (_watchLoop is null)
            {
                _watchLoop = Task.Run(WatchLoopAsync);
                return;
            }

            // A new secret to watch: end the call in flight so the next one includes it.
            _watchRestart.Cancel();
        }

        _watchSignal.Release();
    }

    private async Task WatchLoopAsync()
    {
        var failures = 0;
        while (!_stop.IsCancellationRequested && _watchSupported)
        {
            var watched = _entries.Values
                .Where(e => e.VersionId is null && e.Stage == CurrentStage && e.Watched && e.Value is not null)
                .OrderByDescending(e => Volatile.Read(ref e.LastUsed))
                .Take(100)
                .ToList();
            var known = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var e in watched)
            {
                known[e.SecretId] = e.Value!.VersionId;
            }

            CancellationToken restart;
            lock (_watchGate)
            {
                if (_watchRestart.IsCancellationRequested)
                {
                    _watchRestart.Dispose();
                    _watchRestart = new CancellationTokenSource();
                }

                restart = _watchRestart.Token;
            }

            if (known.Count == 0)
            {
                try
                {
                    await _watchSignal.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, restart);
            try
            {
                var result = await _client.WatchSecretsAsync(known, _options.WatchWait, linked.Token).ConfigureAwait(false);
                failures = 0;
                Interlocked.Exchange(ref _unreachableSinceTicks, 0);
                foreach (var error in result.Errors)
                {
                    foreach (var e in watched.Where(e => e.SecretId == error.SecretId))
                    {
                        e.Watched = false; // not watchable for this caller: its TTL alone applies
                    }
                }

                foreach (var change in result.Changed)
                {
                    if (_entries.TryGetValue(new SecretCacheKey(false, change.SecretId, CurrentStage), out var entry))
                    {
                        _ = FetchChangedAsync(entry);
                    }
                }
            }
            catch (OperationCanceledException) when (restart.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                // restarted with a new set of secrets
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (AwsServiceException e) when (e.Code == "ThrottlingException")
            {
                // The server answers but has as many watches waiting as it allows (max-watches): not unreachable, so
                // nothing turns stale; back off with jitter so refused caches do not all return at once. TTL applies meanwhile.
                failures++;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 500 * failures) + Random.Shared.Next(500)), _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (AwsServiceException e) when (e.HttpStatus is >= 400 and < 500 && e.Code is not "AccessDeniedException")
            {
                // Not Strongroom (AWS answers an unknown target or the foreign signing service with a 4xx): TTL only.
                _watchSupported = false;
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or AwsServiceException)
            {
                Interlocked.CompareExchange(ref _unreachableSinceTicks, _time.GetUtcNow().UtcTicks, 0);
                failures++;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * failures)), _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task FetchChangedAsync(Entry entry)
    {
        Task<SecretValue> pending;
        lock (entry.Gate)
        {
            pending = entry.Pending ??= Task.Run(() => RefreshAsync(entry, direct: true), CancellationToken.None);
        }

        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or AwsServiceException)
        {
            // The entry keeps its value; the next read or the next report tries again.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_watchLoop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
        _watchRestart.Dispose();
        _watchSignal.Dispose();
        _owned?.Dispose();
    }

    private sealed class Entry(string secretId, string? versionId, string? stage)
    {
        public readonly Lock Gate = new();
        public long LastUsed;

        public string SecretId { get; } = secretId;

        public string? VersionId { get; } = versionId;

        public string? Stage { get; } = stage;

        public SecretValue? Value { get; set; }

        public DateTimeOffset RefreshAt { get; set; }

        public Task<SecretValue>? Pending { get; set; }

        public volatile bool Watched = true;
    }
}
