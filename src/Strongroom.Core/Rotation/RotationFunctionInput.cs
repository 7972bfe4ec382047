namespace Strongroom.Core.Rotation;

/// <summary>
/// The members of a create or update. For a create exactly one of Command, Url and Builtin; for an update a null
/// member is left unchanged, a kind member switches the function to that kind, and Environment replaces the whole map.
/// </summary>
public sealed record RotationFunctionInput(
    string Name,
    string? Command = null,
    string? Url = null,
    string? Builtin = null,
    IReadOnlyDictionary<string, string>? Environment = null,
    int? TimeoutSeconds = null,
    string? RoleArn = null,
    string? Description = null)
{
    /// <summary>Environment values may be secrets: only the name is shown.</summary>
    public override string ToString() => $"RotationFunctionInput {{ Name = {Name} }}";
}
