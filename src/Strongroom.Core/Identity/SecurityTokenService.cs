using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamValidation;
using static Strongroom.Core.Identity.IamIds;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>STS: temporary credentials (AssumeRole, GetSessionToken, web identity and service sessions), stored as sessions with an ASIA access key.</summary>
public sealed class SecurityTokenService
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;

    internal SecurityTokenService(IamEntityStore entities)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
    }

    private DateTimeOffset Now => _entities.Now;

    private string AccountId => _entities.AccountId;

    /// <summary>
    /// AssumeRole: issues temporary credentials (ASIA key, secret, session token) for the role. Whether the caller
    /// may assume it (identity policies and the role's trust policy, sts:TagSession for tags) is decided by the
    /// authorizer before this runs, with every condition key of the request. A caller that is itself a session
    /// passes its transitive session tags on (role chaining); the request may not set one of those keys again.
    /// Returns the session, the role, and the secret and token.
    /// </summary>
    public Task<(IamSession Session, IamRole Role, string Secret, string Token)> AssumeRoleAsync(AssumeRoleRequest request, string callerArn, string? callerAccessKeyId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateSessionName(request.RoleSessionName);
        ValidateSessionPolicy(request.Policy);
        SessionTags.Validate(request.Tags, request.TransitiveTagKeys);
        return _entities.WriteAsync(async tx =>
        {
            var name = request.RoleArn.StartsWith($"arn:aws:iam::{AccountId}:role/", StringComparison.Ordinal) ? request.RoleArn[(request.RoleArn.LastIndexOf('/') + 1)..] : null;
            var role = name is null ? null : Load<IamRole>(await _records.FindAsync(tx, Role, name, ct));
            if (role is null || role.Arn != request.RoleArn)
            {
                throw DomainException.WithCode("AccessDenied", $"User: {callerArn} is not authorized to perform: sts:AssumeRole on resource: {request.RoleArn}", 403);
            }

            var duration = request.DurationSeconds ?? 3600;
            if (duration < 900 || duration > role.MaxSessionDuration)
            {
                throw Invalid($"The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is below 900 seconds): {duration}.");
            }

            var tags = request.Tags?.Select(t => new IamTag { Key = t.Key, Value = t.Value }).ToList() ?? [];
            var transitive = request.TransitiveTagKeys?.ToList() ?? [];
            var caller = callerAccessKeyId is null ? null : Load<IamSession>(await _records.FindAsync(tx, Session, callerAccessKeyId, ct));
            foreach (var key in caller?.TransitiveTagKeys ?? [])
            {
                if (caller!.Tags?.Find(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase)) is not { } inherited)
                {
                    continue;
                }

                if (tags.Any(t => string.Equals(t.Key, inherited.Key, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Invalid($"The session tag {inherited.Key} is a transitive tag of the calling session and can't be set again.");
                }

                tags.Add(new IamTag { Key = inherited.Key, Value = inherited.Value });
                transitive.Add(inherited.Key);
            }

            if (tags.Count > SessionTags.MaxTags)
            {
                throw Invalid($"The session would have {tags.Count} session tags with the inherited transitive tags; at most {SessionTags.MaxTags} are allowed.");
            }

            var session = NewSession(role, request.RoleSessionName, duration, request.Policy);
            session.Tags = tags.Count == 0 ? null : tags;
            session.TransitiveTagKeys = transitive.Count == 0 ? null : transitive;
            var (secret, token) = await StoreSessionAsync(tx, session, role.RoleId, SessionArn(role.Name, request.RoleSessionName), ct);
            return (session, role, secret, token);
        }, ct);
    }

    /// <summary>
    /// GetSessionToken: temporary credentials with the permissions of the IAM user <paramref name="userName"/> (the
    /// admin's carry the admin's). 900 to 129,600 seconds, 43,200 by default. Session credentials can't ask for
    /// more (AccessDenied), and MFA devices don't exist here, so a SerialNumber never validates.
    /// </summary>
    public Task<(IamSession Session, string Secret, string Token)> GetSessionTokenAsync(string userName, string userArn, string? callerAccessKeyId, int? durationSeconds, string? serialNumber, CancellationToken ct)
    {
        var duration = durationSeconds ?? 43200;
        if (duration is < 900 or > 129600)
        {
            throw Invalid($"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value {(duration < 900 ? "greater than or equal to 900" : "less than or equal to 129600")}");
        }

        return _entities.WriteAsync(async tx =>
        {
            if (callerAccessKeyId is not null && await tx.FindIamEntityAsync(Session, callerAccessKeyId, ct) is not null)
            {
                throw DomainException.WithCode("AccessDenied", "Cannot call GetSessionToken with session credentials", 403);
            }

            if (serialNumber is not null)
            {
                throw DomainException.WithCode("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.", 403);
            }

            var user = Load<IamUser>(await _records.FindAsync(tx, User, userName, ct));
            if (user is null || user.Arn != userArn)
            {
                throw DomainException.WithCode("AccessDenied", $"User: {userArn} is not authorized to perform: sts:GetSessionToken", 403);
            }

            var session = new IamSession
            {
                AccessKeyId = NewId("ASIA"), Kind = IamSession.UserKind, UserName = userName, SessionName = userName, Expiration = Now.AddSeconds(duration),
            };
            var (secret, token) = await StoreSessionAsync(tx, session, user.UserId, userArn, ct);
            return (session, secret, token);
        }, ct);
    }

    /// <summary>
    /// A web identity session for <paramref name="role"/> (AssumeRoleWithWebIdentity, after the token and the trust
    /// policy were checked by <see cref="WebIdentityFederation"/>).
    /// </summary>
    internal Task<(IamSession Session, string Secret, string Token)> IssueWebIdentitySessionAsync(
        IamRole role, string sessionName, int duration, string? sessionPolicy, IReadOnlyList<IamTag> tags, IReadOnlyList<string> transitiveTagKeys,
        string providerArn, SortedDictionary<string, List<string>> federationKeys, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var session = NewSession(role, sessionName, duration, sessionPolicy);
        session.Kind = IamSession.WebIdentityKind;
        session.Tags = tags.Count == 0 ? null : tags.ToList();
        session.TransitiveTagKeys = transitiveTagKeys.Count == 0 ? null : transitiveTagKeys.ToList();
        session.FederatedProvider = providerArn;
        session.FederationKeys = federationKeys;
        var (secret, token) = await StoreSessionAsync(tx, session, role.RoleId, SessionArn(role.Name, sessionName), ct);
        return (session, secret, token);
    }, ct);

    private IamSession NewSession(IamRole role, string sessionName, int duration, string? sessionPolicy) => new()
    {
        AccessKeyId = NewId("ASIA"), Kind = IamSession.RoleKind, RoleName = role.Name, SessionName = sessionName,
        Expiration = Now.AddSeconds(duration), Policy = sessionPolicy,
    };

    /// <summary>
    /// Stores a session: its access key (the secret wrapped by the root key, listed under a session owner name, <see cref="AccessKeyRecord.SessionOwner"/>, so it is
    /// never one of a user's own keys) and the session entity with the token's SHA-256. Returns the secret and token.
    /// </summary>
    private async Task<(string Secret, string Token)> StoreSessionAsync(IStoreTransaction tx, IamSession session, string principalId, string principalArn, CancellationToken ct)
    {
        var secretChars = new char[40];
        for (var i = 0; i < secretChars.Length; i++)
        {
            secretChars[i] = SecretAlphabet[RandomNumberGenerator.GetInt32(SecretAlphabet.Length)];
        }

        var secret = new string(secretChars);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        session.TokenHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var bytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            await _records.CreateAccessKeyAsync(tx, session.AccessKeyId, bytes, principalId, principalArn, AccessKeyRecord.SessionOwner(session.AccessKeyId), Now, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        await _entities.SaveAsync(tx, Session, session.AccessKeyId, session, ct);
        return (secret, token);
    }

    /// <summary>
    /// Session credentials for a role, issued by the service itself (as Lambda gets its execution role's
    /// credentials): the role must exist and its trust policy must let one of <paramref name="services"/> (service
    /// principals such as lambda.amazonaws.com) call sts:AssumeRole. <paramref name="sessionPolicy"/>, when given,
    /// narrows the session as an AssumeRole session policy does.
    /// </summary>
    public Task<(IamSession Session, string Secret, string Token)> IssueServiceSessionAsync(string roleArn, string sessionName, int durationSeconds, IReadOnlyList<string> services, string? sessionPolicy, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var role = await _entities.FindRoleByArnAsync(tx, roleArn, ct) ?? throw NoSuchEntity($"The role {roleArn} cannot be found.");
        if (!TrustsService(role, services))
        {
            throw DomainException.WithCode("AccessDenied", $"The role {roleArn} cannot be assumed by {string.Join(" or ", services)}: its trust policy does not allow it sts:AssumeRole.", 403);
        }

        var session = NewSession(role, sessionName, Math.Clamp(durationSeconds, 900, role.MaxSessionDuration), sessionPolicy);
        var (secret, token) = await StoreSessionAsync(tx, session, role.RoleId, SessionArn(role.Name, sessionName), ct);
        return (session, secret, token);
    }, ct);

    /// <summary>True when the role exists and its trust policy lets one of <paramref name="services"/> assume it.</summary>
    public async Task<bool> RoleTrustsServiceAsync(string roleArn, IReadOnlyList<string> services, CancellationToken ct) =>
        await _entities.FindRoleByArnAsync(_store, roleArn, ct) is { } role && TrustsService(role, services);

    /// <summary>A request made by a service (no IAM principal, no account): only a Service principal, or "*", can match it.</summary>
    private bool TrustsService(IamRole role, IReadOnlyList<string> services)
    {
        PolicyDocument trust;
        try
        {
            trust = PolicyDocument.Parse(role.AssumeRolePolicyDocument);
        }
        catch (PolicySyntaxException)
        {
            return false;
        }

        var context = new RequestContext { Action = "sts:AssumeRole", Resource = role.Arn }
            .With("aws:PrincipalServiceName", services)
            .With("aws:SourceAccount", AccountId);
        return PolicyEvaluator.Evaluate(context, [], new NamedPolicy("trust policy", trust, PolicySource.Resource)).Allowed;
    }

    /// <summary>Ends a session at once: its access key stops working.</summary>
    public Task EndSessionAsync(string accessKeyId, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        await tx.DeleteAccessKeyAsync(accessKeyId, ct);
        await tx.DeleteIamEntityAsync(Session, accessKeyId, ct);
        return true;
    }, ct);

    public string SessionArn(string roleName, string sessionName) => $"arn:aws:sts::{AccountId}:assumed-role/{roleName}/{sessionName}";

    public async Task<IamSession?> FindSessionAsync(string accessKeyId, CancellationToken ct) => Load<IamSession>(await _records.FindAsync(_store, Session, accessKeyId, ct));
}
