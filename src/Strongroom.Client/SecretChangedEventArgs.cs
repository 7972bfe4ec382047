namespace Strongroom.Client;

/// <summary>A cached secret now has another version under <see cref="VersionStage"/>.</summary>
public sealed class SecretChangedEventArgs(string secretId, string versionStage) : EventArgs
{
    public string SecretId { get; } = secretId;

    public string VersionStage { get; } = versionStage;
}
