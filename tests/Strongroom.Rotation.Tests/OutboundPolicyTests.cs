using System.Net;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>The rotation allow-list (--rotation-allowed-hosts): parsing, the default, and what a connection may name.</summary>
public sealed class OutboundPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.0.7", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("169.254.169.254", false)]
    [InlineData("fe80::1", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("192.0.2.10", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    public void Default_AllowsLoopbackAndPrivateOnly(string address, bool allowed) =>
        Assert.Equal(allowed, OutboundPolicy.Default.Allows(IPAddress.Parse(address)));

    [Theory]
    [InlineData("/var/run/postgresql")]
    [InlineData("127.0.0.1,169.254.169.254")]
    [InlineData("db host")]
    [InlineData("user@db")]
    [InlineData("")]
    [InlineData("[169.254.169.254]")]
    [InlineData("169.254.169.254")]
    public async Task CheckAsync_NotOneAllowedHost_RefusedNamingTheFlag(string host)
    {
        var e = await Assert.ThrowsAsync<OutboundRefusedException>(() => OutboundPolicy.Default.CheckAsync(host, CancellationToken.None));
        Assert.Contains(OutboundPolicy.Flag, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_AddressLiteralsAndLocalhost_ReturnTheAddressesToConnectTo()
    {
        Assert.Equal([IPAddress.Parse("10.0.0.5")], await OutboundPolicy.Default.CheckAsync("10.0.0.5", CancellationToken.None));
        Assert.Equal([IPAddress.IPv6Loopback], await OutboundPolicy.Default.CheckAsync("[::1]", CancellationToken.None));
        var localhost = await OutboundPolicy.Default.CheckAsync("localhost", CancellationToken.None);
        Assert.NotEmpty(localhost);
        Assert.All(localhost, a => Assert.True(IPAddress.IsLoopback(a)));
    }

    [Fact]
    public async Task Parse_NamesPatternsAndCidrs()
    {
        var policy = OutboundPolicy.Parse(" 10.0.0.0/8 , *.db.example.com, vault.example.com, 203.0.113.7 ");
        Assert.Empty(await policy.CheckAsync("pg.db.example.com", CancellationToken.None));
        Assert.Empty(await policy.CheckAsync("VAULT.example.com", CancellationToken.None));
        Assert.Equal([IPAddress.Parse("203.0.113.7")], await policy.CheckAsync("203.0.113.7", CancellationToken.None));
        await Assert.ThrowsAsync<OutboundRefusedException>(() => policy.CheckAsync("127.0.0.1", CancellationToken.None));
        await Assert.ThrowsAsync<OutboundRefusedException>(() => policy.CheckAsync("localhost", CancellationToken.None));
        await Assert.ThrowsAsync<OutboundRefusedException>(() => policy.CheckAsync("db.example.com.evil.test", CancellationToken.None));
        Assert.True(OutboundPolicy.Parse("*").Allows(IPAddress.Parse("8.8.8.8")));
        await Assert.ThrowsAsync<OutboundRefusedException>(() => OutboundPolicy.Parse("*").CheckAsync("/tmp/.s.PGSQL.5432", CancellationToken.None));
    }

    [Theory]
    [InlineData("10.0.0.0/99")]
    [InlineData("10.0.0.0/")]
    [InlineData("not a host")]
    [InlineData(",")]
    [InlineData("db.example.com/8")]
    public void Parse_Invalid_FormatExceptionNamingTheFlagAndEntry(string text)
    {
        var e = Assert.Throws<FormatException>(() => OutboundPolicy.Parse(text));
        Assert.Contains(OutboundPolicy.Flag, e.Message, StringComparison.Ordinal);
    }
}
