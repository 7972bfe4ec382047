namespace Strongroom.Core.Audit;

/// <summary>
/// Signs a digest over the records written since the last one. Thread-safe (serialised in process; across nodes
/// the store keeps only a digest that follows the newest stored one).
/// </summary>
public sealed class AuditDigester
{
    private readonly Storage.IAuditStore _store;
    private readonly AuditSigner _signer;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public AuditDigester(Storage.IAuditStore store, AuditSigner signer, TimeProvider time)
    {
        _store = store;
        _signer = signer;
        _time = time;
    }

    /// <summary>Writes a digest if records were added since the last one; returns it, or null.</summary>
    public async Task<AuditDigest?> WriteDigestAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var last = await _store.LastAuditAsync(ct);
            var digests = await _store.ListAuditDigestsAsync(ct);
            var previous = digests.Count > 0 ? digests[^1] : null;
            if (last is null || last.Seq == (previous?.ToSeq ?? 0))
            {
                return null;
            }

            var unsigned = new AuditDigest(
                (previous?.ToSeq ?? 0) + 1, last.Seq, last.Hash,
                DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds()),
                previous?.DigestHash() ?? new byte[32], []);
            var digest = unsigned with { Signature = _signer.Sign(unsigned.SignedPayload()) };
            // Another node may have signed a digest since we read the last one: then ours is dropped, theirs covers it.
            return await _store.InsertAuditDigestAsync(digest, ct) ? digest : null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
