using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;
using static Strongroom.Core.Parameters.ParameterNames;

namespace Strongroom.Core.Parameters;

/// <summary>The tags of parameters (AddTagsToResource, RemoveTagsFromResource, ListTagsForResource).</summary>
public sealed class ParameterTags
{
    private readonly IStore _store;

    internal ParameterTags(ParameterStoreContext context)
    {
        _store = context.Store;
    }

    private static void RequireParameterResource(string resourceType)
    {
        if (resourceType != "Parameter")
        {
            throw Error("InvalidResourceType", $"Strongroom serves tags on resource type Parameter only, not {resourceType}.");
        }
    }

    public async Task ChangeTagsAsync(string region, string resourceType, string resourceId, IReadOnlyList<KeyValuePair<string, string>>? add, IReadOnlyList<string>? remove, CancellationToken ct)
    {
        RequireParameterResource(resourceType);
        ValidateTags(add);
        await _store.WriteAsync(async tx =>
        {
            var parameter = await tx.FindParameterAsync(region, KeyOf(resourceId), ct) ?? throw Error("InvalidResourceId", $"The resource ID {resourceId} is not valid. Verify the ID and try again.");
            foreach (var tag in add ?? [])
            {
                parameter.Tags.RemoveAll(t => t.Key == tag.Key);
                parameter.Tags.Add(tag);
            }

            parameter.Tags.RemoveAll(t => remove?.Contains(t.Key) == true);
            if (parameter.Tags.Count > 50)
            {
                throw Error("TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the command again.");
            }

            await tx.UpsertParameterAsync(parameter, ct);
            return true;
        }, ct);
    }

    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ListTagsAsync(string region, string resourceType, string resourceId, CancellationToken ct)
    {
        RequireParameterResource(resourceType);
        var parameter = await _store.FindParameterAsync(region, KeyOf(resourceId), ct) ?? throw Error("InvalidResourceId", $"The resource ID {resourceId} is not valid. Verify the ID and try again.");
        return parameter.Tags;
    }

    internal static void ValidateTags(IReadOnlyList<KeyValuePair<string, string>>? tags)
    {
        if (tags is null)
        {
            return;
        }

        foreach (var (key, value) in tags)
        {
            Validate.Length(key, "tags.member.key", 1, 128);
            Validate.Length(value, "tags.member.value", 0, 256);
            if (!key.All(TagChar) || !value.All(TagChar))
            {
                throw Validation($"The tag {key} has characters that aren't allowed: letters, digits, spaces and _.:/=+-@ only.");
            }

            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw Validation("Tag keys starting with aws: are reserved.");
            }
        }
    }

    private static bool TagChar(char c) => char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || c is '_' or '.' or ':' or '/' or '=' or '+' or '-' or '@';
}
