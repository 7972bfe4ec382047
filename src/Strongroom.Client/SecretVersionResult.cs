namespace Strongroom.Client;

/// <summary>PutSecretValue's answer: the version written and its staging labels.</summary>
public sealed record SecretVersionResult(string Arn, string Name, string VersionId, IReadOnlyList<string> VersionStages);
