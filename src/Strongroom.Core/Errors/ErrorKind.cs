namespace Strongroom.Core.Errors;

/// <summary>
/// The domain's error kinds. Each maps to exactly one AWS error code at the protocol edge; the numeric
/// values are not persisted anywhere.
/// </summary>
public enum ErrorKind
{
    ResourceNotFound,
    InvalidParameter,
    InvalidRequest,
    ResourceExists,
    LimitExceeded,
    EncryptionFailure,
    DecryptionFailure,
    MalformedPolicyDocument,
    PublicPolicy,
    PreconditionNotMet,
    InvalidNextToken,
    Validation,
    Serialization,
    AccessDenied,
    InternalFailure,

    // KMS
    KmsNotFound,
    Disabled,
    KmsInvalidState,
    InvalidCiphertext,
    IncorrectKey,
    InvalidKeyUsage,
    InvalidAliasName,
    AlreadyExists,
    UnsupportedOperation,
    Tag,
    InvalidMarker,
    InvalidArn,
}
