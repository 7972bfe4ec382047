using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Crypto;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Tests;

/// <summary>A SecretsService over a real SQLite file in a temp directory, with a fake clock.</summary>
internal sealed class ServiceFixture : IAsyncDisposable
{
    private ServiceFixture(string dir, SqliteStore store, RootKeyHolder root, KeyRing keys, SecretsService service, FakeTimeProvider time, KmsService kms)
    {
        Kms = kms;
        Dir = dir;
        Store = store;
        Root = root;
        Keys = keys;
        Service = service;
        Time = time;
    }

    public string Dir { get; }

    public SqliteStore Store { get; }

    public RootKeyHolder Root { get; }

    public KeyRing Keys { get; }

    public SecretsService Service { get; }

    public KmsService Kms { get; }

    public FakeTimeProvider Time { get; }

    public const string Region = "us-east-1";

    public static async Task<ServiceFixture> CreateAsync()
    {
        var dir = Directory.CreateTempSubdirectory("sr-core-").FullName;
        var store = new SqliteStore(Path.Combine(dir, "strongroom.db"));
        await store.InitializeAsync(CancellationToken.None);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero));
        var root = new RootKeyHolder(RootKey.Generate(), null);
        var identity = new ServerIdentity("111122223333", Region);
        var keys = new KeyRing(store, new RootWrap(root), identity, time);
        return new ServiceFixture(dir, store, root, keys, new SecretsService(store, keys, identity, time), time, new KmsService(store, keys, identity, time));
    }

    public static string Token() => Guid.NewGuid().ToString();

    public Task<WriteResult> CreateAsync(string name, string? value = "v1") =>
        Service.Writes.CreateSecretAsync(Region, new CreateSecretRequest(name, Token(), null, null, null, value, null, null, false, null), CancellationToken.None);

    public Task<WriteResult> PutAsync(string id, string value, string? token = null, IReadOnlyList<string>? stages = null) =>
        Service.Writes.PutSecretValueAsync(Region, new PutSecretValueRequest(id, token ?? Token(), null, value, stages), CancellationToken.None);

    public async Task<string?> ReadAsync(string id, string? versionId = null, string? stage = null)
    {
        using var result = await Service.Reads.GetSecretValueAsync(Region, id, versionId, stage, CancellationToken.None);
        return result.Value.Text;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Keys.Dispose();
        Root.Dispose();
        Directory.Delete(Dir, true);
    }
}
