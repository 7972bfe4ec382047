namespace Strongroom.Fuzz;

/// <summary>A clock stopped at 2026-01-01T00:00:00Z, so signed inputs in the corpus stay inside the skew window.</summary>
public sealed class FixedTime : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
