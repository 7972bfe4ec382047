namespace Strongroom.Core.Storage;

/// <summary>Rotation runs: the record of each rotation of a secret, its retries and interrupted runs.</summary>
public interface IRotationRunStore
{
    /// <summary>
    /// Records a new rotation run and sets its <see cref="Rotation.RotationRun.RunId"/> — unless a run of the same
    /// secret is still Running (on this node or another), checked in the write transaction: then records nothing and
    /// returns false. So one secret never has two runs at once, whichever nodes start them.
    /// </summary>
    Task<bool> InsertRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);

    Task UpdateRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);

    /// <summary>Runs newest first (of one secret when <paramref name="secretArn"/> is given), with RunId below <paramref name="beforeRunId"/>.</summary>
    Task<IReadOnlyList<Rotation.RotationRun>> ListRotationRunsAsync(string? secretArn, long? beforeRunId, int limit, CancellationToken cancellationToken);

    /// <summary>Runs still marked Running (after a crash: interrupted ones), oldest first.</summary>
    Task<IReadOnlyList<Rotation.RotationRun>> FindRunningRotationRunsAsync(CancellationToken cancellationToken);

    /// <summary>Failed runs whose retry time is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<Rotation.RotationRun>> FindRotationRetriesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
