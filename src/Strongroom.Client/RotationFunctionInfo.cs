namespace Strongroom.Client;

/// <summary>A registered rotation function as the admin API shows it (F). Kind is "command", "http" or "builtin".</summary>
public sealed record RotationFunctionInfo(
    string Name,
    string Arn,
    string Kind,
    string? Command,
    string? Url,
    string? Builtin,
    IReadOnlyDictionary<string, string> Environment,
    int TimeoutSeconds,
    string? RoleArn,
    string? Description,
    DateTimeOffset? CreatedDate,
    DateTimeOffset? LastModified)
{
    /// <summary>Environment values may be secrets: only the keys are shown.</summary>
    public override string ToString() => $"RotationFunctionInfo {{ Name = {Name}, Arn = {Arn}, Kind = {Kind}, Environment keys = [{string.Join(", ", Environment.Keys)}] }}";
}
