using System.Collections.Concurrent;

namespace Strongroom.Server;

/// <summary>
/// Throttling and brute-force limits for API calls (docs/operations/limits.md, docs/adr/0014):
/// <list type="bullet">
/// <item>a token bucket per verified access key (<see cref="TryAcquireKey"/>), so one key cannot starve others;</item>
/// <item>a token bucket per client address charged by unauthenticated and failed-authentication calls
/// (<see cref="RecordAuthFailure"/>); while it is empty the address's calls are refused before any signature work;</item>
/// <item>signature failures counted per (address, claimed access key id) and per address: past a threshold each failure
/// is answered after a growing delay, past a higher one the pair (or the address) is refused until its lockout ends.
/// A lockout never outlives <see cref="RequestLimitsOptions.Lockout"/> and is keyed by address, so an attacker
/// elsewhere cannot lock a real key out: the key's correctly signed calls from any other address are never refused.</item>
/// </list>
/// Memory is bounded by <see cref="RequestLimitsOptions.MaxTracked"/> entries per table. Thread-safe.
/// </summary>
public sealed class RequestLimiter
{
    private readonly RequestLimitsOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Bucket> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Bucket> _anonymous = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    public RequestLimiter(RequestLimitsOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Why a call is refused before its signature is checked, or null when it may proceed.</summary>
    public string? RefuseBeforeAuth(string address, string? claimedKey)
    {
        var now = _time.GetUtcNow();
        if (_failures.TryGetValue("a|" + address, out var byAddress) && byAddress.LockedUntil(now) is not null)
        {
            return "Too many failed authentication attempts from this address; try again later.";
        }

        if (claimedKey is not null && _failures.TryGetValue(PairKey(address, claimedKey), out var pair) && pair.LockedUntil(now) is not null)
        {
            return "Too many failed authentication attempts for this access key from this address; try again later.";
        }

        return _anonymous.TryGetValue(address, out var bucket) && bucket.IsEmpty(now, _options.AnonymousRate, _options.AnonymousBurst)
            ? "Rate exceeded"
            : null;
    }

    /// <summary>Takes one request from the verified key's bucket; false when the key is over its rate.</summary>
    public bool TryAcquireKey(string accessKeyId)
    {
        var now = _time.GetUtcNow();
        var bucket = _keys.GetOrAdd(accessKeyId, static (_, state) => new Bucket(state.Burst, state.Now), (Burst: _options.KeyBurst, Now: now));
        Bound(_keys, now);
        return bucket.TryTake(now, _options.KeyRate, _options.KeyBurst);
    }

    /// <summary>
    /// Counts an unauthenticated or failed-authentication call. Returns how long to wait before answering it (zero below
    /// the slowdown threshold) and whether this failure started a lockout.
    /// </summary>
    public (TimeSpan Delay, bool LockedOut) RecordAuthFailure(string address, string? claimedKey, bool signatureFailure)
    {
        var now = _time.GetUtcNow();
        var bucket = _anonymous.GetOrAdd(address, static (_, state) => new Bucket(state.Burst, state.Now), (Burst: _options.AnonymousBurst, Now: now));
        bucket.TryTake(now, _options.AnonymousRate, _options.AnonymousBurst);
        Bound(_anonymous, now);
        if (!signatureFailure)
        {
            return (TimeSpan.Zero, false);
        }

        var lockedOut = false;
        var byAddress = _failures.GetOrAdd("a|" + address, static _ => new Failures());
        lockedOut |= byAddress.Add(now, _options.FailureWindow, _options.AddressFailuresBeforeLockout, _options.Lockout) == _options.AddressFailuresBeforeLockout;
        var count = 0;
        if (claimedKey is not null)
        {
            var pair = _failures.GetOrAdd(PairKey(address, claimedKey), static _ => new Failures());
            count = pair.Add(now, _options.FailureWindow, _options.FailuresBeforeLockout, _options.Lockout);
            lockedOut |= count == _options.FailuresBeforeLockout;
        }

        BoundFailures(now);
        var over = count - _options.FailuresBeforeSlowdown;
        var delay = over <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(_options.MaxSlowdown.TotalMilliseconds, 50.0 * over));
        return (delay, lockedOut);
    }

