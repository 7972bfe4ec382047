using System.Text;
using System.Text.RegularExpressions;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;
using static Strongroom.Core.Parameters.ParameterNames;
using static Strongroom.Core.Parameters.ParameterPolicies;
using static Strongroom.Core.Parameters.ParameterTags;

namespace Strongroom.Core.Parameters;

/// <summary>PutParameter (new parameters and new versions: tier, type, pattern, KMS key, policies, tags) and the labels of versions.</summary>
public sealed class ParameterWrites
{
    private const int MaxVersions = 100;
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);
    private readonly ParameterStoreContext _context;
    private readonly IUnitOfWork _store;
    private readonly TimeProvider _time;

    internal ParameterWrites(ParameterStoreContext context)
    {
        _context = context;
        _store = context.Store;
        _time = context.Time;
    }

    public async Task<(long Version, string Tier)> PutParameterAsync(string region, PutParameterRequest request, string? user, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ValidateName(request.Name, forWrite: true);
        if (name.Length + _context.Arn(region, string.Empty).Length > 1011)
        {
            throw Validation("Parameter name is too long: with its ARN prefix a name may have at most 1011 characters.");
        }

        Validate.Length(request.Description, "description", 0, 1024);
        Validate.Length(request.AllowedPattern, "allowedPattern", 0, 1024);
        Validate.Length(request.KeyId, "keyId", 1, 256);
        Validate.Length(request.Policies, "policies", 1, 4096);
        Validate.Length(request.DataType, "dataType", 0, 128);
        Validate.Enum(request.Tier, "tier", "Standard", "Advanced", "Intelligent-Tiering");
        if (request.Type is not null and not ("String" or "StringList" or "SecureString"))
        {
            throw Error("UnsupportedParameterType", $"The parameter type {request.Type} is not supported. Valid types are String, StringList and SecureString.");
        }

        if (request.DataType is not null and not ("text" or "aws:ec2:image" or "aws:ssm:integration"))
        {
            throw Validation($"The following data type is not supported: {request.DataType} (valid: text, aws:ec2:image, aws:ssm:integration).");
        }

        if (request.Tags is not null && request.Tags.Count > 0 && request.Overwrite)
        {
            throw Validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.");
        }

        ValidateTags(request.Tags);
        if (request.Value.Contains("{{", StringComparison.Ordinal))
        {
            throw Validation("Parameter value can't nest another parameter. Do not use \"{{}}\" in the value.");
        }

        var policies = ParsePolicies(request.Policies, _time.GetUtcNow());
        var key = KeyOf(name);
        return await _store.WriteAsync(async tx =>
        {
            var existing = await tx.FindParameterAsync(region, key, ct);
            if (existing is not null && !request.Overwrite)
            {
                throw Error("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
            }

            var type = request.Type ?? existing?.Current.Type ?? throw Validation("A parameter type is required when you create a parameter.");
            if (existing is not null && request.Type is not null && request.Type != existing.Current.Type && existing.Key.LastIndexOf('/') > 0)
            {
                throw Error("HierarchyTypeMismatchException", $"The parameter type can't be changed from {existing.Current.Type} to {request.Type} for a parameter in a hierarchy.");
            }

            if (request.KeyId is not null && type != "SecureString")
            {
                throw Validation("KeyId is valid only for SecureString parameters.");
            }

            var pattern = request.AllowedPattern ?? existing?.Current.AllowedPattern;
            if (!string.IsNullOrEmpty(pattern))
            {
                Regex regex;
                try
                {
                    regex = new Regex($"\\A(?:{pattern})\\z", RegexOptions.None, RegexTimeout);
                }
                catch (ArgumentException)
                {
                    throw Error("InvalidAllowedPatternException", $"The allowed pattern {pattern} is not a valid regular expression.");
                }

                bool matches;
                try
                {
                    matches = regex.IsMatch(request.Value);
                }
                catch (RegexMatchTimeoutException)
                {
                    matches = false;
                }

                if (!matches)
                {
                    throw Error("ParameterPatternMismatchException", $"Parameter value, cannot be validated against allowedPattern: {pattern}");
                }
            }

            var effectivePolicies = request.Policies is null ? existing?.Current.Policies : policies;
            var tier = ChooseTier(request.Tier, existing?.Current.Tier, request.Value.Length, effectivePolicies is not null);
            var now = _context.Now;
            var version = new ParameterVersionRecord
            {
                Version = (existing?.Current.Version ?? 0) + 1,
                Type = type,
                Value = [],
                KeyId = type == "SecureString" ? request.KeyId ?? (existing?.Current.Type == "SecureString" ? existing.Current.KeyId : null) ?? KeyRing.SsmAlias : null,
                Description = request.Description ?? existing?.Current.Description,
                AllowedPattern = pattern,
                Tier = tier,
                DataType = request.DataType ?? existing?.Current.DataType ?? "text",
                Policies = effectivePolicies,
                LastModifiedDate = now,
                LastModifiedUser = user,
            };
            version.Value = type == "SecureString"
                ? await _context.EncryptAsync(tx, region, name, version.KeyId!, request.Value, ct)
                : Encoding.UTF8.GetBytes(type == "StringList" ? string.Join(',', request.Value.Split(',').Select(v => v.Trim())) : request.Value);

            var parameter = existing ?? new ParameterRecord { Region = region, Key = key, Name = name, Current = version, Tags = request.Tags?.ToList() ?? [] };
            parameter.Current = version;
            if (existing is not null)
            {
                var versions = await tx.ListParameterVersionsAsync(region, key, ct);
                if (versions.Count >= MaxVersions)
                {
                    var oldest = versions[0].Version;
                    if (parameter.Labels.ContainsValue(oldest))
                    {
                        throw Error("ParameterMaxVersionLimitExceeded", $"You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.");
                    }

                    await tx.DeleteParameterVersionAsync(region, key, oldest, ct);
                }
            }

            await tx.InsertParameterVersionAsync(region, key, version, ct);
            await tx.UpsertParameterAsync(parameter, ct);
            return (version.Version, tier);
        }, ct);
    }

    private static string ChooseTier(string? requested, string? existing, int length, bool hasPolicies)
    {
        var needsAdvanced = length > 4096 || hasPolicies;
        var tier = requested switch
        {
            "Advanced" => "Advanced",
            "Standard" => "Standard",
            "Intelligent-Tiering" => existing == "Advanced" || needsAdvanced ? "Advanced" : "Standard",
            _ => existing ?? "Standard",
        };
        if (existing == "Advanced" && tier == "Standard")
        {
            throw Validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.");
        }

        if (tier == "Standard" && length > 4096)
        {
            throw Validation("Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.");
        }

        if (length > 8192)
        {
            throw Validation("Advanced tier parameters support a maximum parameter value of 8192 characters.");
        }

        if (tier == "Standard" && hasPolicies)
        {
            throw Validation("Parameter policies are supported only for advanced-parameter tier parameters. Use the advanced-parameter tier or Intelligent-Tiering.");
        }

        return tier;
    }

    public async Task<(long Version, IReadOnlyList<string> Invalid)> LabelParameterVersionAsync(string region, string name, long? version, IReadOnlyList<string> labels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count is < 1 or > 10)
        {
            throw DomainException.Constraint("labels", "[...]", labels.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
        }

        var valid = ValidateName(name, forWrite: false);
        return await _store.WriteAsync(async tx =>
        {
            var parameter = await tx.FindParameterAsync(region, KeyOf(valid), ct) ?? throw NotFound(name);
            var target = version ?? parameter.Current.Version;
            if (target != parameter.Current.Version && !(await tx.ListParameterVersionsAsync(region, parameter.Key, ct)).Any(v => v.Version == target))
            {
                throw Error("ParameterVersionNotFound", $"Systems Manager could not find version {target} of {name}. Verify the version and try again.");
            }

            var invalid = labels.Where(l => !ValidLabel(l)).ToList();
            foreach (var label in labels.Where(ValidLabel))
            {
                parameter.Labels[label] = target;
            }

            if (parameter.Labels.Count(l => l.Value == target) > 10)
            {
                throw Error("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 labels. Move one or more labels to another version and try again.");
            }

            await tx.UpsertParameterAsync(parameter, ct);
            return (target, (IReadOnlyList<string>)invalid);
        }, ct);
    }

    public async Task<(IReadOnlyList<string> Removed, IReadOnlyList<string> Invalid)> UnlabelParameterVersionAsync(string region, string name, long version, IReadOnlyList<string> labels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var valid = ValidateName(name, forWrite: false);
        return await _store.WriteAsync(async tx =>
        {
            var parameter = await tx.FindParameterAsync(region, KeyOf(valid), ct) ?? throw NotFound(name);
            if (version != parameter.Current.Version && !(await tx.ListParameterVersionsAsync(region, parameter.Key, ct)).Any(v => v.Version == version))
            {
                throw Error("ParameterVersionNotFound", $"Systems Manager could not find version {version} of {name}. Verify the version and try again.");
            }

            var removed = new List<string>();
            var invalid = new List<string>();
            foreach (var label in labels)
            {
                if (parameter.Labels.TryGetValue(label, out var on) && on == version)
                {
                    parameter.Labels.Remove(label);
                    removed.Add(label);
                }
                else
                {
                    invalid.Add(label);
                }
            }

            await tx.UpsertParameterAsync(parameter, ct);
            return ((IReadOnlyList<string>)removed, (IReadOnlyList<string>)invalid);
        }, ct);
    }
}
