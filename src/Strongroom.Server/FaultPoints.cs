namespace Strongroom.Server;

/// <summary>
/// Named points inside a multi-step operation (root-key rotation: "after-next", "after-commit"; a rotation run's
/// record committed: "rotation-run-started", "rotation-run-finished") where a test host may stop the process, to prove
/// that an interruption there loses nothing. The shipped executable installs no hook and
/// nothing it reads (flag, environment variable, file) can install one: only the test host
/// (tests/Strongroom.FaultHost, through InternalsVisibleTo) sets <see cref="Hook"/>. Without a hook a point does nothing.
/// </summary>
internal static class FaultPoints
{
    /// <summary>Called with the point's name at each point; null (the default) in every shipped program.</summary>
    internal static Action<string>? Hook { get; set; }

    internal static void Reach(string point) => Hook?.Invoke(point);
}
