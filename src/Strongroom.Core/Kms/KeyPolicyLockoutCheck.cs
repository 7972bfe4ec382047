namespace Strongroom.Core.Kms;

/// <summary>
/// KMS's policy lockout safety check, supplied by whoever knows the caller (the host's authorizer): true when
/// the caller could still call kms:PutKeyPolicy on <paramref name="keyArn"/> if the key's policy were
/// <paramref name="policy"/> (with the caller's identity policies, as a later PutKeyPolicy would be decided).
/// </summary>
public delegate Task<bool> KeyPolicyLockoutCheck(string keyArn, string policy, CancellationToken ct);
