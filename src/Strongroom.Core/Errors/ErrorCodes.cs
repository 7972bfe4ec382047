namespace Strongroom.Core.Errors;

/// <summary>AWS's error code for each domain error kind. The single table both the protocol edge and
/// BatchGetSecretValue's per-secret errors use.</summary>
public static class ErrorCodes
{
    public static string For(ErrorKind kind) => kind switch
    {
        ErrorKind.ResourceNotFound => "ResourceNotFoundException",
        ErrorKind.InvalidParameter => "InvalidParameterException",
        ErrorKind.InvalidRequest => "InvalidRequestException",
        ErrorKind.ResourceExists => "ResourceExistsException",
        ErrorKind.LimitExceeded => "LimitExceededException",
        ErrorKind.EncryptionFailure => "EncryptionFailure",
        ErrorKind.DecryptionFailure => "DecryptionFailure",
        ErrorKind.MalformedPolicyDocument => "MalformedPolicyDocumentException",
        ErrorKind.PublicPolicy => "PublicPolicyException",
        ErrorKind.PreconditionNotMet => "PreconditionNotMetException",
        ErrorKind.InvalidNextToken => "InvalidNextTokenException",
        ErrorKind.Validation => "ValidationException",
        ErrorKind.Serialization => "SerializationException",
        ErrorKind.AccessDenied => "AccessDeniedException",
        ErrorKind.KmsNotFound => "NotFoundException",
        ErrorKind.Disabled => "DisabledException",
        ErrorKind.KmsInvalidState => "KMSInvalidStateException",
        ErrorKind.InvalidCiphertext => "InvalidCiphertextException",
        ErrorKind.IncorrectKey => "IncorrectKeyException",
        ErrorKind.InvalidKeyUsage => "InvalidKeyUsageException",
        ErrorKind.InvalidAliasName => "InvalidAliasNameException",
        ErrorKind.AlreadyExists => "AlreadyExistsException",
        ErrorKind.UnsupportedOperation => "UnsupportedOperationException",
        ErrorKind.Tag => "TagException",
        ErrorKind.InvalidMarker => "InvalidMarkerException",
        ErrorKind.InvalidArn => "InvalidArnException",
        _ => "InternalServiceError",
    };
}
