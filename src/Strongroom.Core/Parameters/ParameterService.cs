using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Parameters;

/// <summary>
/// Parameter Store: hierarchical String/StringList/SecureString parameters with versions, labels, tags and
/// expiration policies, plus the read-only /aws/reference/secretsmanager/ bridge. SecureString values are
/// KMS-encrypted under the parameter's key with the context {"PARAMETER_ARN": arn}. Thread-safe.
/// </summary>
public sealed class ParameterService
{
    private const string ReferencePrefix = "/aws/reference/secretsmanager/";
    private const int MaxVersions = 100;
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);
    private readonly IStore _store;
    private readonly KeyRing _keys;
    private readonly SecretsService _secrets;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;

    public ParameterService(IStore store, KeyRing keys, SecretsService secrets, ServerIdentity identity, TimeProvider time)
    {
        _store = store;
        _keys = keys;
        _secrets = secrets;
        _identity = identity;
        _time = time;
    }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    private static DomainException Error(string code, string message) => DomainException.WithCode(code, message);

    private static DomainException Validation(string message) => new(ErrorKind.Validation, message);

    private static DomainException NotFound(string name) => Error("ParameterNotFound", $"Parameter {name} not found.");

    // ---------------------------------------------------------------- names

    /// <summary>The canonical lookup key: every name with a leading slash (so /a and a are one parameter).</summary>
    public static string KeyOf(string name) => name.StartsWith('/') ? name : "/" + name;

    public string Arn(string region, string name) => $"arn:aws:ssm:{region}:{_identity.AccountId}:parameter/{name.TrimStart('/')}";

    private static string ValidateName(string name, bool forWrite)
    {
        Validate.Length(name, "name", 1, 2048);
        var trimmed = name.Trim();
        if (trimmed.Contains(' ', StringComparison.Ordinal) || trimmed.Length == 0 || !trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '/'))
        {
            throw Validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_");
        }

        var bare = trimmed.TrimStart('/');
        if (forWrite && (bare.StartsWith("aws", StringComparison.OrdinalIgnoreCase) || bare.StartsWith("ssm", StringComparison.OrdinalIgnoreCase)))
        {
            throw Validation($"Parameter name: can't be prefixed with \"{bare[..3].ToLowerInvariant()}\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_");
        }

        if (trimmed.Contains('/', StringComparison.Ordinal) && !trimmed.StartsWith('/'))
        {
            throw Validation("Parameter name must be a fully qualified name: a name in a hierarchy starts with a forward slash (/).");
        }

        if (trimmed.Contains("//", StringComparison.Ordinal) || (trimmed.Length > 1 && trimmed.EndsWith('/')))
        {
            throw Validation("Parameter name must not contain empty path segments or end with a slash.");
        }

        if (bare.Split('/').Length > 15)
        {
            throw Error("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels.");
        }

        return trimmed;
    }

    /// <summary>Splits "name:selector" or a parameter ARN into the name and the selector.</summary>
    private (string Name, string? Selector) ParseReference(string region, string reference)
    {
        var name = reference;
        if (reference.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = reference.Split(':', 6);
            if (parts.Length != 6 || parts[2] != "ssm" || parts[3] != region || !parts[5].StartsWith("parameter/", StringComparison.Ordinal))
            {
                throw Validation($"Invalid parameter ARN: {reference}");
            }

            var resource = parts[5]["parameter/".Length..];
            name = resource.Contains('/', StringComparison.Ordinal) ? "/" + resource : resource;
        }

        var colon = name.LastIndexOf(':');
        return colon < 0 ? (name, null) : (name[..colon], name[(colon + 1)..]);
    }

    // ---------------------------------------------------------------- writes

    public async Task<(long Version, string Tier)> PutParameterAsync(string region, PutParameterRequest request, string? user, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ValidateName(request.Name, forWrite: true);
        if (name.Length + Arn(region, string.Empty).Length > 1011)
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
            var now = Now;
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
                ? await EncryptAsync(tx, region, name, version.KeyId!, request.Value, ct)
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

    /// <summary>Validates a Policies JSON array; returns null for "[{}]" (remove all), else the text.</summary>
    private static string? ParsePolicies(string? policies, DateTimeOffset now)
    {
        if (policies is null)
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(policies);
        }
        catch (JsonException)
        {
            throw Error("InvalidPolicyTypeException", "The parameter policies are not a valid JSON array of policies.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw Error("InvalidPolicyTypeException", "The parameter policies must be a JSON array.");
            }

            var items = document.RootElement.EnumerateArray().ToList();
            if (items.Count == 1 && items[0].ValueKind == JsonValueKind.Object && !items[0].EnumerateObject().Any())
            {
                return null;
            }

            if (items.Count > 10)
            {
                throw Error("PoliciesLimitExceededException", "A parameter can have at most 10 policies.");
            }

            var expirations = 0;
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("Type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    throw Error("InvalidPolicyTypeException", "Every parameter policy needs a Type.");
                }

                var attributes = item.TryGetProperty("Attributes", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
                switch (type.GetString())
                {
                    case "Expiration":
                        expirations++;
                        if (attributes.ValueKind != JsonValueKind.Object || !attributes.TryGetProperty("Timestamp", out var ts) || ts.ValueKind != JsonValueKind.String
                            || !DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
                        {
                            throw Error("InvalidPolicyAttributeException", "An Expiration policy needs Attributes.Timestamp in ISO 8601 format.");
                        }

                        if (expires <= now)
                        {
                            throw Error("InvalidPolicyAttributeException", "The Expiration Timestamp must be in the future.");
                        }

                        break;
                    case "ExpirationNotification":
                    case "NoChangeNotification":
                        var amount = type.GetString() == "ExpirationNotification" ? "Before" : "After";
                        if (attributes.ValueKind != JsonValueKind.Object || !attributes.TryGetProperty(amount, out var n) || !long.TryParse(n.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                            || !attributes.TryGetProperty("Unit", out var unit) || unit.GetString() is not ("Days" or "Hours"))
                        {
                            throw Error("InvalidPolicyAttributeException", $"A {type.GetString()} policy needs Attributes.{amount} (a number) and Unit (Days or Hours).");
                        }

                        break;
                    default:
                        throw Error("InvalidPolicyTypeException", $"The policy type {type.GetString()} is not valid. Valid types are Expiration, ExpirationNotification and NoChangeNotification.");
                }
            }

            if (expirations > 1)
            {
                throw Error("IncompatiblePolicyException", "A parameter can have only one Expiration policy.");
            }

            return policies;
        }
    }

    private static void ValidateTags(IReadOnlyList<KeyValuePair<string, string>>? tags)
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

    private async Task<byte[]> EncryptAsync(IStoreTransaction tx, string region, string name, string keyId, string value, CancellationToken ct)
    {
        KmsKeyRecord? key;
        try
        {
            key = await _keys.FindAsync(tx, region, keyId, allowAlias: true, ct);
            if (key is null)
            {
                throw Error("InvalidKeyId", $"Invalid KeyId: {keyId}");
            }

            KeyRing.EnsureUsable(key);
        }
        catch (KmsUnavailableException e)
        {
            throw Error("InvalidKeyId", e.Failure == KmsFailure.PendingDeletion ? $"{e.KeyArn} is pending deletion." : $"{e.KeyArn} is disabled.");
        }

        var plaintext = Encoding.UTF8.GetBytes(value);
        try
        {
            return await _keys.EncryptAsync(tx, key, plaintext, Context(region, name), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private byte[] Context(string region, string name) => EncryptionContext.Canonical(new Dictionary<string, string> { ["PARAMETER_ARN"] = Arn(region, name) });

    private async Task<string> ReadValueAsync(string region, ParameterRecord parameter, ParameterVersionRecord version, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        if (version.Type != "SecureString")
        {
            return Encoding.UTF8.GetString(version.Value);
        }

        if (!withDecryption)
        {
            return Convert.ToBase64String(version.Value);
        }

        // SSM decrypts with the caller's permissions: kms:Decrypt on the key this version's blob names (not the
        // parameter's current KeyId, nor an alias that may since point elsewhere), through SSM, with its context.
        if (await _keys.KeyOfBlobAsync(_store, version.Value, ct) is { } key
            && await access.KeyUseDeniedAsync(key, "kms:Decrypt", $"ssm.{region}.amazonaws.com", new Dictionary<string, string>(StringComparer.Ordinal) { ["PARAMETER_ARN"] = Arn(region, parameter.Name) }, ct) is { } denied)
        {
            throw new DomainException(ErrorKind.AccessDenied, denied);
        }

        try
        {
            var (_, _, plaintext) = await _keys.DecryptAsync(_store, version.Value, Context(region, parameter.Name), ct);
            try
            {
                return Encoding.UTF8.GetString(plaintext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
        catch (KmsUnavailableException e)
        {
            throw Error("InvalidKeyId", e.Failure switch
            {
                KmsFailure.Disabled => $"{e.KeyArn} is disabled.",
                KmsFailure.PendingDeletion => $"{e.KeyArn} is pending deletion.",
                _ => "The parameter's value can't be decrypted with its KMS key.",
            });
        }
    }

    // ---------------------------------------------------------------- reads

    /// <summary>GetParameter. <paramref name="access"/> answers for what the read reaches beyond the parameter: the KMS key of a SecureString, the secret of a reference.</summary>
    public async Task<ParameterValue> GetParameterAsync(string region, string reference, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(access);
        Validate.Length(reference, "name", 1, 2048);
        var (name, selector) = ParseReference(region, reference);
        if (name.StartsWith(ReferencePrefix, StringComparison.Ordinal))
        {
            return await GetSecretReferenceAsync(region, name, selector, withDecryption, access, ct);
        }

        var parameter = await _store.FindParameterAsync(region, KeyOf(ValidateName(name, forWrite: false)), ct) ?? throw NotFound(reference);
        var version = parameter.Current;
        if (selector is not null)
        {
            if (selector.Length == 0)
            {
                throw Error("ParameterVersionNotFound", $"Systems Manager could not find version  of {name}.");
            }

            long? wanted = long.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : parameter.Labels.TryGetValue(selector, out var labelled) ? labelled : null;
            var found = wanted is null ? null : wanted == version.Version ? version : (await _store.ListParameterVersionsAsync(region, parameter.Key, ct)).FirstOrDefault(v => v.Version == wanted);
            version = found ?? throw Error("ParameterVersionNotFound", $"Systems Manager could not find version {selector} of {name}. Verify the version and try again.");
        }

        return new ParameterValue(parameter.Name, version.Type, await ReadValueAsync(region, parameter, version, withDecryption, access, ct), version.Version,
            selector is null ? null : ":" + selector, null, version.LastModifiedDate, Arn(region, parameter.Name), version.DataType);
    }

    private async Task<ParameterValue> GetSecretReferenceAsync(string region, string name, string? selector, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        if (!withDecryption)
        {
            throw Validation("WithDecryption flag must be True for retrieving a Secret Manager secret.");
        }

        var secretId = name[ReferencePrefix.Length..];
        string? versionId = null, stage = null;
        if (selector is not null)
        {
            (versionId, stage) = selector.Length >= 32 && selector.Contains('-', StringComparison.Ordinal) ? (selector, (string?)null) : (null, selector);
        }

        // The same checks as a GetSecretValue of the secret itself (its tags, stage and version keys, its resource
        // policy, kms:Decrypt on its key), made before the secret is looked up so a denial reveals nothing.
        if (await access.SecretReadDeniedAsync(region, secretId, versionId, stage, ct) is { } denied)
        {
            throw new DomainException(ErrorKind.AccessDenied, denied);
        }

        SecretValueResult result;
        try
        {
            result = await _secrets.Reads.GetSecretValueAsync(region, secretId, versionId, stage, ct);
        }
        catch (DomainException e) when (e.Kind == ErrorKind.ResourceNotFound)
        {
            throw selector is null ? NotFound(name) : Error("ParameterVersionNotFound", $"Systems Manager could not find version {selector} of {name}.");
        }

        using (result)
        {
            var value = result.Value.Text ?? Convert.ToBase64String(result.Value.Binary!);
            var source = new Dictionary<string, object?>
            {
                ["CreatedDate"] = result.Version.CreatedDate.ToUnixTimeMilliseconds() / 1000m,
                ["Name"] = result.Secret.Name,
                ["VersionId"] = result.Version.VersionId,
                ["SecretString"] = result.Value.Text,
                ["SecretBinary"] = result.Value.Binary is null ? null : Convert.ToBase64String(result.Value.Binary),
                ["VersionStages"] = result.Version.Stages,
                ["ARN"] = result.Secret.Arn,
            };
            return new ParameterValue(name, "SecureString", value, 0, selector is null ? null : ":" + selector,
                JsonSerializer.Serialize(source.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value)),
                result.Version.CreatedDate, result.Secret.Arn, "text");
        }
    }

    public async Task<(IReadOnlyList<ParameterValue> Parameters, IReadOnlyList<string> Invalid)> GetParametersAsync(string region, IReadOnlyList<string> names, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count is < 1 or > 10)
        {
            throw DomainException.Constraint("names", "[...]", names.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
        }

        var found = new List<ParameterValue>();
        var invalid = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            try
            {
                found.Add(await GetParameterAsync(region, name, withDecryption, access, ct));
            }
            catch (DomainException e) when (e.Code is "ParameterNotFound" or "ParameterVersionNotFound" || e.Kind == ErrorKind.Validation && !e.Message.StartsWith("WithDecryption", StringComparison.Ordinal))
            {
                invalid.Add(name);
            }
        }

        return (found.OrderBy(p => p.Name, StringComparer.Ordinal).ToList(), invalid);
    }

    private static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes("p1:" + key));

    private static string DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text.StartsWith("p1:", StringComparison.Ordinal) ? text[3..] : throw new FormatException();
        }
        catch (FormatException)
        {
            throw Error("InvalidNextToken", "The specified token isn't valid.");
        }
    }

    public async Task<ParameterPage<ParameterValue>> GetParametersByPathAsync(string region, string path, bool recursive, IReadOnlyList<ParameterFilter>? filters, bool withDecryption, int? maxResults, string? nextToken, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(access);
        Validate.Length(path, "path", 1, 2048);
        Validate.Range(maxResults, "maxResults", 1, 10);
        if (!path.StartsWith('/'))
        {
            throw Validation("The parameter path must begin with a forward slash (/).");
        }

        if (path.StartsWith(ReferencePrefix.TrimEnd('/'), StringComparison.Ordinal))
        {
            throw Validation("GetParametersByPath doesn't support the /aws/reference/secretsmanager namespace.");
        }

        foreach (var filter in filters ?? [])
        {
            if (filter.Key is not ("Type" or "KeyId" or "Label"))
            {
                throw Error("InvalidFilterKey", $"The following filter key is not valid: {filter.Key}. Valid filter keys include: [Type, KeyId, Label].");
            }

            if (filter.Option is not null && (filter.Key == "Label" ? filter.Option != "Equals" : filter.Option is not ("Equals" or "BeginsWith")))
            {
                throw Error("InvalidFilterOption", $"The following filter option is not valid: {filter.Option}. Valid options include: [Equals, BeginsWith].");
            }
        }

        var prefix = path == "/" ? "/" : path.TrimEnd('/') + "/";
        var size = maxResults ?? 10;
        var after = nextToken is null ? null : DecodeToken(nextToken);
        var page = new List<ParameterValue>();
        string? last = null;
        while (page.Count < size)
        {
            var batch = await _store.ScanParametersAsync(region, prefix, after, 200, ct);
            if (batch.Count == 0)
            {
                last = null;
                break;
            }

            foreach (var parameter in batch)
            {
                after = parameter.Key;
                if (!recursive && parameter.Key[prefix.Length..].Contains('/', StringComparison.Ordinal))
                {
                    continue;
                }

                var version = await MatchFiltersAsync(region, parameter, filters, ct);
                if (version is null)
                {
                    continue;
                }

                page.Add(new ParameterValue(parameter.Name, version.Type, await ReadValueAsync(region, parameter, version, withDecryption, access, ct), version.Version, null, null, version.LastModifiedDate, Arn(region, parameter.Name), version.DataType));
                last = parameter.Key;
                if (page.Count == size)
                {
                    break;
                }
            }

            if (batch.Count < 200 && page.Count < size)
            {
                last = null;
                break;
            }
        }

        string? token = null;
        if (page.Count == size && last is not null && (await _store.ScanParametersAsync(region, prefix, last, 1, ct)).Count > 0)
        {
            token = EncodeToken(last);
        }

        return new ParameterPage<ParameterValue>(page, token);
    }

    private async Task<ParameterVersionRecord?> MatchFiltersAsync(string region, ParameterRecord parameter, IReadOnlyList<ParameterFilter>? filters, CancellationToken ct)
    {
        var version = parameter.Current;
        foreach (var filter in filters ?? [])
        {
            var beginsWith = filter.Option == "BeginsWith";
            switch (filter.Key)
            {
                case "Type":
                    if (!filter.Values.Any(v => beginsWith ? parameter.Current.Type.StartsWith(v, StringComparison.Ordinal) : parameter.Current.Type == v))
                    {
                        return null;
                    }

                    break;
                case "KeyId":
                    if (parameter.Current.KeyId is null || !filter.Values.Any(v => beginsWith ? parameter.Current.KeyId.StartsWith(v, StringComparison.Ordinal) : parameter.Current.KeyId == v))
                    {
                        return null;
                    }

                    break;
                case "Label":
                    var labelled = filter.Values.Select(v => parameter.Labels.TryGetValue(v, out var n) ? n : (long?)null).FirstOrDefault(n => n is not null);
                    if (labelled is null)
                    {
                        return null;
                    }

                    if (labelled != version.Version)
                    {
                        version = (await _store.ListParameterVersionsAsync(region, parameter.Key, ct)).FirstOrDefault(v => v.Version == labelled);
                        if (version is null)
                        {
                            return null;
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        return version;
    }

    public async Task<ParameterPage<ParameterRecord>> DescribeParametersAsync(string region, IReadOnlyList<ParameterFilter>? filters, IReadOnlyList<ParameterFilter>? legacyFilters, int? maxResults, string? nextToken, CancellationToken ct)
    {
        Validate.Range(maxResults, "maxResults", 1, 50);
        if (filters is { Count: > 0 } && legacyFilters is { Count: > 0 })
        {
            throw Validation("You can use either Filters or ParameterFilters in a single request, not both.");
        }

        var all = new List<ParameterFilter>(filters ?? legacyFilters ?? []);
        foreach (var filter in all)
        {
            var isTag = filter.Key.StartsWith("tag:", StringComparison.Ordinal) && filter.Key.Length > 4;
            if (!isTag && filter.Key is not ("Name" or "Type" or "KeyId" or "Path" or "Tier" or "DataType"))
            {
                throw Error("InvalidFilterKey", $"The following filter key is not valid: {filter.Key}. Valid filter keys include: [Path, Name, Type, KeyId, Tier, DataType, tag:<key>].");
            }

            var ok = filter.Option is null || (filter.Key == "Path" ? filter.Option is "Recursive" or "OneLevel" : filter.Option is "Equals" or "BeginsWith" || (filter.Key == "Name" && filter.Option == "Contains"));
            if (!ok)
            {
                throw Error("InvalidFilterOption", "The specified filter option isn't valid. Valid options are Equals and BeginsWith. For Path filter, valid options are Recursive and OneLevel.");
            }

            if (filter.Values.Count is < 1 or > 50 || filter.Values.Any(v => v.Length is < 1 or > 1024))
            {
                throw Error("InvalidFilterValue", $"The filter {filter.Key} needs 1 to 50 values of 1 to 1024 characters.");
            }

            if (filter.Key == "Path" && filter.Values.Any(v => !v.StartsWith('/')))
            {
                throw Error("InvalidFilterValue", "A Path filter value must begin with a forward slash (/).");
            }
        }

        var size = maxResults ?? 50;
        var after = nextToken is null ? null : DecodeToken(nextToken);
        var page = new List<ParameterRecord>();
        string? token = null;
        while (true)
        {
            var batch = await _store.ScanParametersAsync(region, string.Empty, after, 500, ct);
            foreach (var parameter in batch)
            {
                after = parameter.Key;
                if (!all.All(f => MatchesDescribe(parameter, f)))
                {
                    continue;
                }

                if (page.Count == size)
                {
                    token = EncodeToken(page[^1].Key);
                    return new ParameterPage<ParameterRecord>(page, token);
                }

                page.Add(parameter);
            }

            if (batch.Count < 500)
            {
                return new ParameterPage<ParameterRecord>(page, null);
            }
        }
    }

    private static bool MatchesDescribe(ParameterRecord p, ParameterFilter f)
    {
        bool Compare(string? actual) => actual is not null && f.Values.Any(v => f.Option switch
        {
            "BeginsWith" => actual.StartsWith(v, StringComparison.Ordinal),
            "Contains" => actual.Contains(v, StringComparison.Ordinal),
            _ => actual == v,
        });

        if (f.Key.StartsWith("tag:", StringComparison.Ordinal))
        {
            var tagKey = f.Key[4..];
            return p.Tags.Any(t => t.Key == tagKey && Compare(t.Value));
        }

        return f.Key switch
        {
            "Name" => Compare(p.Name) || Compare(p.Key) || (f.Option is null or "Equals" && f.Values.Any(v => KeyOf(v) == p.Key)),
            "Type" => Compare(p.Current.Type),
            "KeyId" => Compare(p.Current.KeyId),
            "Tier" => Compare(p.Current.Tier),
            "DataType" => Compare(p.Current.DataType),
            "Path" => f.Values.Any(v =>
            {
                var prefix = v == "/" ? "/" : v.TrimEnd('/') + "/";
                return p.Key.StartsWith(prefix, StringComparison.Ordinal) && (f.Option == "Recursive" || !p.Key[prefix.Length..].Contains('/', StringComparison.Ordinal));
            }),
            _ => false,
        };
    }

    public async Task<ParameterPage<ParameterHistoryEntry>> GetParameterHistoryAsync(string region, string reference, bool withDecryption, int? maxResults, string? nextToken, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(access);
        Validate.Range(maxResults, "maxResults", 1, 50);
        var (name, _) = ParseReference(region, reference);
        var parameter = await _store.FindParameterAsync(region, KeyOf(ValidateName(name, forWrite: false)), ct) ?? throw NotFound(reference);
        long after = 0;
        if (nextToken is not null && !long.TryParse(DecodeToken(nextToken), NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw Error("InvalidNextToken", "The specified token isn't valid.");
        }

        var size = maxResults ?? 50;
        var versions = (await _store.ListParameterVersionsAsync(region, parameter.Key, ct)).Where(v => v.Version > after).ToList();
        var entries = new List<ParameterHistoryEntry>();
        foreach (var version in versions.Take(size))
        {
            var labels = parameter.Labels.Where(l => l.Value == version.Version).Select(l => l.Key).OrderBy(l => l, StringComparer.Ordinal).ToList();
            entries.Add(new ParameterHistoryEntry(parameter, version, await ReadValueAsync(region, parameter, version, withDecryption, access, ct), labels));
        }

        var token = versions.Count > size ? EncodeToken(entries[^1].Version.Version.ToString(CultureInfo.InvariantCulture)) : null;
        return new ParameterPage<ParameterHistoryEntry>(entries, token);
    }

    // ---------------------------------------------------------------- delete, labels, tags

    public async Task DeleteParameterAsync(string region, string name, CancellationToken ct)
    {
        var valid = ValidateName(name, forWrite: false);
        await _store.WriteAsync(async tx =>
        {
            var key = KeyOf(valid);
            if (await tx.FindParameterAsync(region, key, ct) is null)
            {
                throw NotFound(name);
            }

            await tx.DeleteParameterAsync(region, key, ct);
            return true;
        }, ct);
    }

    public async Task<(IReadOnlyList<string> Deleted, IReadOnlyList<string> Invalid)> DeleteParametersAsync(string region, IReadOnlyList<string> names, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count is < 1 or > 10)
        {
            throw DomainException.Constraint("names", "[...]", names.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
        }

        var deleted = new List<string>();
        var invalid = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await DeleteParameterAsync(region, name, ct);
                deleted.Add(name);
            }
            catch (DomainException e) when (e.Code == "ParameterNotFound" || e.Kind == ErrorKind.Validation)
            {
                invalid.Add(name);
            }
        }

        return (deleted, invalid);
    }

    private static bool ValidLabel(string label) =>
        label.Length is >= 1 and <= 100
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
        && !char.IsAsciiDigit(label[0])
        && !label.StartsWith("aws", StringComparison.OrdinalIgnoreCase)
        && !label.StartsWith("ssm", StringComparison.OrdinalIgnoreCase);

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

    /// <summary>Deletes parameters whose Expiration policy is due. Returns them.</summary>
    public async Task<IReadOnlyList<ParameterRecord>> ExpireDueAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var expired = new List<ParameterRecord>();
        foreach (var region in await _store.ListParameterRegionsAsync(ct))
        {
            string? after = null;
            while (true)
            {
                var batch = await _store.ScanParametersAsync(region, string.Empty, after, 500, ct);
                foreach (var parameter in batch)
                {
                    after = parameter.Key;
                    if (Expiration(parameter.Current.Policies) is { } when && when <= now)
                    {
                        await _store.WriteAsync(async tx =>
                        {
                            await tx.DeleteParameterAsync(region, parameter.Key, ct);
                            return true;
                        }, ct);
                        expired.Add(parameter);
                    }
                }

                if (batch.Count < 500)
                {
                    break;
                }
            }
        }

        return expired;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _notified = new(StringComparer.Ordinal);

    /// <summary>
    /// ExpirationNotification (a set time before expiry) and NoChangeNotification (a set time after the last
    /// change) that have come due, each reported once per parameter version while this process runs.
    /// </summary>
    public async Task<IReadOnlyList<(ParameterRecord Parameter, string PolicyType, string Message)>> DueNotificationsAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var due = new List<(ParameterRecord, string, string)>();
        foreach (var region in await _store.ListParameterRegionsAsync(ct))
        {
            string? after = null;
            while (true)
            {
                var batch = await _store.ScanParametersAsync(region, string.Empty, after, 500, ct);
                foreach (var parameter in batch)
                {
                    after = parameter.Key;
                    if (parameter.Current.Policies is not { } policies)
                    {
                        continue;
                    }

                    using var document = JsonDocument.Parse(policies);
                    foreach (var item in document.RootElement.EnumerateArray())
                    {
                        var type = item.GetProperty("Type").GetString();
                        if (type is not ("ExpirationNotification" or "NoChangeNotification"))
                        {
                            continue;
                        }

                        var attributes = item.GetProperty("Attributes");
                        var amount = long.Parse(attributes.GetProperty(type == "ExpirationNotification" ? "Before" : "After").ToString(), CultureInfo.InvariantCulture);
                        var span = attributes.GetProperty("Unit").GetString() == "Hours" ? TimeSpan.FromHours(amount) : TimeSpan.FromDays(amount);
                        DateTimeOffset? at = type == "ExpirationNotification"
                            ? Expiration(policies) - span
                            : parameter.Current.LastModifiedDate + span;
                        var marker = $"{region}|{parameter.Key}|{parameter.Current.Version}|{type}";
                        if (at is { } when && when <= now && _notified.TryAdd(marker, true))
                        {
                            due.Add((parameter, type!, type == "ExpirationNotification"
                                ? $"Parameter {parameter.Name} expires at {Expiration(policies):O}."
                                : $"Parameter {parameter.Name} has not changed since {parameter.Current.LastModifiedDate:O}."));
                        }
                    }
                }

                if (batch.Count < 500)
                {
                    break;
                }
            }
        }

        return due;
    }

    public static DateTimeOffset? Expiration(string? policies)
    {
        if (policies is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(policies);
        foreach (var item in document.RootElement.EnumerateArray())
        {
            if (item.TryGetProperty("Type", out var type) && type.GetString() == "Expiration"
                && item.TryGetProperty("Attributes", out var a) && a.TryGetProperty("Timestamp", out var ts)
                && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                return when;
            }
        }

        return null;
    }
}
