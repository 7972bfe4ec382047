using System.Globalization;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Cluster;

/// <summary>
/// What one node knows about the others sharing its store. Several nodes on one database run the
/// background work (rotation scheduling, purges, KMS key rotation, audit digests and archiving) one at a
/// time: the node holding the background lease does it. Every node says it is alive (a heartbeat), so
/// work a dead node left half done — a rotation run — can be taken up by another.
/// </summary>
public interface IClusterView
{
    /// <summary>This node's id (stable across restarts of the same node).</summary>
    string NodeId { get; }

    /// <summary>True while this node holds the background lease.</summary>
    bool HoldsLease { get; }

    /// <summary>True when <paramref name="nodeId"/> renewed its heartbeat recently (this node always is).</summary>
    Task<bool> IsNodeAliveAsync(string nodeId, CancellationToken ct);
}

/// <summary>The view of a node that is alone: it holds the lease, and no other node is alive.</summary>
public sealed class SingleNode : IClusterView
{
    public SingleNode(string nodeId = "local") => NodeId = nodeId;

    public string NodeId { get; }

    public bool HoldsLease => true;

    public Task<bool> IsNodeAliveAsync(string nodeId, CancellationToken ct) => Task.FromResult(nodeId == NodeId);
}

/// <summary>Timings of <see cref="ClusterCoordinator"/>.</summary>
public sealed class ClusterOptions
{
    /// <summary>How long a heartbeat or the lease lasts without renewal: another node takes over after at most this (plus one <see cref="Beat"/>).</summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a node renews its heartbeat and tries to take or renew the lease.</summary>
    public TimeSpan Beat { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a node looks for IAM and KMS changes made by other nodes (the bound on stale caches).</summary>
    public TimeSpan ChangePoll { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Heartbeat, background lease and change feed over the store's settings (so every store, and every
/// node sharing one, uses the same mechanism, and no schema is needed). The lease is the setting
/// <c>cluster.lease</c> = "node until-ms": taken in a write transaction (writes are serialised) when it is
/// free, expired or already this node's, so at most one node holds an unexpired lease. A holder that
/// cannot renew (the database is unreachable) stops considering itself the holder when its own lease time
/// runs out, before another node can take it. Clocks of the nodes must agree to well within
/// <see cref="ClusterOptions.LeaseTime"/> (NTP). Changes: a writer of IAM or KMS state sets
/// <c>cluster.changed.DOMAIN</c> to a fresh token in the same transaction (<see cref="MarkChangedAsync"/>);
/// every node polls these tokens and drops its caches of that domain when one differs from what it last saw.
/// </summary>
public sealed class ClusterCoordinator : IClusterView
{
    public const string LeaseKey = "cluster.lease";
    public const string NodeKeyPrefix = "cluster.node.";
    public const string ChangedKeyPrefix = "cluster.changed.";

    private readonly IStore _store;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (string? Seen, Action Invalidate)> _domains = new(StringComparer.Ordinal);
    private long _leaseUntilMs;

    public ClusterCoordinator(IStore store, string nodeId, ClusterOptions options, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        _store = store;
        NodeId = nodeId;
        _options = options;
        _time = time;
    }

    public string NodeId { get; }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public bool HoldsLease => Interlocked.Read(ref _leaseUntilMs) > NowMs;

    /// <summary>Raised (on the beat) when this node takes the lease after not holding it.</summary>
    public event Action? LeaseTaken;

    /// <summary>Calls <paramref name="invalidate"/> whenever another node (or this one) changed <paramref name="domain"/>.</summary>
    public void OnChanged(string domain, Action invalidate)
    {
        lock (_domains)
        {
            _domains[domain] = (null, invalidate);
        }
    }

    /// <summary>Records, inside a write transaction, that <paramref name="domain"/> changed, for every node's caches.</summary>
    public static Task MarkChangedAsync(ISettingsWriter tx, string domain, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.SetSettingAsync(ChangedKeyPrefix + domain, Guid.NewGuid().ToString("N"), ct);
    }

    public async Task<bool> IsNodeAliveAsync(string nodeId, CancellationToken ct)
    {
        if (nodeId == NodeId)
        {
            return true;
        }

        var value = await _store.GetSettingAsync(NodeKeyPrefix + nodeId, ct);
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var until) && until > NowMs;
    }

    /// <summary>Renews this node's heartbeat and takes or renews the lease when it is free, expired or ours. Returns whether we hold it.</summary>
    public async Task<bool> BeatAsync(CancellationToken ct)
    {
        var had = HoldsLease;
        var now = NowMs;
        var until = now + (long)_options.LeaseTime.TotalMilliseconds;
        var mine = await _store.WriteAsync(async tx =>
        {
            await tx.SetSettingAsync(NodeKeyPrefix + NodeId, until.ToString(CultureInfo.InvariantCulture), ct);
            var (holder, holderUntil) = ParseLease(await tx.GetSettingAsync(LeaseKey, ct));
            if (holder is not null && holder != NodeId && holderUntil > now)
            {
                return false;
            }

            await tx.SetSettingAsync(LeaseKey, $"{NodeId} {until.ToString(CultureInfo.InvariantCulture)}", ct);
            return true;
        }, ct);

        // The lease counts from before the write, so this node gives it up no later than others may take it.
        Interlocked.Exchange(ref _leaseUntilMs, mine ? until : 0);
        if (mine && !had)
        {
            LeaseTaken?.Invoke();
        }

        return mine;
    }

    /// <summary>Gives the lease up (at shutdown), so another node takes it at its next beat instead of after the lease time.</summary>
    public async Task ReleaseAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _leaseUntilMs, 0);
        await _store.WriteAsync(async tx =>
        {
            await tx.SetSettingAsync(NodeKeyPrefix + NodeId, "0", ct);
            var (holder, _) = ParseLease(await tx.GetSettingAsync(LeaseKey, ct));
            if (holder == NodeId)
            {
                await tx.SetSettingAsync(LeaseKey, $"{NodeId} 0", ct);
            }

            return true;
        }, ct);
    }

    /// <summary>Reads the change tokens and invalidates the caches of every domain whose token moved.</summary>
    public async Task PollChangesAsync(CancellationToken ct)
    {
        List<string> domains;
        lock (_domains)
        {
            domains = [.. _domains.Keys];
        }

        foreach (var domain in domains)
        {
            var token = await _store.GetSettingAsync(ChangedKeyPrefix + domain, ct);
            Action? invalidate = null;
            lock (_domains)
            {
                var (seen, action) = _domains[domain];
                if (!string.Equals(seen, token, StringComparison.Ordinal))
                {
                    // Also on the first poll: a cache filled before it may predate a change made before it.
                    _domains[domain] = (token, action);
                    invalidate = action;
                }
            }

            invalidate?.Invoke();
        }
    }

    /// <summary>Runs until cancelled: polls changes every <see cref="ClusterOptions.ChangePoll"/> and beats every <see cref="ClusterOptions.Beat"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var nextBeat = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(_options.ChangePoll < _options.Beat ? _options.ChangePoll : _options.Beat, _time);
        do
        {
            try
            {
                if (_time.GetUtcNow() >= nextBeat)
                {
                    nextBeat = _time.GetUtcNow() + _options.Beat;
                    await BeatAsync(ct);
                }

                await PollChangesAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // The store is unreachable: the lease runs out by itself; the next beat tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    private static (string? Holder, long Until) ParseLease(string? value)
    {
        var space = value?.LastIndexOf(' ') ?? -1;
        return space > 0 && long.TryParse(value.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var until)
            ? (value![..space], until)
            : (null, 0);
    }
}
