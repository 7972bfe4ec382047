using Strongroom.Core;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Crypto;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Bench.Micro;

/// <summary>
/// A SecretsService over a real SQLite file in a temp directory (as tests/Strongroom.Tests/ServiceFixture
/// builds one), holding <see cref="Count"/> secrets created through the service.
/// </summary>
internal sealed class InProcessFixture : IAsyncDisposable
{
    public const string Region = "us-east-1";
    public const int Count = 1000;

    private InProcessFixture(string dir, SqliteStore store, RootKeyHolder root, KeyRing keys, SecretsService service)
    {
        Dir = dir;
        Store = store;
        Root = root;
        Keys = keys;
        Service = service;
    }

    public string Dir { get; }

    public SqliteStore Store { get; }

    public RootKeyHolder Root { get; }

    public KeyRing Keys { get; }

    public SecretsService Service { get; }

    public static string Name(int i) => $"bench/read/{i:D5}";

    public static async Task<InProcessFixture> CreateAsync()
    {
        var dir = Directory.CreateTempSubdirectory("strongroom-bench-micro-").FullName;
        var store = new SqliteStore(Path.Combine(dir, "strongroom.db"));
        await store.InitializeAsync(CancellationToken.None);
        var time = TimeProvider.System;
        var root = new RootKeyHolder(RootKey.Generate(), null);
        var identity = new ServerIdentity("111122223333", Region);
        var keys = new KeyRing(store, new RootWrap(root), identity, time);
        var service = new SecretsService(store, keys, identity, time);
        for (var i = 0; i < Count; i++)
        {
            await service.Writes.CreateSecretAsync(Region, new CreateSecretRequest(Name(i), Guid.NewGuid().ToString(), null, null, null, Servers.SecretValue(i, "v0-"), null, null, false, null), CancellationToken.None);
        }

        // Read each once so the once-a-day LastAccessedDate write is out of the measured loop.
        for (var i = 0; i < Count; i++)
        {
            using var value = await service.Reads.GetSecretValueAsync(Region, Name(i), null, null, CancellationToken.None);
        }

        return new InProcessFixture(dir, store, root, keys, service);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Keys.Dispose();
        Root.Dispose();
        Directory.Delete(Dir, true);
    }
}
