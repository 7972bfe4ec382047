using System.Text.Json;
using Strongroom.Core.Events;

namespace Strongroom.Server;

/// <summary>
/// One webhook endpoint events are delivered to: where, the secret its deliveries are signed with, and which events
/// it receives. An event matches when every filter given matches it (an empty filter matches everything): its
/// detail-type is one of <see cref="DetailTypes"/>, its source one of <see cref="Sources"/>, and one of its resources
/// starts with one of <see cref="ResourcePrefixes"/>. <see cref="ToString"/> never shows the secret.
/// </summary>
public sealed class EventEndpointOptions
{
    /// <summary>The endpoint's name in the outbox and the admin commands (default: its URL). Unique.</summary>
    public required string Name { get; init; }

    public required Uri Url { get; init; }

    /// <summary>The HMAC-SHA256 signing key (UTF-8 bytes of the text). Null: deliveries are sent unsigned. Never logged.</summary>
    public string? Secret { get; init; }

    public IReadOnlyList<string> DetailTypes { get; init; } = [];

    public IReadOnlyList<string> Sources { get; init; } = [];

    public IReadOnlyList<string> ResourcePrefixes { get; init; } = [];

    public bool Matches(ServiceEvent serviceEvent)
    {
        ArgumentNullException.ThrowIfNull(serviceEvent);
        return (DetailTypes.Count == 0 || DetailTypes.Contains(serviceEvent.DetailType, StringComparer.Ordinal))
            && (Sources.Count == 0 || Sources.Contains(serviceEvent.Source, StringComparer.Ordinal))
            && (ResourcePrefixes.Count == 0 || serviceEvent.Resources.Any(r => ResourcePrefixes.Any(p => r.StartsWith(p, StringComparison.Ordinal))));
    }

    public override string ToString() => $"{Name} ({Url}{(Secret is null ? ", unsigned" : ", signed")})";

    /// <summary>
    /// Reads the config file's <c>event-webhooks</c> setting: a JSON array of objects with <c>url</c> (required),
    /// <c>name</c>, <c>secret</c> or <c>secret-file</c>, <c>detail-types</c>, <c>sources</c>, <c>resource-prefixes</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The setting is malformed (the message names the entry, never a secret).</exception>
    public static IReadOnlyList<EventEndpointOptions> ParseList(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("event-webhooks: must be a JSON array of endpoint objects");
        }

        var list = new List<EventEndpointOptions>();
        var index = 0;
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var at = $"event-webhooks[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"{at}: must be an object");
            }

            string? url = null, name = null, secret = null, secretFile = null;
            IReadOnlyList<string> types = [], sources = [], prefixes = [];
            foreach (var p in item.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "url": url = Text(p, at); break;
                    case "name": name = Text(p, at); break;
                    case "secret": secret = Text(p, at); break;
                    case "secret-file": secretFile = Text(p, at); break;
                    case "detail-types": types = Texts(p, at); break;
                    case "sources": sources = Texts(p, at); break;
                    case "resource-prefixes": prefixes = Texts(p, at); break;
                    default: throw new ArgumentException($"{at}: unknown member '{p.Name}' (known: url, name, secret, secret-file, detail-types, sources, resource-prefixes)");
                }
            }

            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"{at}: 'url' must be an http(s) URL");
            }

            if (secret is not null && secretFile is not null)
            {
                throw new ArgumentException($"{at}: give 'secret' or 'secret-file', not both");
            }

            if (secretFile is not null)
            {
                try
                {
                    secret = File.ReadAllText(secretFile).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ArgumentException($"{at}: secret-file '{secretFile}' cannot be read ({e.GetType().Name})", e);
                }
            }

            if (secret is { Length: < 16 })
            {
                throw new ArgumentException($"{at}: the signing secret must have at least 16 characters");
            }

            list.Add(new EventEndpointOptions { Name = name ?? url, Url = uri, Secret = secret, DetailTypes = types, Sources = sources, ResourcePrefixes = prefixes });
        }

        return list;
    }

    private static string Text(JsonProperty p, string at) =>
        p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new ArgumentException($"{at}: '{p.Name}' must be a string");

    private static string[] Texts(JsonProperty p, string at) =>
        p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String)
            ? [.. p.Value.EnumerateArray().Select(v => v.GetString()!)]
            : throw new ArgumentException($"{at}: '{p.Name}' must be an array of strings");
}
