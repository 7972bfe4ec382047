namespace Strongroom.Core.Kms;

/// <summary>One generation of a key's material (metadata only). RotationType is null for the original material.</summary>
public sealed record KmsKeyVersion(uint Version, DateTimeOffset CreatedDate, string? RotationType);
