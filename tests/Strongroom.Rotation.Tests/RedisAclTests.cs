using Strongroom.Rotation.Builtin;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>The Redis ACL text the alternating-users rotator copies, and the password hashes both rotators send.</summary>
public sealed class RedisAclTests
{
    [Fact]
    public void PasswordHash_MatchesWhatRedisStores()
    {
        // Redis 7.0's ACL LIST showed this hash for a user created with ">pw1".
        Assert.Equal("c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8", RedisAcl.PasswordHash("pw1"));
    }

    [Fact]
    public void RulesOf_DropsPasswordsAndKeepsSelectorsWhole()
    {
        string[] list =
        [
            "user default on #5fcf82bc15aef42cd3ec93e6d4b51c04df110cf77ee715f62f3f172ff8ed9de9 ~* &* +@all",
            "user app on #c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8 #aa ~app:* resetchannels -@all +@write +@read (~x:* resetchannels -@all +get)",
        ];

        Assert.Equal(
            ["on", "~app:*", "resetchannels", "-@all", "+@write", "+@read", "(~x:* resetchannels -@all +get)"],
            RedisAcl.RulesOf(list, "app"));
    }

    [Fact]
    public void RulesOf_NopassIsDropped_AndAUserWhoseNameIsAPrefixDoesNotMatch()
    {
        string[] list = ["user app_clone off nopass ~* +@all", "user app on nopass ~* +@all"];
        Assert.Equal(["on", "~*", "+@all"], RedisAcl.RulesOf(list, "app"));
        Assert.Null(RedisAcl.RulesOf(list, "ap"));
    }

    [Fact]
    public void Tokenize_CollapsesSpacesOutsideSelectors()
    {
        Assert.Equal(["on", "(~a:*  +get)", "+ping"], RedisAcl.Tokenize("on  (~a:*  +get) +ping "));
    }
}
