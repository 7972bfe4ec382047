namespace Strongroom.Core.Policies;

/// <summary>
/// One authorisation question of a call: may the caller do <see cref="Action"/> on <see cref="Resource"/>, given the
/// condition keys and the resource's own policy (a secret's resource policy, or a KMS key policy when
/// <see cref="KeyPolicy"/> — which must then allow, directly or by delegating to the account, as in AWS KMS).
/// <see cref="Shown"/> is the resource a denial names: never more than the caller sent, so a denial can't reveal
/// existence. Immutable.
/// </summary>
public sealed record AccessCheck(
    string Action,
    string Resource,
    string? ResourcePolicy,
    bool KeyPolicy,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Keys,
    string? Shown = null);
