using System.Collections.Concurrent;
using Strongroom.Core.Secrets;

namespace Strongroom.Storage.Relational;

/// <summary>
/// The rows GetSecretValue reads on every call — a secret by name or ARN, a version by staging label or id — kept in
/// memory as stored (metadata and the encrypted envelope; never a plaintext), valid while no write has started since
/// they were read. Every write through the store bumps <see cref="Generation"/> when it starts and when it ends, so a
/// row read before or during a write is never served after it: the cache is exact for the one process that writes
/// the database, and a store shared with writers in other processes (PostgreSQL nodes) does not use it. Callers get
/// copies (use cases change the records they load). Bounded: past <see cref="MaxEntries"/> it starts over.
/// Thread-safe.
/// </summary>
internal sealed class SecretReadCache
{
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<(char Kind, string Key, long Id), (long Generation, object? Row)> _rows = new();
    private long _generation;

    /// <summary>Changes when a write starts and when it ends.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Runs <paramref name="write"/> with the cache invalidated before and after it.</summary>
    public async Task<T> AroundWriteAsync<T>(Func<Task<T>> write)
    {
        Interlocked.Increment(ref _generation);
        try
        {
            return await write();
        }
        finally
        {
            Interlocked.Increment(ref _generation);
        }
    }

    public async Task<SecretRecord?> SecretAsync(char kind, string key, Func<Task<SecretRecord?>> read) =>
        (await GetAsync(kind, key, 0, read))?.Copy();

    public async Task<SecretVersionRecord?> VersionAsync(char kind, string key, long secretId, Func<Task<SecretVersionRecord?>> read) =>
        (await GetAsync(kind, key, secretId, read))?.Copy();

    private async Task<T?> GetAsync<T>(char kind, string key, long id, Func<Task<T?>> read)
        where T : class
    {
        var generation = Generation;
        if (_rows.TryGetValue((kind, key, id), out var hit) && hit.Generation == generation)
        {
            return (T?)hit.Row;
        }

        var row = await read();
        if (Generation == generation)
        {
            if (_rows.Count >= MaxEntries)
            {
                _rows.Clear();
            }

            _rows[(kind, key, id)] = (generation, row);
        }

        return row;
    }
}
