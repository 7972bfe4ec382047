using Strongroom.Core.Errors;

namespace Strongroom.Core.Identity;

/// <summary>The errors IAM answers, as AWS names them.</summary>
internal static class IamErrors
{
    internal static DomainException Unmodifiable(string what) => DomainException.WithCode("UnmodifiableEntity", what);

    internal static DomainException NoSuchEntity(string what) => DomainException.WithCode("NoSuchEntity", what, 404);

    internal static DomainException Exists(string what) => DomainException.WithCode("EntityAlreadyExists", what, 409);

    internal static DomainException Conflict(string what) => DomainException.WithCode("DeleteConflict", what, 409);

    internal static DomainException Invalid(string what) => DomainException.WithCode("ValidationError", what);
}
