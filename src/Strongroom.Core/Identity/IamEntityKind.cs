namespace Strongroom.Core.Identity;

/// <summary>
/// What an IAM-entity row holds. Stored as the strings of <see cref="IamEntityKinds"/> ("user", "group" …), unchanged, so
/// the rows, their integrity tags and the golden shapes need no migration.
/// </summary>
public enum IamEntityKind
{
    User,
    Group,
    Policy,
    Role,
    Session,
    OidcProvider,
    RotationFunction,
}
