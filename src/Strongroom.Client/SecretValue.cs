namespace Strongroom.Client;

/// <summary>GetSecretValue's answer. Exactly one of SecretString and SecretBinary is set. ToString hides the value.</summary>
public sealed record SecretValue(string Arn, string Name, string VersionId, string? SecretString, byte[]? SecretBinary, IReadOnlyList<string> VersionStages, DateTimeOffset? CreatedDate)
{
    public override string ToString() => $"SecretValue {{ Arn = {Arn}, VersionId = {VersionId}, VersionStages = [{string.Join(", ", VersionStages)}] }}";
}