    private static string PairKey(string address, string key) => "k|" + address + "|" + (key.Length <= 128 ? key : key[..128]);

    private void Bound(ConcurrentDictionary<string, Bucket> table, DateTimeOffset now)
    {
        if (table.Count <= _options.MaxTracked)
        {
            return;
        }

        // Full buckets carry no state worth keeping; if the table is still over, start afresh (a flood of addresses).
        foreach (var (name, bucket) in table)
        {
            if (bucket.IsFull(now, table == _keys ? _options.KeyRate : _options.AnonymousRate, table == _keys ? _options.KeyBurst : _options.AnonymousBurst))
            {
                table.TryRemove(name, out _);
            }
        }

        if (table.Count > _options.MaxTracked)
        {
            table.Clear();
        }
    }

    private void BoundFailures(DateTimeOffset now)
    {
        if (_failures.Count <= _options.MaxTracked)
        {
            return;
        }

        foreach (var (name, failures) in _failures)
        {
            if (failures.IsStale(now, _options.FailureWindow))
            {
                _failures.TryRemove(name, out _);
            }
        }

        if (_failures.Count > _options.MaxTracked)
        {
            _failures.Clear();
        }
    }

    /// <summary>A token bucket refilled lazily from the clock. Thread-safe.</summary>
    private sealed class Bucket
    {
        private readonly Lock _gate = new();
        private double _tokens;
        private DateTimeOffset _at;

        public Bucket(double tokens, DateTimeOffset at)
        {
            _tokens = tokens;
            _at = at;
        }

        public bool TryTake(DateTimeOffset now, double rate, double burst)
        {
            lock (_gate)
            {
                Refill(now, rate, burst);
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens -= 1;
                return true;
            }
        }

        public bool IsEmpty(DateTimeOffset now, double rate, double burst)
        {
            lock (_gate)
            {
                Refill(now, rate, burst);
                return _tokens < 1;
            }
        }

        public bool IsFull(DateTimeOffset now, double rate, double burst)
        {
            lock (_gate)
            {
                Refill(now, rate, burst);
                return _tokens >= burst;
            }
        }

        private void Refill(DateTimeOffset now, double rate, double burst)
        {
            var elapsed = (now - _at).TotalSeconds;
            if (elapsed > 0)
            {
                _tokens = Math.Min(burst, _tokens + (elapsed * rate));
                _at = now;
            }
        }
    }

    /// <summary>Failures in the current window and the lockout they caused, if any. Thread-safe.</summary>
    private sealed class Failures
    {
        private readonly Lock _gate = new();
        private int _count;
        private DateTimeOffset _windowStart;
        private DateTimeOffset _lockedUntil;

        public DateTimeOffset? LockedUntil(DateTimeOffset now)
        {
            lock (_gate)
            {
                return _lockedUntil > now ? _lockedUntil : null;
            }
        }

        /// <summary>Adds one failure and returns the window's count; locks out (once) when the count reaches <paramref name="limit"/>.</summary>
        public int Add(DateTimeOffset now, TimeSpan window, int limit, TimeSpan lockout)
        {
            lock (_gate)
            {
                if (now - _windowStart > window || (_lockedUntil != default && _lockedUntil <= now))
                {
                    // A new window; an ended lockout starts afresh too, so a lockout never renews itself forever.
                    (_count, _windowStart, _lockedUntil) = (0, now, default);
                }

                _count++;
                if (_count == limit)
                {
                    _lockedUntil = now + lockout;
                }

                return _count;
            }
        }

        public bool IsStale(DateTimeOffset now, TimeSpan window)
        {
            lock (_gate)
            {
                return now - _windowStart > window && _lockedUntil <= now;
            }
        }
    }
}
