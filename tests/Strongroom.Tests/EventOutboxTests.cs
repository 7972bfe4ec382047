using System.Text;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Core.Errors;
using Strongroom.Core.Events;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Server;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The event outbox below the HTTP layer (ADR 0028): Core's use cases store their events in the transaction of the
/// change, through the host's <see cref="EventOutbox"/> over a real SQLite store; endpoint filters; the signature's
/// known answer (computed by Python's hmac, independently of .NET).
/// </summary>
public sealed class EventOutboxTests
{
    private const string Region = ServiceFixture.Region;
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static (SecretsService Secrets, KmsService Kms) Services(ServiceFixture f, params EventEndpointOptions[] endpoints)
    {
        var options = new ServerOptions { EventEndpointsConfig = endpoints };
        Assert.Empty(options.Validate());
        var identity = new ServerIdentity("111122223333", Region);
        var outbox = new EventOutbox(options, identity, f.Time);
        return (new SecretsService(f.Store, f.Keys, identity, f.Time, events: outbox), new KmsService(f.Store, f.Keys, identity, f.Time, outbox));
    }

    private static EventEndpointOptions Endpoint(string name, string[]? types = null, string[]? sources = null, string[]? prefixes = null) => new()
    {
        Name = name, Url = new Uri("http://127.0.0.1:9/" + name), Secret = "endpoint-secret-" + name.PadRight(8, 'x'),
        DetailTypes = types ?? [], Sources = sources ?? [], ResourcePrefixes = prefixes ?? [],
    };

    private static async Task<List<JsonElement>> Bodies(ServiceFixture f, string endpoint) =>
        [.. (await f.Store.ListOutboxAsync(null, 100, Ct)).Where(e => e.Endpoint == endpoint).Reverse().Select(e => JsonDocument.Parse(e.Body).RootElement)];

    [Fact]
    public async Task ValueChanged_IsStoredWithTheChange_NamesVersionsNeverValues_AndAFailedWriteStoresNothing()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var (secrets, _) = Services(f, Endpoint("all"));
        var v1 = (await secrets.Writes.CreateSecretAsync(Region, new CreateSecretRequest("app/db", ServiceFixture.Token(), null, null, null, "plaintext-one-4711", null, null, false, null), Ct)).VersionId!;
        f.Time.Advance(TimeSpan.FromSeconds(1)); // events list by creation time
        var staged = (await secrets.Writes.PutSecretValueAsync(Region, new PutSecretValueRequest("app/db", ServiceFixture.Token(), null, "plaintext-staged-4712", ["STAGED"]), Ct)).VersionId!;
        f.Time.Advance(TimeSpan.FromSeconds(1));
        var token = ServiceFixture.Token();
        var v2 = (await secrets.Writes.PutSecretValueAsync(Region, new PutSecretValueRequest("app/db", token, null, "plaintext-two-4713", null), Ct)).VersionId!;
        f.Time.Advance(TimeSpan.FromSeconds(1));

