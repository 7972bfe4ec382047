namespace Strongroom.Client;

/// <summary>One page of ListRotationRuns; NextToken null on the last page.</summary>
public sealed record RotationRunPage(IReadOnlyList<RotationRun> Runs, string? NextToken);
