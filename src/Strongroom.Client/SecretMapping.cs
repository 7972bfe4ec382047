namespace Strongroom.Client;

/// <summary>
/// One source of configuration: a secret (<see cref="SecretId"/>) or every secret whose name starts with
/// <see cref="NamePrefix"/>, placed under <see cref="Section"/> (null: derived from the name).
/// </summary>
public sealed record SecretMapping(string? SecretId, string? NamePrefix, string? Section);
