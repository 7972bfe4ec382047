namespace Strongroom.Client;

/// <summary>
/// What a <see cref="SecretCache"/> entry holds: a secret by stage, or by version id (the stage is then not part of it).
/// A value type, so looking an entry up allocates nothing on the cached-read path.
/// </summary>
internal readonly record struct SecretCacheKey(bool ByVersion, string SecretId, string? Selector)
{
    public static SecretCacheKey For(string secretId, string? versionId, string? stage) =>
        versionId is null ? new(false, secretId, stage) : new(true, secretId, versionId);
}
