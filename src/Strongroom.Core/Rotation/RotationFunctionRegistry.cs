using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Strongroom.Core.Errors;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Rotation;

/// <summary>
/// Registered rotation functions, per region, and the built-in ones every region has. A function's public shape is
/// stored as JSON in the IAM-entity table (kind <see cref="EntityKind"/>, name "REGION/NAME"); its environment values
/// and HTTP HMAC key are stored only wrapped under the root key, as a named root-wrapped value (binding
/// "named:rotation-function:REGION/NAME"), so root-key rotation re-wraps them with everything else and the database
/// never holds them in plaintext. Thread-safe.
/// </summary>
public sealed partial class RotationFunctionRegistry : IRotationFunctions
{
    public const IamEntityKind EntityKind = IamEntityKind.RotationFunction;

    /// <summary>Format version of the stored JSON (both the entity and the wrapped secrets).</summary>
    public const int StoredVersion = 1;

    public const int DefaultMaxResults = 100;

    /// <summary>Variables the runner sets itself; a function may not override them.</summary>
    public static readonly IReadOnlySet<string> ReservedEnvironmentKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "SECRETS_MANAGER_ENDPOINT",
    };

    private const int HmacKeyBytes = 32;
    private static readonly JsonSerializerOptions Json = new();
    private readonly IStore _store;
    private readonly RootWrap _root;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly Identity.IamService _iam;

    public RotationFunctionRegistry(IStore store, RootWrap root, ServerIdentity identity, TimeProvider time, Identity.IamService iam)
    {
        _store = store;
        _root = root;
        _identity = identity;
        _time = time;
        _iam = iam;
    }

    [GeneratedRegex("^arn:aws:lambda:([a-z0-9-]+):([0-9]{12}):function:([a-zA-Z0-9-_]{1,64})$")]
    private static partial Regex LambdaArnPattern();

    /// <summary>What the IAM-entity row holds: no environment values, no key.</summary>
    private sealed class StoredFunction
    {
        public int Version { get; set; } = StoredVersion;

        public string Region { get; set; } = string.Empty;

        public string Name { get; set; } = string.Empty;

        public RotationFunctionKind Kind { get; set; }

        public string? Command { get; set; }

        public string? Url { get; set; }

        public string? Builtin { get; set; }

        public int TimeoutSeconds { get; set; }

        public string? RoleArn { get; set; }

        public string? Description { get; set; }

        public long CreatedDate { get; set; }

        public long LastModified { get; set; }
    }

    /// <summary>What is wrapped under the root key.</summary>
    private sealed class StoredSecrets
    {
        public int Version { get; set; } = StoredVersion;

        public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

        public string? HmacKey { get; set; }
    }

    private static string EntityName(string region, string name) => region + "/" + name;

    private static string WrappedName(string region, string name) => "rotation-function:" + EntityName(region, name);

    private static DomainException NotFound(string name) => new(ErrorKind.ResourceNotFound, $"The rotation function {name} doesn't exist.");

    private static DomainException Invalid(string message) => DomainException.InvalidParameter(message);

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());

    /// <summary>A function's role must exist and trust the rotation service (as Lambda requires of an execution role).</summary>
    private async Task RequireAssumableAsync(string? roleArn, CancellationToken ct)
    {
        if (roleArn is { Length: > 0 } && !await _iam.Sts.RoleTrustsServiceAsync(roleArn, RotationFunction.ServicePrincipals, ct))
        {
            throw Invalid($"The role defined for the function cannot be assumed by Lambda: {roleArn} does not exist, or its trust policy does not let {string.Join(" or ", RotationFunction.ServicePrincipals)} call sts:AssumeRole.");
        }
    }

    public async Task<RotationFunctionWrite> CreateAsync(string region, RotationFunctionInput input, RotationFunctionAuthor author, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(author);
        RotationFunctionRules.ValidateName(input.Name);
        RotationFunctionRules.RequireAuthor(author, RotationFunctionRules.NamesCode(input), "CreateRotationFunction", RotationFunction.ArnOf(region, _identity.AccountId, input.Name));
        var now = Now;
        var function = new RotationFunction
        {
            Region = region,
            Name = input.Name,
            Arn = RotationFunction.ArnOf(region, _identity.AccountId, input.Name),
            Command = input.Command,
            Url = input.Url,
            Builtin = input.Builtin,
            Environment = new Dictionary<string, string>(input.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            TimeoutSeconds = input.TimeoutSeconds ?? RotationFunction.DefaultTimeoutSeconds,
            RoleArn = input.RoleArn,
            Description = input.Description,
            CreatedDate = now,
            LastModified = now,
        };
        RotationFunctionRules.Validate(function, _identity.AccountId);
        function.Kind = RotationFunctionRules.KindOf(function);
        await RequireAssumableAsync(function.RoleArn, ct);
        var hmacKey = function.Kind == RotationFunctionKind.Http ? RandomNumberGenerator.GetBytes(HmacKeyBytes) : null;
        try
        {
            await _store.WriteAsync(
                async tx =>
                {
                    if (await tx.FindIamEntityAsync(EntityKind, EntityName(region, input.Name), ct) is not null)
                    {
                        throw new DomainException(ErrorKind.ResourceExists, $"A rotation function named {input.Name} already exists in {region}.");
                    }

                    await SaveAsync(tx, function, hmacKey, ct);
                    return true;
                },
                ct);
        }
        catch
        {
            if (hmacKey is not null)
            {
                CryptographicOperations.ZeroMemory(hmacKey);
            }

            throw;
        }

        return new RotationFunctionWrite(function, hmacKey);
    }

    public async Task<RotationFunctionWrite> UpdateAsync(string region, RotationFunctionInput input, RotationFunctionAuthor author, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(author);
        var arn = RotationFunction.ArnOf(region, _identity.AccountId, input.Name);
        RotationFunctionRules.RequireAuthor(author, RotationFunctionRules.NamesCode(input), "UpdateRotationFunction", arn);
        await RequireAssumableAsync(input.RoleArn, ct);
        byte[]? newKey = null;
        try
        {
            var function = await _store.WriteAsync(
                async tx =>
                {
                    var (function, hmacKey) = await LoadAsync(tx, region, input.Name, ct) ?? throw NotFound(input.Name);
                    try
                    {
                        // Any change to a command or URL function (its environment, timeout or role included) is the administrator's.
                        RotationFunctionRules.RequireAuthor(author, RotationFunction.IsCode(function.Kind), "UpdateRotationFunction", arn);
                        var wasHttp = function.Kind == RotationFunctionKind.Http;
                        if (input.Command is not null || input.Url is not null || input.Builtin is not null)
                        {
                            (function.Command, function.Url, function.Builtin) = (input.Command, input.Url, input.Builtin);
                        }

                        if (input.Environment is not null)
                        {
                            function.Environment = new Dictionary<string, string>(input.Environment, StringComparer.Ordinal);
                        }

                        function.TimeoutSeconds = input.TimeoutSeconds ?? function.TimeoutSeconds;
                        // An empty RoleArn or Description clears it.
                        function.RoleArn = input.RoleArn is null ? function.RoleArn : input.RoleArn.Length == 0 ? null : input.RoleArn;
                        function.Description = input.Description is null ? function.Description : input.Description.Length == 0 ? null : input.Description;
                        RotationFunctionRules.Validate(function, _identity.AccountId);
                        function.Kind = RotationFunctionRules.KindOf(function);
                        function.LastModified = Now;
                        if (function.Kind != RotationFunctionKind.Http)
                        {
                            hmacKey = Zero(hmacKey);
                        }
                        else if (!wasHttp || hmacKey is null)
                        {
                            hmacKey = Zero(hmacKey);
                            newKey = RandomNumberGenerator.GetBytes(HmacKeyBytes);
                            hmacKey = (byte[])newKey.Clone();
                        }

                        await SaveAsync(tx, function, hmacKey, ct);
                        return function;
                    }
                    finally
                    {
                        Zero(hmacKey);
                    }
                },
                ct);
            return new RotationFunctionWrite(function, newKey);
        }
        catch
        {
            Zero(newKey);
            throw;
        }
    }

    public async Task DeleteAsync(string region, string name, CancellationToken ct)
    {
        await _store.WriteAsync(
            async tx =>
            {
                if (await tx.FindIamEntityAsync(EntityKind, EntityName(region, name), ct) is null)
                {
                    throw NotFound(name);
                }

                await tx.DeleteIamEntityAsync(EntityKind, EntityName(region, name), ct);

                // The store has no delete for named wrapped values: overwrite with an empty set so nothing of the old one remains.
                await PutSecretsAsync(tx, region, name, new StoredSecrets(), ct);
                return true;
            },
            ct);
    }

    /// <summary>A registered function of <paramref name="region"/> (not the built-ins), with its environment.</summary>
    public async Task<RotationFunction> GetAsync(string region, string name, CancellationToken ct)
    {
        var found = await _store.WriteAsync(tx => LoadAsync(tx, region, name, ct), ct) ?? throw NotFound(name);
        Zero(found.HmacKey);
        return found.Function;
    }

    /// <summary>Registered functions of <paramref name="region"/> by name, a page at a time; the token is the last name shown.</summary>
    public async Task<(IReadOnlyList<RotationFunction> Functions, string? NextToken)> ListAsync(string region, int? maxResults, string? nextToken, CancellationToken ct)
    {
        var max = maxResults ?? DefaultMaxResults;
        if (max is < 1 or > DefaultMaxResults)
        {
            throw DomainException.Constraint("maxResults", max.ToString(System.Globalization.CultureInfo.InvariantCulture), $"Member must have value between 1 and {DefaultMaxResults}");
        }

        string? after = null;
        if (nextToken is not null)
        {
            try
            {
                after = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(nextToken));
            }
            catch (FormatException)
            {
                throw new DomainException(ErrorKind.InvalidNextToken, "The NextToken value is invalid.");
            }
        }

        var names = (await new IamRecords(_root).ListAsync(_store, EntityKind, ct))
            .Select(j => JsonSerializer.Deserialize<StoredFunction>(j, Json)!)
            .Where(s => s.Region == region && (after is null || string.CompareOrdinal(s.Name, after) > 0))
            .Select(s => s.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        var page = names.Take(max).ToList();
        var functions = await _store.WriteAsync(
            async tx =>
            {
                var list = new List<RotationFunction>(page.Count);
                foreach (var name in page)
                {
                    if (await LoadAsync(tx, region, name, ct) is { } found)
                    {
                        Zero(found.HmacKey);
                        list.Add(found.Function);
                    }
                }

                return list;
            },
            ct);
        var more = names.Count > page.Count;
        return (functions, more ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(page[^1])) : null);
    }

    public async Task<RotationFunction?> ResolveAsync(string region, string lambdaArnOrName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lambdaArnOrName);
        var name = lambdaArnOrName;
        if (lambdaArnOrName.StartsWith("arn:", StringComparison.Ordinal))
        {
            var match = LambdaArnPattern().Match(lambdaArnOrName);
            if (!match.Success || match.Groups[2].Value != _identity.AccountId || match.Groups[1].Value != region)
            {
                return null;
            }

            name = match.Groups[3].Value;
        }

        if (RotationFunction.BuiltinNames.TryGetValue(name, out var builtin))
        {
            return new RotationFunction
            {
                Region = region,
                Name = name,
                Arn = RotationFunction.ArnOf(region, _identity.AccountId, name),
                Kind = RotationFunctionKind.Builtin,
                Builtin = builtin,
                TimeoutSeconds = RotationFunction.DefaultTimeoutSeconds,
            };
        }

        if (!RotationFunctionRules.NamePattern().IsMatch(name))
        {
            return null;
        }

        var found = await _store.WriteAsync(tx => LoadAsync(tx, region, name, ct), ct);
        Zero(found?.HmacKey);
        return found?.Function;
    }

    public async Task<byte[]?> GetHmacKeyAsync(RotationFunction function, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (function.Kind != RotationFunctionKind.Http)
        {
            return null;
        }

        var found = await _store.WriteAsync(tx => LoadAsync(tx, function.Region, function.Name, ct), ct);
        return found?.HmacKey;
    }

    private static byte[]? Zero(byte[]? bytes)
    {
        if (bytes is not null)
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        return null;
    }

    private async Task SaveAsync(IStoreTransaction tx, RotationFunction f, byte[]? hmacKey, CancellationToken ct)
    {
        var stored = new StoredFunction
        {
            Region = f.Region,
            Name = f.Name,
            Kind = f.Kind,
            Command = f.Command,
            Url = f.Url,
            Builtin = f.Builtin,
            TimeoutSeconds = f.TimeoutSeconds,
            RoleArn = f.RoleArn,
            Description = f.Description,
            CreatedDate = f.CreatedDate.ToUnixTimeSeconds(),
            LastModified = f.LastModified.ToUnixTimeSeconds(),
        };
        await new IamRecords(_root).PutAsync(tx, EntityKind, EntityName(f.Region, f.Name), JsonSerializer.Serialize(stored, Json), ct);
        await PutSecretsAsync(tx, f.Region, f.Name, new StoredSecrets { Environment = f.Environment, HmacKey = hmacKey is null ? null : Convert.ToBase64String(hmacKey) }, ct);
    }

    private async Task PutSecretsAsync(IStoreTransaction tx, string region, string name, StoredSecrets secrets, CancellationToken ct)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(secrets, Json);
        try
        {
            var wrappedName = WrappedName(region, name);
            await tx.PutRootWrappedAsync(wrappedName, await _root.WrapAsync(tx, plaintext, "named:" + wrappedName, ct), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The function and its HMAC key (caller zeroes it), or null. Runs in a transaction: only it can read named wrapped values.</summary>
    private async Task<(RotationFunction Function, byte[]? HmacKey)?> LoadAsync(IStoreTransaction tx, string region, string name, CancellationToken ct)
    {
        if (await new IamRecords(_root).FindAsync(tx, EntityKind, EntityName(region, name), ct) is not { } json)
        {
            return null;
        }

        var stored = JsonSerializer.Deserialize<StoredFunction>(json, Json)!;
        if (stored.Version != StoredVersion)
        {
            throw new InvalidOperationException($"Rotation function {stored.Name} is stored in format version {stored.Version}, which this build does not read.");
        }

        var secrets = new StoredSecrets();
        var wrappedName = WrappedName(region, name);
        if (await tx.GetRootWrappedAsync(wrappedName, ct) is { } wrapped)
        {
            var plaintext = await _root.UnwrapAsync(tx, wrapped, "named:" + wrappedName, ct);
            try
            {
                secrets = JsonSerializer.Deserialize<StoredSecrets>(plaintext, Json)!;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }

        var function = new RotationFunction
        {
            Region = stored.Region,
            Name = stored.Name,
            Arn = RotationFunction.ArnOf(stored.Region, _identity.AccountId, stored.Name),
            Kind = stored.Kind,
            Command = stored.Command,
            Url = stored.Url,
            Builtin = stored.Builtin,
            Environment = new Dictionary<string, string>(secrets.Environment, StringComparer.Ordinal),
            TimeoutSeconds = stored.TimeoutSeconds,
            RoleArn = stored.RoleArn,
            Description = stored.Description,
            CreatedDate = DateTimeOffset.FromUnixTimeSeconds(stored.CreatedDate),
            LastModified = DateTimeOffset.FromUnixTimeSeconds(stored.LastModified),
        };
        return (function, secrets.HmacKey is null ? null : Convert.FromBase64String(secrets.HmacKey));
    }
}
