using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Strongroom.Configuration;

/// <summary>
/// The settings that stand in for flags not given: a Microsoft.Extensions.Configuration root of the config file (JSON,
/// comments and trailing commas allowed) and, over it, the STRONGROOM_* environment. A flag given on the command line
/// wins over both (System.CommandLine asks for a default only when the flag is absent), then the environment, then the
/// file, then the flag's built-in default. Built once per run in <see cref="Program.Main"/>; never changed afterwards.
/// </summary>
public sealed class StrongroomSettings
{
    private readonly IConfigurationRoot _root;

    private StrongroomSettings(IConfigurationRoot root) => _root = root;

    /// <summary>No file and no environment: what `server --dev` runs with (every flag keeps its built-in default).</summary>
    public static StrongroomSettings None { get; } = new(new ConfigurationBuilder().Build());

    /// <summary>The config file's path from --config FILE in <paramref name="args"/>, else STRONGROOM_CONFIG, else null.</summary>
    public static string? ConfigFile(IReadOnlyList<string> args)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == "--config")
            {
                return args[i + 1];
            }
        }

        return Environment.GetEnvironmentVariable(SettingNames.ConfigVariable) is { Length: > 0 } path ? path : null;
    }

    /// <summary>The config file (if any) and the environment; an error names the file and the setting at fault.</summary>
    public static (StrongroomSettings? Settings, string? Error) Load(string? configFile)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            // A relative path is the caller's, not the executable's directory (the JSON provider's default base).
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.Add(new StrongroomEnvironmentSource());
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException)
        {
            // The JSON provider's own message says only which file; its inner exception says what is wrong in it.
            var detail = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            return (null, $"config file '{configFile}' cannot be read: {detail}");
        }

        if (root.Providers.OfType<JsonConfigurationProvider>().FirstOrDefault() is { } file && FileProblem(file) is { } problem)
        {
            return (null, $"config file '{configFile}': {problem}");
        }

        return (new StrongroomSettings(root), null);
    }

    /// <summary>An unknown key, or a structured value where a string belongs; null when the file is fine.</summary>
    private static string? FileProblem(JsonConfigurationProvider file)
    {
        foreach (var key in file.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!SettingNames.All.Contains(key, StringComparer.Ordinal))
            {
                return $"unknown setting '{key}' (known: {string.Join(", ", SettingNames.All)})";
            }

            if (key != SettingNames.EventWebhooks && !file.TryGet(key, out _))
            {
                return $"setting '{key}' must be a string";
            }
        }

        return null;
    }

    /// <summary>The setting <paramref name="name"/> (environment over file), else <paramref name="fallback"/>.</summary>
    public string? Get(string name, string? fallback) => _root[name] is { } value ? value : fallback;

    /// <summary>The setting's value in each source that gives it, file first then environment (settings whose pairs add up: limits).</summary>
    public IEnumerable<string> EachSource(string name)
    {
        foreach (var provider in _root.Providers)
        {
            if (provider.TryGet(name, out var value) && !string.IsNullOrEmpty(value))
            {
                yield return value;
            }
        }
    }

    /// <summary>The webhook endpoints as JSON text (STRONGROOM_EVENT_WEBHOOKS over the file's array), or null.</summary>
    public string? EventWebhooksJson()
    {
        var section = _root.GetSection(SettingNames.EventWebhooks);
        if (section.Value is { } text)
        {
            return text;
        }

        return section.GetChildren().Any() ? ToJson(section)!.ToJsonString() : null;
    }

    /// <summary>A section as JSON again: a value is a string, children numbered 0..n an array, other children an object.</summary>
    private static JsonNode? ToJson(IConfigurationSection section)
    {
        if (section.Value is { } value)
        {
            return JsonValue.Create(value);
        }

        var children = section.GetChildren().ToList();
        if (children.Count > 0 && children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var array = new JsonArray();
            foreach (var child in children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                array.Add(ToJson(child));
            }

            return array;
        }

        if (children.Count == 0)
        {
            // An empty array or object in the file.
            return new JsonArray();
        }

        var obj = new JsonObject();
        foreach (var child in children)
        {
            obj[child.Key] = ToJson(child);
        }

        return obj;
    }
}
