namespace Strongroom.Client;

/// <summary>One secret whose AWSCURRENT is not the version the watcher knew: the id as the caller gave it, and the new current version.</summary>
public sealed record SecretChange(string SecretId, string Arn, string VersionId);
