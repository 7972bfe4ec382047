namespace Strongroom.Rotation.Builtin;

/// <summary>The built-in rotators by their Kind.</summary>
public static class BuiltinRotators
{
    public static IReadOnlyDictionary<string, IBuiltinRotator> ByKind { get; } = new IBuiltinRotator[]
    {
        new PostgreSqlSingleUserRotator(),
        new PostgreSqlMultiUserRotator(),
        new MySqlSingleUserRotator(),
        new MySqlMultiUserRotator(),
        new RedisSingleUserRotator(),
        new RedisMultiUserRotator(),
    }.ToDictionary(r => r.Kind, StringComparer.Ordinal);

    /// <summary>The rotator of that kind, or null.</summary>
    public static IBuiltinRotator? Find(string kind) => kind is not null && ByKind.TryGetValue(kind, out IBuiltinRotator? r) ? r : null;
}