        // The same token with another value fails: its transaction stores no event either.
        var refused = await Assert.ThrowsAsync<DomainException>(() => secrets.Writes.PutSecretValueAsync(Region, new PutSecretValueRequest("app/db", token, null, "other", null), Ct));
        Assert.Equal(ErrorKind.ResourceExists, refused.Kind);
        await secrets.Staging.UpdateSecretVersionStageAsync(Region, "app/db", "AWSCURRENT", v2, staged, Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await secrets.Staging.UpdateSecretVersionStageAsync(Region, "app/db", "LABEL", null, v1, Ct); // not AWSCURRENT: no event

        var events = await Bodies(f, "all");
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("Secrets Manager Secret Value Changed", e.GetProperty("detail-type").GetString()));
        Assert.Equal(
            [(v1, (string?)null), (v2, v1), (staged, v2)],
            events.Select(e => (e.GetProperty("detail").GetProperty("versionId").GetString()!, e.GetProperty("detail").TryGetProperty("previousVersionId", out var p) ? p.GetString() : null)));
        var all = string.Join("\n", (await f.Store.ListOutboxAsync(null, 100, Ct)).Select(e => e.Body));
        Assert.DoesNotContain("plaintext-", all, StringComparison.Ordinal);
        Assert.Equal(new OutboxCounts(3, 0), await f.Store.CountOutboxAsync(Ct));
    }

    [Fact]
    public async Task Filters_EachEndpointGetsOnlyItsEvents_AndWithoutEndpointsNothingIsStored()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var (secrets, kms) = Services(f,
            Endpoint("deletions", types: [EventCatalog.SecretDeleted, EventCatalog.SecretRestored]),
            Endpoint("kms", sources: [EventCatalog.KmsSource]),
            Endpoint("prod", prefixes: [$"arn:aws:secretsmanager:{Region}:111122223333:secret:prod/"]));
        await secrets.Writes.CreateSecretAsync(Region, new CreateSecretRequest("prod/a", ServiceFixture.Token(), null, null, null, "v", null, null, false, null), Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await secrets.Writes.CreateSecretAsync(Region, new CreateSecretRequest("dev/a", ServiceFixture.Token(), null, null, null, "v", null, null, false, null), Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await secrets.Deletion.DeleteSecretAsync(Region, "dev/a", 7, false, Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await secrets.Deletion.RestoreSecretAsync(Region, "dev/a", Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await secrets.Deletion.DeleteSecretAsync(Region, "prod/a", null, true, Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        var key = await kms.Keys.CreateKeyAsync(Region, new CreateKeyRequest(null, null, null, null, null, null, null, null, false, null, false), Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await kms.Keys.SetEnabledAsync(Region, key.KeyId.ToString(), false, Ct);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await kms.Keys.SetEnabledAsync(Region, key.KeyId.ToString(), false, Ct); // already disabled: no second event
        await kms.Keys.ScheduleKeyDeletionAsync(Region, key.KeyId.ToString(), 7, Ct);

        string[] Types(List<JsonElement> events) => [.. events.Select(e => e.GetProperty("detail-type").GetString()!)];
        Assert.Equal([EventCatalog.SecretDeleted, EventCatalog.SecretRestored, EventCatalog.SecretDeleted], Types(await Bodies(f, "deletions")));
        Assert.Equal([EventCatalog.KeyDisabled, EventCatalog.KeyPendingDeletion], Types(await Bodies(f, "kms")));
        Assert.Equal([EventCatalog.SecretValueChanged, EventCatalog.SecretDeleted], Types(await Bodies(f, "prod")));
        var forced = (await Bodies(f, "prod"))[1];
        Assert.Equal("true", forced.GetProperty("detail").GetProperty("forceDeleteWithoutRecovery").GetString());
        Assert.Equal(["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"], forced.EnumerateObject().Select(p => p.Name));
        Assert.Equal("111122223333", forced.GetProperty("account").GetString());

        await using var bare = await ServiceFixture.CreateAsync();
        var (quiet, _) = Services(bare);
        await quiet.Writes.CreateSecretAsync(Region, new CreateSecretRequest("a", ServiceFixture.Token(), null, null, null, "v", null, null, false, null), Ct);
        Assert.Empty(await bare.Store.ListOutboxAsync(null, 10, Ct));
    }

    [Fact]
    public void Signature_MatchesAnIndependentHmacSha256_OverTimestampDotBody()
    {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec-known-answer-0001",b"1767225600."+b"{\"id\":\"x\"}",hashlib.sha256).hexdigest())'
        Assert.Equal(
            "t=1767225600,v1=a45d571197c9691048e3db467c0f5ca3597bc2d342502f185ea8a657fdcc775d",
            EventSignature.Sign("whsec-known-answer-0001", 1767225600, Encoding.UTF8.GetBytes("{\"id\":\"x\"}")));
    }

    [Fact]
    public void EndpointConfig_ParsedAndValidated_SecretNeverShown()
    {
        var parsed = EventEndpointOptions.ParseList("""[{"name":"p","url":"https://h.example/x","secret":"sixteen-chars-secret!","detail-types":["KMS Key Disabled"]}]""");
        var endpoint = Assert.Single(parsed);
        Assert.Equal(("p", "https://h.example/x", "sixteen-chars-secret!"), (endpoint.Name, endpoint.Url.ToString(), endpoint.Secret));
        Assert.DoesNotContain("sixteen", endpoint.ToString(), StringComparison.Ordinal);

        Assert.Equal("event-webhooks[0]: 'url' must be an http(s) URL", Assert.Throws<ArgumentException>(() => EventEndpointOptions.ParseList("""[{"url":"ftp://x"}]""")).Message);
        Assert.Equal("event-webhooks[0]: the signing secret must have at least 16 characters", Assert.Throws<ArgumentException>(() => EventEndpointOptions.ParseList("""[{"url":"http://x","secret":"short"}]""")).Message);
        Assert.StartsWith("event-webhooks[0]: unknown member 'filter'", Assert.Throws<ArgumentException>(() => EventEndpointOptions.ParseList("""[{"url":"http://x","filter":1}]""")).Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", Assert.Throws<ArgumentException>(() => EventEndpointOptions.ParseList("""[{"url":"http://x","secret":"short"}]""")).Message, StringComparison.Ordinal);

        // --event-webhook URLs join the config file's endpoints, once per URL; names must differ.
        var options = new ServerOptions { EventEndpointsConfig = parsed, EventWebhooks = ["https://h.example/x", "http://127.0.0.1:1/all"] };
        Assert.Empty(options.Validate());
        Assert.Equal(["p", "http://127.0.0.1:1/all"], options.EventEndpoints.Select(e => e.Name));
        var twice = new ServerOptions { EventEndpointsConfig = [.. parsed, .. parsed] };
        Assert.Contains("event-webhooks: two endpoints are named 'p'; give each a distinct 'name'", twice.Validate());
        Assert.Contains("--event-webhook: 'not a url' is not an http(s) URL", new ServerOptions { EventWebhooks = ["not a url"] }.Validate());
    }
    /// <summary>
    /// Parameter policy events (ADR 0028): an Expiration's event is stored with the deletion; a notification's event
    /// with the persisted "notified" marker, so it is stored once per parameter version, also after a restart (a new
    /// service over the same store), and again for a new version.
    /// </summary>
    [Fact]
    public async Task ParameterPolicyEvents_AreStoredWithTheirStateChange_NotificationsOncePerVersionAcrossRestarts()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var options = new ServerOptions { EventEndpointsConfig = [Endpoint("all")] };
        Assert.Empty(options.Validate());
        var identity = new ServerIdentity("111122223333", Region);
        var outbox = new EventOutbox(options, identity, f.Time);
        var secrets = new SecretsService(f.Store, f.Keys, identity, f.Time, events: outbox);
        Core.Parameters.ParameterService Start() => new(f.Store, f.Keys, secrets, identity, f.Time, outbox);
        var parameters = Start();
        var expires = f.Time.GetUtcNow().AddDays(10).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var policies = $$$"""[{"Type":"Expiration","Attributes":{"Timestamp":"{{{expires}}}"}},{"Type":"ExpirationNotification","Attributes":{"Before":"5","Unit":"Days"}}]""";
        Task Put(bool overwrite) => parameters.Writes.PutParameterAsync(Region, new Core.Parameters.PutParameterRequest("/app/expiring", null, "plaintext-param-4714", "String", null, overwrite, null, null, "Advanced", policies, null), null, Ct);
        await Put(overwrite: false);

        async Task<List<(string PolicyType, string Name)>> PolicyEvents() =>
            [.. (await Bodies(f, "all")).Where(e => e.GetProperty("detail-type").GetString() == EventCatalog.ParameterPolicyAction)
                .Select(e => (e.GetProperty("detail").GetProperty("policyType").GetString()!, e.GetProperty("detail").GetProperty("parameterName").GetString()!))];

        Assert.Empty(await parameters.Policies.DueNotificationsAsync(Ct));
        f.Time.Advance(TimeSpan.FromDays(6));
        Assert.Equal("ExpirationNotification", Assert.Single(await parameters.Policies.DueNotificationsAsync(Ct)).PolicyType);
        Assert.Empty(await parameters.Policies.DueNotificationsAsync(Ct));
        parameters = Start(); // as after a restart: the marker is in the store, not in the process
        Assert.Empty(await parameters.Policies.DueNotificationsAsync(Ct));
        Assert.Equal([("ExpirationNotification", "/app/expiring")], await PolicyEvents());

        // A new version is notified again, once.
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await Put(overwrite: true);
        Assert.Single(await parameters.Policies.DueNotificationsAsync(Ct));
        Assert.Empty(await Start().Policies.DueNotificationsAsync(Ct));
        Assert.Equal(2, (await PolicyEvents()).Count);

        // Expiration: the deletion and its event, once.
        f.Time.Advance(TimeSpan.FromDays(5));
        Assert.Single(await parameters.Policies.ExpireDueAsync(Ct));
        Assert.Empty(await parameters.Policies.ExpireDueAsync(Ct));
        Assert.Equal(("Expiration", "/app/expiring"), (await PolicyEvents())[^1]);
        Assert.Equal(3, (await PolicyEvents()).Count);
        Assert.DoesNotContain("plaintext-param", string.Join("\n", (await f.Store.ListOutboxAsync(null, 100, Ct)).Select(e => e.Body)), StringComparison.Ordinal);
    }
}
