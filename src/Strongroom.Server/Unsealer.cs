using System.Security.Cryptography;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// Collects the shares of one unseal attempt for a sealed Shamir server. A wrong or corrupted share, or shares that do
/// not rebuild the key with the fingerprint in root.key.shamir, reset the attempt. Wrong shares are rate-limited: after
/// <see cref="MaxFailures"/> within <see cref="FailureWindow"/> further shares are refused until the window has passed.
/// Thread-safe. Shares are zeroed as soon as they are used or discarded.
/// </summary>
public sealed class Unsealer
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(1);
    private readonly CustodyState _state;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, byte[]> _shares = [];
    private readonly Queue<DateTimeOffset> _failures = new();
    private readonly Lock _gate = new();

    public Unsealer(CustodyState state, TimeProvider time)
    {
        _state = state;
        _time = time;
    }

    public int Threshold => _state.Threshold ?? 0;

    public int Shares => _state.Shares ?? 0;

    public int Progress
    {
        get
        {
            lock (_gate)
            {
                return _shares.Count;
            }
        }
    }

    /// <summary>The outcome of one share: accepted (with the key once the threshold is met), refused, or throttled.</summary>
    public sealed record Outcome(bool Accepted, bool Throttled, string Message, int Progress, RootKey? Key);

    public Outcome Submit(string share)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            while (_failures.Count > 0 && now - _failures.Peek() > FailureWindow)
            {
                _failures.Dequeue();
            }

            if (_failures.Count >= MaxFailures)
            {
                var wait = FailureWindow - (now - _failures.Peek());
                return new Outcome(false, true, $"too many wrong shares: try again in {Math.Ceiling(wait.TotalSeconds)} s", _shares.Count, null);
            }

            int number;
            byte[] bytes;
            try
            {
                (number, bytes) = ShamirCustody.Parse(share, _state);
            }
            catch (FormatException e)
            {
                return Fail(now, e.Message);
            }

            if (_shares.TryGetValue(number, out var previous))
            {
                CryptographicOperations.ZeroMemory(bytes);
                return new Outcome(false, false, $"share {number} was already given in this attempt", _shares.Count, null);
            }

            _ = previous;
            _shares[number] = bytes;
            if (_shares.Count < Threshold)
            {
                return new Outcome(true, false, $"share {number} accepted: {_shares.Count} of {Threshold} needed", _shares.Count, null);
            }

            var secret = GfShare.Combine(_shares);
            Reset();
            try
            {
                var key = new RootKey(secret);
                if (key.Fingerprint() != _state.Fingerprint)
                {
                    key.Dispose();
                    return Fail(now, "the shares do not rebuild this server's root key");
                }

                return new Outcome(true, false, "unsealed", Threshold, key);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    private Outcome Fail(DateTimeOffset now, string reason)
    {
        _failures.Enqueue(now);
        Reset();
        return new Outcome(false, false, reason + "; the unseal attempt was reset (give the shares again)", 0, null);
    }

    private void Reset()
    {
        foreach (var share in _shares.Values)
        {
            CryptographicOperations.ZeroMemory(share);
        }

        _shares.Clear();
    }
}
