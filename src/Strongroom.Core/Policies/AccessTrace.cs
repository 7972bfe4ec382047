namespace Strongroom.Core.Policies;

/// <summary>
/// How <see cref="AccessEvaluator"/> decided, collected while it decides, for a person (`strongroom admin explain`):
/// each check's request context, the policies weighed and the statement that decided. Passed only by explain; the
/// server passes none, and then nothing is collected (the evaluation is the same either way). Not thread-safe: one
/// decision's.
/// </summary>
public sealed class AccessTrace
{
    private readonly List<TracedCheck> _checks = [];

    /// <summary>True when the caller was the administrator, whom only trust-only checks bind.</summary>
    public bool Administrator { get; internal set; }

    /// <summary>The checks decided, in order; the last is the denying one when the decision is a denial.</summary>
    public IReadOnlyList<TracedCheck> Checks => _checks;

    internal void Add(TracedCheck check) => _checks.Add(check);
}
