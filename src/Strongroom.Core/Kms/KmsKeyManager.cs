namespace Strongroom.Core.Kms;

/// <summary>
/// Who manages a KMS key. Stored and answered on the wire as AWS's strings ("CUSTOMER", "AWS") through
/// <see cref="KmsKeyWire"/>; the zero value is <see cref="Aws"/>, the manager whose key refuses every change by a caller.
/// </summary>
public enum KmsKeyManager
{
    Aws = 0,
    Customer = 1,
}
