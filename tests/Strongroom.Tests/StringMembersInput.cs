using Strongroom.Core.Policies;

namespace Strongroom.Tests;

/// <summary>A call's input for access tests: string members only (no flags, lists, tags or maps).</summary>
internal sealed class StringMembersInput(params (string Member, string Value)[] members) : IAccessInput
{
    public string? String(string member) => members.FirstOrDefault(m => m.Member == member).Value;

    public bool IsTrue(string member) => false;

    public bool IsPresent(string member) => String(member) is not null;

    public IReadOnlyList<string>? Strings(string member) => null;

    public IReadOnlyList<KeyValuePair<string, string>>? Tags(string member) => null;

    public IReadOnlyList<KeyValuePair<string, string>>? Map(string member) => null;
}
