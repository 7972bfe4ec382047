namespace Strongroom.Client;

/// <summary>
/// The members of CreateRotationFunction and UpdateRotationFunction. For create exactly one of Command, Url and
/// Builtin; for update, null members are left unchanged.
/// </summary>
public sealed record RotationFunctionSpec(
    string Name,
    string? Command = null,
    string? Url = null,
    string? Builtin = null,
    IReadOnlyDictionary<string, string>? Environment = null,
    int? TimeoutSeconds = null,
    string? RoleArn = null,
    string? Description = null)
{
    public override string ToString() => $"RotationFunctionSpec {{ Name = {Name} }}";
}
