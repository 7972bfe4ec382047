namespace Strongroom.Core.Storage;

/// <summary>Rotation runs written inside a unit of work, so a run's event (ADR 0028) commits with it.</summary>
public interface IRotationRunWriter
{
    /// <summary>
    /// <see cref="IRotationRunStore.InsertRotationRunAsync"/> inside this transaction, so the run's event (ADR 0028) commits with
    /// it: records the run and sets its RunId unless a run of the same secret is still Running (then returns false).
    /// </summary>
    Task<bool> InsertRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);

    /// <summary><see cref="IRotationRunStore.UpdateRotationRunAsync"/> inside this transaction.</summary>
    Task UpdateRotationRunAsync(Rotation.RotationRun run, CancellationToken cancellationToken);
}
