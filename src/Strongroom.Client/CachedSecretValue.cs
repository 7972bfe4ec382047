namespace Strongroom.Client;

/// <summary>A value from a <see cref="SecretCache"/>; <see cref="IsStale"/> when it was served while the server could not be reached.</summary>
public sealed record CachedSecretValue(SecretValue Value, bool IsStale);
