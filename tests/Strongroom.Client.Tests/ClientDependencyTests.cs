using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>DESIGN §3: the client sees nothing server-side.</summary>
public sealed class ClientDependencyTests
{
    [Fact]
    public void ClientAssembly_References_NoOtherStrongroomAssembly()
    {
        var references = typeof(AwsJsonClient).Assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Strongroom", StringComparison.Ordinal));
        Assert.Empty(references);
    }
}
