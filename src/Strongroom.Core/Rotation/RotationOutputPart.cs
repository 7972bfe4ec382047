namespace Strongroom.Core.Rotation;

/// <summary>One labelled part of a step's output; <paramref name="Truncated"/> when its start was dropped.</summary>
public sealed record RotationOutputPart(string Label, string Text, bool Truncated);
