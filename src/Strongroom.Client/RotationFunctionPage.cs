namespace Strongroom.Client;

/// <summary>One page of ListRotationFunctions; NextToken null on the last page.</summary>
public sealed record RotationFunctionPage(IReadOnlyList<RotationFunctionInfo> Functions, string? NextToken);
