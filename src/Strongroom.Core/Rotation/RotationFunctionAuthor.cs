namespace Strongroom.Core.Rotation;

/// <summary>
/// Who writes a rotation function. Command and URL functions run code and open connections on the server, so only
/// an author with <see cref="MayDefineCode"/> (the administrator) may define or change them; built-in functions are
/// ordinary IAM-governed resources.
/// </summary>
public sealed record RotationFunctionAuthor(string PrincipalArn, bool MayDefineCode)
{
    /// <summary>The server's administrator (and operator tools).</summary>
    public static RotationFunctionAuthor Administrator { get; } = new("administrator", true);
}
