namespace Strongroom.Server;

/// <summary>
/// Strongroom.Seal (admin only): stops the running server's API and returns it to the sealed state, where the root key
/// is gone from memory and the key holders' shares are needed again. Only a Shamir server can be sealed: a server whose
/// key comes from a file, a token or a KMS would load it again at once.
/// </summary>
public sealed class SealSwitch : IDisposable
{
    public const string Operation = "Seal";
    private readonly CancellationTokenSource _sealed = new();

    public SealSwitch(bool sealable)
    {
        Sealable = sealable;
    }

    public bool Sealable { get; }

    public CancellationToken Token => _sealed.Token;

    public bool Requested => _sealed.IsCancellationRequested;

    /// <summary>Asks the host to seal, after the current response is written.</summary>
    public void Seal() => _ = Task.Run(async () =>
    {
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        await _sealed.CancelAsync();
    });

    public void Dispose() => _sealed.Dispose();
}
