using Xunit;
namespace Strongroom.Client.Tests;

/// <summary>One dev server for every test that needs one.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<StrongroomServer>
{
    public const string Name = "strongroom server";
}
