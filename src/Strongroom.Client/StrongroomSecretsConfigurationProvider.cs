using Microsoft.Extensions.Configuration;

namespace Strongroom.Client;

/// <summary>
/// Secrets as configuration, read through a <see cref="SecretCache"/>. When the cache sees a new AWSCURRENT (at once
/// through Strongroom's change stream, else after its TTL) the data is rebuilt and the reload token fires, so
/// IOptionsMonitor and IConfiguration readers see the rotated value without a restart. Values are never logged.
/// </summary>
public sealed class StrongroomSecretsConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly StrongroomSecretsOptions _options;
    private readonly SecretCache _cache;
    private readonly bool _ownsCache;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _refresher;

    /// <param name="cache">A shared cache (null: one made from <paramref name="options"/> and owned by the provider).</param>
    public StrongroomSecretsConfigurationProvider(StrongroomSecretsOptions options, SecretCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ownsCache = cache is null;
        _cache = cache ?? options.CreateCache();
        _cache.SecretChanged += (_, _) => _ = ReloadAsync();
    }

    public override void Load()
    {
        // IConfigurationProvider.Load is synchronous; the first load blocks the builder, as every remote provider does.
        Data = ReadAsync(CancellationToken.None).GetAwaiter().GetResult();
        _refresher ??= _options.Mappings.Any(m => m.NamePrefix is not null) ? Task.Run(RefreshLoopAsync) : Task.CompletedTask;
    }

    private async Task<Dictionary<string, string?>> ReadAsync(CancellationToken ct)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var mapping in _options.Mappings)
        {
            var sources = new List<(string SecretId, string Section)>();
            if (mapping.SecretId is { } id)
            {
                sources.Add((id, mapping.Section ?? SecretFlattener.Section(id)));
            }
            else
            {
                var prefix = mapping.NamePrefix!;
                foreach (var name in await _cache.Client.ListSecretNamesAsync(prefix, ct).ConfigureAwait(false))
                {
                    var rest = SecretFlattener.Section(name[prefix.Length..]);
                    sources.Add((name, mapping.Section is { Length: > 0 } s ? (rest.Length == 0 ? s : s + ":" + rest) : rest));
                }
            }

            foreach (var (secretId, section) in sources)
            {
                try
                {
                    SecretFlattener.Add(data, section, await _cache.GetSecretValueAsync(secretId, ct: ct).ConfigureAwait(false));
                }
                catch (AwsServiceException) when (_options.Optional)
                {
                    // left out, as asked
                }
            }
        }

        return data;
    }

    private async Task ReloadAsync()
    {
        if (!await _reloading.WaitAsync(0).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            var data = await ReadAsync(_stop.Token).ConfigureAwait(false);
            if (!Same(data, Data))
            {
                Data = data;
                OnReload();
            }
        }
        catch (Exception e) when (e is AwsServiceException or HttpRequestException or OperationCanceledException)
        {
            // Keep the last good configuration; the next change or interval tries again.
        }
        finally
        {
            _reloading.Release();
        }
    }

    private static bool Same(Dictionary<string, string?> a, IDictionary<string, string?> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private async Task RefreshLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(_options.ReloadInterval, _stop.Token).ConfigureAwait(false);
                await ReloadAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_ownsCache)
        {
            _cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _stop.Dispose();
        _reloading.Dispose();
    }
}
