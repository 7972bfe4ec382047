namespace Strongroom.Client;

/// <summary>A secret Strongroom.WatchSecrets does not watch for the caller (AccessDeniedException, ResourceNotFoundException, …).</summary>
public sealed record SecretWatchError(string SecretId, string ErrorCode, string Message);
