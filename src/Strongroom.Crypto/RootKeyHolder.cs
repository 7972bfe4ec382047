namespace Strongroom.Crypto;

/// <summary>
/// The root key in use, replaceable when an operator rotates it under a running server. Thread-safe.
/// Replaced keys are zeroed only at dispose: a concurrent wrap may still be reading them.
/// </summary>
public sealed class RootKeyHolder : IDisposable
{
    private readonly Func<RootKey>? _reload;
    private readonly List<RootKey> _retired = [];
    private RootKey _current;

    /// <param name="current">The key loaded at start.</param>
    /// <param name="reload">Loads the key again from its provider; null when the provider cannot be re-read (a prompt).</param>
    public RootKeyHolder(RootKey current, Func<RootKey>? reload)
    {
        _current = current;
        _reload = reload;
    }

    public RootKey Current => Volatile.Read(ref _current);

    /// <summary>Raised after <see cref="TryReload"/> switched to a new key.</summary>
    public event Action? Reloaded;

    /// <summary>Re-reads the provider; true when it now gives the key with <paramref name="expectedFingerprint"/>.</summary>
    public bool TryReload(string expectedFingerprint)
    {
        lock (_retired)
        {
            if (Current.Fingerprint() == expectedFingerprint)
            {
                return true;
            }

            if (_reload is null)
            {
                return false;
            }

            RootKey candidate;
            try
            {
                candidate = _reload();
            }
            catch (RootKeyUnavailableException)
            {
                return false;
            }

            if (candidate.Fingerprint() != expectedFingerprint)
            {
                candidate.Dispose();
                return false;
            }

            _retired.Add(Interlocked.Exchange(ref _current, candidate));
        }

        Reloaded?.Invoke();
        return true;
    }


    public void Dispose()
    {
        lock (_retired)
        {
            foreach (var key in _retired)
            {
                key.Dispose();
            }

            _current.Dispose();
        }
    }
}
