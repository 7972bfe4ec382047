using System.Net;
using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>IAM OpenID Connect identity providers, stored as IAM entities of kind "oidc-provider".</summary>
public sealed class IamOidcProviders
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;

    internal IamOidcProviders(IamEntityStore entities)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
    }

    private DateTimeOffset Now => _entities.Now;

    private string AccountId => _entities.AccountId;

    public const int MaxOidcProviders = 100;

    public const int MaxClientIds = 100;

    public const int MaxThumbprints = 5;

    /// <summary>
    /// An issuer URL made canonical: the scheme (https; http only for a loopback host such as 127.0.0.1 or
    /// localhost), the lower-case host, a non-default port, the path without a trailing slash; no query,
    /// fragment or user info. <c>Name</c> is the URL without its scheme: the provider's ARN suffix and the prefix
    /// of its condition keys ("host/path:sub"). Null when the URL is not acceptable.
    /// </summary>
    public static (string Url, string Name)? CanonicalIssuer(string? url)
    {
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo) || uri.Host.Length == 0
            || url.Contains('?', StringComparison.Ordinal) || url.Contains('#', StringComparison.Ordinal))
        {
            return null;
        }

        if (uri.Scheme == "http" && !IsLoopbackHost(uri.Host))
        {
            return null;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        var name = uri.IsDefaultPort ? uri.Host + path : $"{uri.Host}:{uri.Port}{path}";
        return ($"{uri.Scheme}://{name}", name);
    }

    /// <summary>True for localhost and loopback addresses (127.0.0.0/8, ::1): the only hosts reached over plain HTTP.</summary>
    public static bool IsLoopbackHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    private string OidcArn(string name) => $"arn:aws:iam::{AccountId}:oidc-provider/{name}";

    private string? OidcNameOf(string arn)
    {
        var prefix = $"arn:aws:iam::{AccountId}:oidc-provider/";
        return arn.StartsWith(prefix, StringComparison.Ordinal) && arn.Length > prefix.Length ? arn[prefix.Length..] : null;
    }

    private static void ValidateArn(string arn)
    {
        if (arn.Length is < 20 or > 2048)
        {
            throw Invalid($"1 validation error detected: Value '{arn}' at 'openIDConnectProviderArn' failed to satisfy constraint: Member must have length {(arn.Length < 20 ? "greater than or equal to 20" : "less than or equal to 2048")}");
        }
    }

    private async Task<IamOidcProvider> RequireOidcProviderAsync(IStoreReader reader, string arn, CancellationToken ct)
    {
        ValidateArn(arn);
        var name = OidcNameOf(arn);
        var provider = name is null ? null : Load<IamOidcProvider>(await _records.FindAsync(reader, OidcProvider, name, ct));
        return provider is not null && provider.Arn == arn ? provider : throw NoSuchEntity($"OpenIDConnect Provider not found for arn {arn}");
    }

    private static void ValidateClientId(string clientId, string member)
    {
        if (clientId.Length is < 1 or > 255)
        {
            throw Invalid($"1 validation error detected: Value '{clientId}' at '{member}' failed to satisfy constraint: Member must have length {(clientId.Length < 1 ? "greater than or equal to 1" : "less than or equal to 255")}");
        }
    }

    private static void ValidateThumbprints(IReadOnlyList<string> thumbprints)
    {
        for (var i = 0; i < thumbprints.Count; i++)
        {
            if (thumbprints[i].Length != 40)
            {
                throw Invalid($"1 validation error detected: Value '{thumbprints[i]}' at 'thumbprintList.{i + 1}.member' failed to satisfy constraint: Member must have length {(thumbprints[i].Length < 40 ? "greater than or equal to 40" : "less than or equal to 40")}");
            }

            if (!thumbprints[i].All(char.IsAsciiHexDigit))
            {
                throw DomainException.WithCode("InvalidInput", $"Thumbprint {thumbprints[i]} is not 40 hexadecimal digits (the SHA-1 of a certificate).");
            }
        }

        if (thumbprints.Count > MaxThumbprints)
        {
            throw DomainException.WithCode("InvalidInput", "Thumbprint list must contain fewer than 5 entries.");
        }
    }

    private static void ValidateProviderTags(IReadOnlyList<IamTag> tags)
    {
        if (tags.Count > 50)
        {
            throw DomainException.WithCode("LimitExceeded", "Cannot exceed quota for TagsPerOpenIdConnectProvider: 50", 409);
        }

        for (var i = 0; i < tags.Count; i++)
        {
            if (tags[i].Key.Length is < 1 or > 128)
            {
                throw Invalid($"1 validation error detected: Value '{tags[i].Key}' at 'tags.{i + 1}.member.key' failed to satisfy constraint: Member must have length {(tags[i].Key.Length < 1 ? "greater than or equal to 1" : "less than or equal to 128")}");
            }

            if (tags[i].Value.Length > 256)
            {
                throw Invalid($"1 validation error detected: Value '{tags[i].Value}' at 'tags.{i + 1}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256");
            }

            if (tags[i].Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid("The tag key aws: prefix is reserved.");
            }
        }

        if (tags.Select(t => t.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count() != tags.Count)
        {
            throw DomainException.WithCode("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
        }
    }

    /// <summary>
    /// CreateOpenIDConnectProvider. The URL must be https:// (http:// only for a loopback issuer); a port is allowed.
    /// Thumbprints are optional and are used only when the JWKS endpoint's certificate is not signed by a CA the
    /// server trusts (see <see cref="OidcKeySource"/>).
    /// </summary>
    public Task<IamOidcProvider> CreateOidcProviderAsync(string url, IReadOnlyList<string>? clientIds, IReadOnlyList<string>? thumbprints, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Length is < 1 or > 255)
        {
            throw Invalid($"1 validation error detected: Value '{url}' at 'url' failed to satisfy constraint: Member must have length {(url.Length < 1 ? "greater than or equal to 1" : "less than or equal to 255")}");
        }

        clientIds ??= [];
        thumbprints ??= [];
        tags ??= [];
        for (var i = 0; i < clientIds.Count; i++)
        {
            ValidateClientId(clientIds[i], $"clientIDList.{i + 1}.member");
        }

        ValidateThumbprints(thumbprints);
        ValidateProviderTags(tags);
        if (clientIds.Count > MaxClientIds)
        {
            throw DomainException.WithCode("LimitExceeded", $"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MaxClientIds}", 409);
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme == "http" && !IsLoopbackHost(parsed.Host))
        {
            throw DomainException.WithCode("InvalidInput", "The provider URL must begin with https:// (Strongroom accepts http:// only for a loopback issuer such as http://127.0.0.1:PORT).");
        }

        var issuer = CanonicalIssuer(url) ?? throw Invalid("Invalid Open ID Connect Provider URL");
        return _entities.WriteAsync(async tx =>
        {
            if (await tx.FindIamEntityAsync(OidcProvider, issuer.Name, ct) is not null)
            {
                throw Exists($"Provider with url {issuer.Url} already exists.");
            }

            if ((await tx.ListIamEntitiesAsync(OidcProvider, ct)).Count >= MaxOidcProviders)
            {
                throw DomainException.WithCode("LimitExceeded", $"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MaxOidcProviders}", 409);
            }

            var provider = new IamOidcProvider
            {
                Url = issuer.Url, Arn = OidcArn(issuer.Name), ClientIds = clientIds.Distinct(StringComparer.Ordinal).ToList(),
                Thumbprints = thumbprints.Select(t => t.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList(), CreateDate = Now,
                Tags = tags.Select(t => new IamTag { Key = t.Key, Value = t.Value }).ToList(),
            };
            await _entities.SaveAsync(tx, OidcProvider, issuer.Name, provider, ct);
            return provider;
        }, ct);
    }

    public async Task<IamOidcProvider> GetOidcProviderAsync(string arn, CancellationToken ct) => await RequireOidcProviderAsync(_store, arn, ct);

    public async Task<IReadOnlyList<IamOidcProvider>> ListOidcProvidersAsync(CancellationToken ct) =>
        (await _records.ListAsync(_store, OidcProvider, ct)).Select(j => Load<IamOidcProvider>(j)!).OrderBy(p => p.Arn, StringComparer.Ordinal).ToList();

    /// <summary>The provider registered for a token's iss claim (same scheme, host, port and path), or null.</summary>
    public async Task<IamOidcProvider?> FindOidcProviderByIssuerAsync(string? issuer, CancellationToken ct)
    {
        if (CanonicalIssuer(issuer) is not { } canonical)
        {
            return null;
        }

        var provider = Load<IamOidcProvider>(await _records.FindAsync(_store, OidcProvider, canonical.Name, ct));
        return provider is not null && provider.Url == canonical.Url ? provider : null;
    }

    /// <summary>DeleteOpenIDConnectProvider: idempotent, as in AWS (a provider that does not exist is no error).</summary>
    public Task DeleteOidcProviderAsync(string arn, CancellationToken ct)
    {
        ValidateArn(arn);
        return _entities.WriteAsync(async tx =>
        {
            if (OidcNameOf(arn) is { } name && Load<IamOidcProvider>(await _records.FindAsync(tx, OidcProvider, name, ct)) is { } provider && provider.Arn == arn)
            {
                await tx.DeleteIamEntityAsync(OidcProvider, name, ct);
            }

            return true;
        }, ct);
    }

    private Task ChangeOidcProviderAsync(string arn, Action<IamOidcProvider> change, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var provider = await RequireOidcProviderAsync(tx, arn, ct);
        change(provider);
        await _entities.SaveAsync(tx, OidcProvider, OidcNameOf(arn)!, provider, ct);
        return true;
    }, ct);

    /// <summary>AddClientIDToOpenIDConnectProvider: idempotent.</summary>
    public Task AddOidcClientIdAsync(string arn, string clientId, CancellationToken ct)
    {
        ValidateArn(arn);
        ValidateClientId(clientId, "clientID");
        return ChangeOidcProviderAsync(arn, provider =>
        {
            if (!provider.ClientIds.Contains(clientId, StringComparer.Ordinal))
            {
                if (provider.ClientIds.Count >= MaxClientIds)
                {
                    throw DomainException.WithCode("LimitExceeded", $"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MaxClientIds}", 409);
                }

                provider.ClientIds.Add(clientId);
            }
        }, ct);
    }

    /// <summary>RemoveClientIDFromOpenIDConnectProvider: idempotent.</summary>
    public Task RemoveOidcClientIdAsync(string arn, string clientId, CancellationToken ct)
    {
        ValidateArn(arn);
        ValidateClientId(clientId, "clientID");
        return ChangeOidcProviderAsync(arn, provider => provider.ClientIds.RemoveAll(c => c == clientId), ct);
    }

    /// <summary>UpdateOpenIDConnectProviderThumbprint: replaces the list.</summary>
    public Task UpdateOidcThumbprintsAsync(string arn, IReadOnlyList<string> thumbprints, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(thumbprints);
        ValidateArn(arn);
        ValidateThumbprints(thumbprints);
        return ChangeOidcProviderAsync(arn, provider => provider.Thumbprints = thumbprints.Select(t => t.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList(), ct);
    }

    /// <summary>TagOpenIDConnectProvider / UntagOpenIDConnectProvider (keys are case-insensitive).</summary>
    public Task ChangeOidcProviderTagsAsync(string arn, IReadOnlyList<IamTag>? add, IReadOnlyList<string>? remove, CancellationToken ct)
    {
        ValidateArn(arn);
        ValidateProviderTags(add ?? []);
        return ChangeOidcProviderAsync(arn, provider =>
        {
            foreach (var tag in add ?? [])
            {
                provider.Tags.RemoveAll(t => string.Equals(t.Key, tag.Key, StringComparison.OrdinalIgnoreCase));
                provider.Tags.Add(new IamTag { Key = tag.Key, Value = tag.Value });
            }

            provider.Tags.RemoveAll(t => remove?.Contains(t.Key, StringComparer.OrdinalIgnoreCase) == true);
            if (provider.Tags.Count > 50)
            {
                throw DomainException.WithCode("LimitExceeded", "Cannot exceed quota for TagsPerOpenIdConnectProvider: 50", 409);
            }
        }, ct);
    }
}
