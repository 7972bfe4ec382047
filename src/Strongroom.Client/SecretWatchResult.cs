namespace Strongroom.Client;

/// <summary>Strongroom.WatchSecrets' answer: the secrets whose AWSCURRENT moved (empty after the wait) and the ones not watched.</summary>
public sealed record SecretWatchResult(IReadOnlyList<SecretChange> Changed, IReadOnlyList<SecretWatchError> Errors);
