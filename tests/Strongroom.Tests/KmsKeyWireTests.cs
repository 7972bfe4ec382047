using Strongroom.Core.Kms;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The KMS key state and manager are enums in Core and AWS's strings on the wire and in the store (#17): every member
/// maps to AWS's string and back, and a stored value the store never writes is refused, not guessed.
/// </summary>
public sealed class KmsKeyWireTests
{
    [Theory]
    [InlineData(KmsKeyState.Enabled, "Enabled")]
    [InlineData(KmsKeyState.Disabled, "Disabled")]
    [InlineData(KmsKeyState.PendingDeletion, "PendingDeletion")]
    public void State_MapsToAwsStringAndBack(KmsKeyState state, string wire)
    {
        Assert.Equal(wire, KmsKeyWire.ToWire(state));
        Assert.Equal(state, KmsKeyWire.ParseState(wire));
    }

    [Theory]
    [InlineData(KmsKeyManager.Customer, "CUSTOMER")]
    [InlineData(KmsKeyManager.Aws, "AWS")]
    public void Manager_MapsToAwsStringAndBack(KmsKeyManager manager, string wire)
    {
        Assert.Equal(wire, KmsKeyWire.ToWire(manager));
        Assert.Equal(manager, KmsKeyWire.ParseManager(wire));
    }

    [Fact]
    public void EveryEnumMember_HasAWireString()
    {
        Assert.All(Enum.GetValues<KmsKeyState>(), s => Assert.Equal(s, KmsKeyWire.ParseState(KmsKeyWire.ToWire(s))));
        Assert.All(Enum.GetValues<KmsKeyManager>(), m => Assert.Equal(m, KmsKeyWire.ParseManager(KmsKeyWire.ToWire(m))));
    }

    [Theory]
    [InlineData("enabled")]
    [InlineData("PendingImport")]
    [InlineData("")]
    public void UnknownStoredState_IsRefused(string stored) =>
        Assert.Throws<FormatException>(() => KmsKeyWire.ParseState(stored));

    [Theory]
    [InlineData("customer")]
    [InlineData("Aws")]
    public void UnknownStoredManager_IsRefused(string stored) =>
        Assert.Throws<FormatException>(() => KmsKeyWire.ParseManager(stored));

    [Fact]
    public void ZeroValues_AreTheRestrictiveOnes()
    {
        Assert.Equal(KmsKeyState.Disabled, default(KmsKeyState));
        Assert.Equal(KmsKeyManager.Aws, default(KmsKeyManager));
    }
}
