namespace Strongroom.Core.Kms;

/// <summary>
/// AWS's strings for <see cref="KmsKeyState"/> and <see cref="KmsKeyManager"/>: what the KMS protocol answers (KeyState,
/// KeyManager), what events carry, and what the store keeps (the stored values are unchanged, so no migration).
/// </summary>
public static class KmsKeyWire
{
    public static string ToWire(KmsKeyState state) => state switch
    {
        KmsKeyState.Enabled => "Enabled",
        KmsKeyState.Disabled => "Disabled",
        KmsKeyState.PendingDeletion => "PendingDeletion",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a key state"),
    };

    public static string ToWire(KmsKeyManager manager) => manager switch
    {
        KmsKeyManager.Customer => "CUSTOMER",
        KmsKeyManager.Aws => "AWS",
        _ => throw new ArgumentOutOfRangeException(nameof(manager), manager, "not a key manager"),
    };

    /// <summary>A stored state; a value the store never writes is refused rather than guessed.</summary>
    public static KmsKeyState ParseState(string stored) => stored switch
    {
        "Enabled" => KmsKeyState.Enabled,
        "Disabled" => KmsKeyState.Disabled,
        "PendingDeletion" => KmsKeyState.PendingDeletion,
        _ => throw new FormatException($"'{stored}' is not a stored KMS key state"),
    };

    /// <summary>A stored manager; a value the store never writes is refused rather than guessed.</summary>
    public static KmsKeyManager ParseManager(string stored) => stored switch
    {
        "CUSTOMER" => KmsKeyManager.Customer,
        "AWS" => KmsKeyManager.Aws,
        _ => throw new FormatException($"'{stored}' is not a stored KMS key manager"),
    };
}
