namespace Strongroom.Core.Policies;

/// <summary>
/// A JSON-protocol call's input as the access builders read it: leniently, because access is decided before the
/// operation validates its input — a member of the wrong type reads as missing here, and the operation then answers
/// its own validation error (or the denial comes first, as in AWS). Implemented by the protocol layer over the body it
/// decoded once (<c>Protocol.Aws.Json.JsonAccessInput</c>); <see cref="Empty"/> for a call without one.
/// </summary>
public interface IAccessInput
{
    /// <summary>The member when it is a string, else null.</summary>
    string? String(string member);

    /// <summary>Whether the member is the boolean true.</summary>
    bool IsTrue(string member);

    /// <summary>Whether the member is present and not null.</summary>
    bool IsPresent(string member);

    /// <summary>The string elements of an array member; null when the member is not an array.</summary>
    IReadOnlyList<string>? Strings(string member);

    /// <summary>
    /// The elements of an array of {Key, Value} structures that have a string Key (a missing or non-string Value reads
    /// as ""); null when the member is not an array.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>>? Tags(string member);

    /// <summary>The pairs of an object member, each value as its text; null when the member is not an object.</summary>
    IReadOnlyList<KeyValuePair<string, string>>? Map(string member);

    /// <summary>No input: every member missing.</summary>
    static IAccessInput Empty { get; } = new NoInput();

    private sealed class NoInput : IAccessInput
    {
        public string? String(string member) => null;

        public bool IsTrue(string member) => false;

        public bool IsPresent(string member) => false;

        public IReadOnlyList<string>? Strings(string member) => null;

        public IReadOnlyList<KeyValuePair<string, string>>? Tags(string member) => null;

        public IReadOnlyList<KeyValuePair<string, string>>? Map(string member) => null;
    }
}
