namespace Strongroom.Core.Kms;

/// <summary>
/// A KMS key's state. Stored and answered on the wire as AWS's strings ("Enabled", "Disabled", "PendingDeletion")
/// through <see cref="KmsKeyWire"/>; the zero value is <see cref="Disabled"/>, so a state never set refuses every use.
/// </summary>
public enum KmsKeyState
{
    Disabled = 0,
    Enabled = 1,
    PendingDeletion = 2,
}
