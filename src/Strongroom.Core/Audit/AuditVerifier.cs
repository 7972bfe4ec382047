namespace Strongroom.Core.Audit;

/// <summary>The outcome of verifying the trail. <see cref="FirstBadSeq"/> names the first record that fails.</summary>
public sealed record AuditVerification(bool Ok, long Records, int Digests, long UnsignedTail, long? FirstBadSeq, string Message);

/// <summary>
/// Checks the whole trail: the chain link of every record, the sequence without gaps, every digest's
/// signature against the published key, the chain of digests, and that each digest's last hash is the
/// stored hash at its sequence. Pure reads.
/// </summary>
public static class AuditVerifier
{
    public static Task<AuditVerification> VerifyAsync(Storage.IStore store, string publicKeyPem, CancellationToken ct) => VerifyAsync(store, publicKeyPem, null, ct);

    /// <param name="store">The store.</param>
    /// <param name="publicKeyPem">The published digest-signing key.</param>
    /// <param name="archiveDirectory">Where archived records are (retention); records archived there are verified too.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<AuditVerification> VerifyAsync(Storage.IStore store, string publicKeyPem, string? archiveDirectory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var digests = await store.ListAuditDigestsAsync(ct);
        var digestAt = digests.ToDictionary(d => d.ToSeq);
        var previousDigestHash = new byte[32];
        long expectedFrom = 1;
        foreach (var digest in digests)
        {
            if (!AuditSigner.Verify(publicKeyPem, digest.SignedPayload(), digest.Signature))
            {
                return Fail(digest.FromSeq, 0, digests.Count, $"the digest covering records {digest.FromSeq}..{digest.ToSeq} has an invalid signature: digests were forged or the public key is not this trail's");
            }

            if (!digest.PreviousDigestHash.AsSpan().SequenceEqual(previousDigestHash) || digest.FromSeq != expectedFrom)
            {
                return Fail(digest.FromSeq, 0, digests.Count, $"the digest covering records {digest.FromSeq}..{digest.ToSeq} does not follow the previous digest: a digest was removed or inserted");
            }

            previousDigestHash = digest.DigestHash();
            expectedFrom = digest.ToSeq + 1;
        }

        var hash = AuditChain.Genesis;
        long seq = 0;
        long count = 0;
        var archivedTo = long.Parse(await store.GetSettingAsync("audit_archived_to_seq", ct) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var note = string.Empty;
        var archived = archiveDirectory is null ? [] : AuditArchive.Read(archiveDirectory).ToList();
        if (archivedTo > 0 && (archived.Count == 0 || archived[^1].Seq < archivedTo))
        {
            // The archive is not at hand: continue the chain from the hash recorded when it was cut.
            seq = archivedTo;
            hash = Convert.FromHexString(await store.GetSettingAsync("audit_archived_hash", ct) ?? throw new InvalidOperationException("archive hash missing"));
            archived = [];
            note = $"; records 1..{archivedTo} are archived and were not checked (pass the archive directory)";
        }

        IEnumerable<AuditRow> stream = archived;
        var fromStore = false;
        while (true)
        {
            var rows = fromStore ? await store.ReadAuditAsync(seq, 2000, ct) : stream.ToList();
            if (!fromStore)
            {
                fromStore = true;
                stream = [];
            }
            else if (rows.Count == 0)
            {
                break;
            }

            foreach (var row in rows)
            {
                if (row.Seq != seq + 1)
                {
                    return Fail(seq + 1, count, digests.Count, $"record {seq + 1} is missing: records {seq + 1}..{row.Seq - 1} were removed");
                }

                var link = AuditChain.Link(hash, row.Seq, row.Record);
                if (!link.AsSpan().SequenceEqual(row.Hash))
                {
                    return Fail(row.Seq, count, digests.Count, $"record {row.Seq} does not match the chain: it was edited, inserted or moved (reordered)");
                }

                if (digestAt.TryGetValue(row.Seq, out var digest) && !digest.LastHash.AsSpan().SequenceEqual(row.Hash))
                {
                    return Fail(digest.FromSeq, count, digests.Count, $"records {digest.FromSeq}..{digest.ToSeq} differ from what the signed digest covers: the chain was rewritten");
                }

                hash = row.Hash;
                seq = row.Seq;
                count++;
            }
        }

        var lastSigned = digests.Count > 0 ? digests[^1].ToSeq : 0;
        if (lastSigned > seq)
        {
            return Fail(seq + 1, count, digests.Count, $"records {seq + 1}..{lastSigned} are covered by a signed digest but missing: they were removed");
        }

        var tail = Math.Max(0, seq - lastSigned);
        return new AuditVerification(true, count, digests.Count, tail, null,
            $"verified {count} records and {digests.Count} signed digests" + (tail > 0 ? $"; the last {tail} records are chained but not yet covered by a digest" : string.Empty) + note);
    }

    private static AuditVerification Fail(long seq, long count, int digests, string message) => new(false, count, digests, 0, seq, message);
}
