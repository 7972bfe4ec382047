namespace Strongroom.Core.Rotation;

/// <summary>
/// What a rotation function said during one step (a command's standard output and error, an HTTP function's error
/// body, a built-in rotator's messages), held in memory, in labelled parts each bounded to its tail. It is raw: the
/// runner masks it (<see cref="RotationOutputMasker"/>) before it is stored, and it is never logged. Thread-safe.
/// </summary>
public sealed class RotationStepOutput
{
    /// <summary>Largest part kept, in characters (its tail).</summary>
    public const int PartLimit = 16 * 1024;

    private readonly List<RotationOutputPart> _parts = [];
    private readonly Lock _lock = new();

    /// <summary>Appends to the part named <paramref name="label"/> (created on first use).</summary>
    /// <param name="label">stdout, stderr, body, log.</param>
    /// <param name="text">What was said.</param>
    /// <param name="truncatedBefore">True when <paramref name="text"/> is itself a tail (its start was dropped before it came here).</param>
    public void Write(string label, string text, bool truncatedBefore = false)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(text);
        lock (_lock)
        {
            var index = _parts.FindIndex(p => p.Label == label);
            var part = index < 0 ? new RotationOutputPart(label, string.Empty, false) : _parts[index];
            var joined = part.Text + text;
            var truncated = part.Truncated || (truncatedBefore && part.Text.Length == 0);
            if (joined.Length > PartLimit)
            {
                joined = joined[^PartLimit..];
                truncated = true;
            }

            part = new RotationOutputPart(label, joined, truncated);
            if (index < 0)
            {
                _parts.Add(part);
            }
            else
            {
                _parts[index] = part;
            }
        }
    }

    /// <summary>The parts so far, in the order they were first written.</summary>
    public IReadOnlyList<RotationOutputPart> Parts
    {
        get
        {
            lock (_lock)
            {
                return [.. _parts];
            }
        }
    }
}
