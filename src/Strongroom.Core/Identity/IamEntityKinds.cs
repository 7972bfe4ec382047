namespace Strongroom.Core.Identity;

/// <summary>
/// The stored string of each <see cref="IamEntityKind"/>: the iam_entities table's kind column, the kind inside an
/// entity row's integrity tag (<see cref="IamRecords.EntityContent(IamEntityKind, string, string)"/>), and the
/// "kind/name" a record-integrity report names. The one place that knows them.
/// </summary>
public static class IamEntityKinds
{
    public static string ToStored(IamEntityKind kind) => kind switch
    {
        IamEntityKind.User => "user",
        IamEntityKind.Group => "group",
        IamEntityKind.Policy => "policy",
        IamEntityKind.Role => "role",
        IamEntityKind.Session => "session",
        IamEntityKind.OidcProvider => "oidc-provider",
        IamEntityKind.RotationFunction => "rotation-function",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an IAM entity kind"),
    };

    /// <summary>A stored kind; a value the store never writes is refused rather than guessed.</summary>
    public static IamEntityKind Parse(string stored) => stored switch
    {
        "user" => IamEntityKind.User,
        "group" => IamEntityKind.Group,
        "policy" => IamEntityKind.Policy,
        "role" => IamEntityKind.Role,
        "session" => IamEntityKind.Session,
        "oidc-provider" => IamEntityKind.OidcProvider,
        "rotation-function" => IamEntityKind.RotationFunction,
        _ => throw new FormatException($"'{stored}' is not a stored IAM entity kind"),
    };
}
