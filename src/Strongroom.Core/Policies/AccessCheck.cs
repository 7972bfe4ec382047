namespace Strongroom.Core.Policies;

/// <summary>
/// One authorisation question of a call: may the caller do <see cref="Action"/> on <see cref="Resource"/>, given the
/// condition keys and the resource's own policy (a secret's resource policy, or a KMS key policy when
/// <see cref="KeyPolicy"/> — which must then allow, directly or by delegating to the account, as in AWS KMS).
/// <see cref="Shown"/> is the resource a denial names: never more than the caller sent, so a denial can't reveal
/// existence. <see cref="Forbidden"/>: no policy can allow it (the reason is the denial's). A <see cref="TrustOnly"/>
/// check is decided by the resource policy alone, whose account principal then counts (a role's trust policy must let
/// the caller in, whatever its identity policies say; it binds the admin too). Immutable.
/// </summary>
public sealed record AccessCheck(
    string Action,
    string Resource,
    string? ResourcePolicy,
    bool KeyPolicy,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Keys,
    string? Shown = null,
    string? Forbidden = null,
    bool TrustOnly = false);
