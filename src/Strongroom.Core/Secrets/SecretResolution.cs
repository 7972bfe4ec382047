using Strongroom.Core.Storage;

namespace Strongroom.Core.Secrets;

/// <summary>
/// One call's SecretId, resolved at most once and shared by the access decision and the operation (#17: "the secret
/// is resolved once per call"). The decision resolves it (name, full ARN or partial ARN, as <see cref="SecretLookup"/>
/// does) to build its checks; a read operation on the same call then uses that record — and the version the decision
/// looked up for kms:Decrypt — instead of asking the store again. Writes resolve their secret again inside their own
/// transaction (what they change must be what they read under its lock); they use this only through the decision.
/// Belongs to one call: not thread-safe.
/// </summary>
public sealed class SecretResolution
{
    private bool _resolved;
    private SecretRecord? _secret;
    private (string? VersionId, string? Stage, SecretVersionRecord? Version)? _version;

    public SecretResolution(string region, string secretId)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(secretId);
        Region = region;
        SecretId = secretId;
    }

    /// <summary>The region of the call's credential scope.</summary>
    public string Region { get; }

    /// <summary>The SecretId as the caller sent it.</summary>
    public string SecretId { get; }

    /// <summary>Whether this resolution is of <paramref name="secretId"/> in <paramref name="region"/> (what an operation checks before it reuses it).</summary>
    public bool IsFor(string region, string secretId) => string.Equals(Region, region, StringComparison.Ordinal) && string.Equals(SecretId, secretId, StringComparison.Ordinal);

    /// <summary>The secret the SecretId names, or null (an empty SecretId names none); looked up on the first call only.</summary>
    public async ValueTask<SecretRecord?> FindAsync(IStoreReader store, CancellationToken ct)
    {
        if (!_resolved)
        {
            _secret = SecretId.Length == 0 ? null : await SecretLookup.FindAsync(store, Region, SecretId, ct);
            _resolved = true;
        }

        return _secret;
    }

    /// <summary>
    /// The version of <paramref name="secret"/> a read of (<paramref name="versionId"/>, <paramref name="versionStage"/>)
    /// opens — by id when one is given, else by stage (AWSCURRENT when none) — or null; looked up once per pair.
    /// </summary>
    public async ValueTask<SecretVersionRecord?> FindVersionAsync(ISecretReader store, SecretRecord secret, string? versionId, string? versionStage, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(secret);
        var stage = versionId is null ? versionStage ?? StagingLabels.Current : null;
        if (_version is { } cached && ReferenceEquals(secret, _secret) && cached.VersionId == versionId && cached.Stage == stage)
        {
            return cached.Version;
        }

        var version = versionId is not null
            ? await store.FindVersionByIdAsync(secret.Id, versionId, ct)
            : await store.FindVersionByStageAsync(secret.Id, stage!, ct);
        if (ReferenceEquals(secret, _secret))
        {
            _version = (versionId, stage, version);
        }

        return version;
    }
}
