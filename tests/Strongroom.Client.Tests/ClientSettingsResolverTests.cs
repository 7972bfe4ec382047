using Xunit;

namespace Strongroom.Client.Tests;

/// <summary>Credential, region and endpoint resolution with temporary files and an explicit environment.</summary>
public sealed class ClientSettingsResolverTests : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("strongroom-client-home-");

    public void Dispose() => _home.Delete(recursive: true);

    private ClientSettingsResolver Resolver(Dictionary<string, string> env) => new(name => env.GetValueOrDefault(name), _home.FullName);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_home.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Credentials_Explicit_WinOverEnvironment()
    {
        var resolver = Resolver(new() { ["AWS_ACCESS_KEY_ID"] = "ENVKEY", ["AWS_SECRET_ACCESS_KEY"] = "envsecret" });
        Assert.Equal(new AwsCredentials("EXPLICIT", "s"), resolver.Credentials("EXPLICIT", "s"));
    }

    [Fact]
    public void Credentials_Environment_IncludeSessionToken()
    {
        var resolver = Resolver(new() { ["AWS_ACCESS_KEY_ID"] = "ENVKEY", ["AWS_SECRET_ACCESS_KEY"] = "envsecret", ["AWS_SESSION_TOKEN"] = "tok" });
        Assert.Equal(new AwsCredentials("ENVKEY", "envsecret", "tok"), resolver.Credentials());
    }

    [Fact]
    public void Credentials_DefaultFileDefaultProfile_Found()
    {
        Write(".aws/credentials", "[default]\naws_access_key_id = HOMEKEY\naws_secret_access_key = homesecret\n");
        Assert.Equal(new AwsCredentials("HOMEKEY", "homesecret"), Resolver([]).Credentials());
    }

    [Fact]
    public void Credentials_AwsProfileFromSharedFile_UsesThatProfile()
    {
        var file = Write("creds", "# comment\n[default]\naws_access_key_id = D\naws_secret_access_key = d\n\n[ops]\naws_access_key_id=OPS\naws_secret_access_key=opssecret\naws_session_token = opstoken\n");
        var resolver = Resolver(new() { ["AWS_SHARED_CREDENTIALS_FILE"] = file, ["AWS_PROFILE"] = "ops" });
        Assert.Equal(new AwsCredentials("OPS", "opssecret", "opstoken"), resolver.Credentials());
    }

    [Fact]
    public void Credentials_ExplicitProfile_OutranksEnvironmentKeys()
    {
        var file = Write("creds", "[ops]\naws_access_key_id=OPS\naws_secret_access_key=opssecret\n");
        var resolver = Resolver(new() { ["AWS_SHARED_CREDENTIALS_FILE"] = file, ["AWS_ACCESS_KEY_ID"] = "ENVKEY", ["AWS_SECRET_ACCESS_KEY"] = "e" });
        Assert.Equal("OPS", resolver.Credentials(profile: "ops").AccessKeyId);
    }

    [Fact]
    public void Credentials_ProfileInConfigFile_Found()
    {
        var config = Write("cfg", "[profile dev]\nregion = eu-west-1\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n");
        var resolver = Resolver(new() { ["AWS_CONFIG_FILE"] = config, ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_home.FullName, "none") });
        Assert.Equal(new AwsCredentials("CFGKEY", "cfgsecret"), resolver.Credentials(profile: "dev"));
    }

    [Fact]
    public void Credentials_NothingAnywhere_ThrowsConfigurationErrorNamingProfile()
    {
        var e = Assert.Throws<ClientConfigurationException>(() => Resolver(new() { ["AWS_PROFILE"] = "ghost" }).Credentials());
        Assert.Contains("'ghost'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Region_Order_ExplicitThenAwsRegionThenDefaultRegionThenProfile()
    {
        var config = Write("cfg", "[default]\nregion = ap-south-1\n[profile p]\nregion = eu-central-1\n");
        var env = new Dictionary<string, string> { ["AWS_CONFIG_FILE"] = config, ["AWS_REGION"] = "us-west-2", ["AWS_DEFAULT_REGION"] = "us-east-2" };
        Assert.Equal("sa-east-1", Resolver(env).Region("sa-east-1"));
        Assert.Equal("us-west-2", Resolver(env).Region());
        env.Remove("AWS_REGION");
        Assert.Equal("us-east-2", Resolver(env).Region());
        env.Remove("AWS_DEFAULT_REGION");
        Assert.Equal("ap-south-1", Resolver(env).Region());
        Assert.Equal("eu-central-1", Resolver(env).Region(profile: "p"));
        env["AWS_PROFILE"] = "p";
        Assert.Equal("eu-central-1", Resolver(env).Region());
    }

    [Fact]
    public void Region_Missing_Throws()
    {
        Assert.Throws<ClientConfigurationException>(() => Resolver([]).Region());
    }

    [Fact]
    public void Endpoint_ExplicitThenEnvironment()
    {
        var env = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9999" };
        Assert.Equal(new Uri("http://localhost:4566"), Resolver(env).Endpoint("http://localhost:4566"));
        Assert.Equal(new Uri("http://127.0.0.1:9999"), Resolver(env).Endpoint());
    }

    [Fact]
    public void Endpoint_MissingOrInvalid_ThrowsClearMessage()
    {
        var missing = Assert.Throws<ClientConfigurationException>(() => Resolver([]).Endpoint());
        Assert.Contains("--endpoint-url", missing.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ENDPOINT_URL", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ClientConfigurationException>(() => Resolver([]).Endpoint("ftp://x"));
    }

    [Fact]
    public void Resolve_WebIdentityEnvironment_ComesBeforeTheSharedFiles_AfterEnvironmentKeys()
    {
        Write(".aws/credentials", "[default]\naws_access_key_id = HOMEKEY\naws_secret_access_key = homesecret\n");
        var env = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1", ["AWS_REGION"] = "us-east-1", ["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/pods", ["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/var/run/token", ["AWS_ROLE_SESSION_NAME"] = "api" };
        var settings = Resolver(env).Resolve();
        Assert.Null(settings.Credentials);
        Assert.Equal(new WebIdentitySettings("arn:aws:iam::111122223333:role/pods", "/var/run/token", "api"), settings.WebIdentity);

        env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
        env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
        Assert.Equal(("ENVKEY", null), (Resolver(env).Resolve().Credentials?.AccessKeyId, Resolver(env).Resolve().WebIdentity));
    }

    [Fact]
    public void Resolve_WebIdentityInTheProfile_AndHalfAPairIsAnError()
    {
        Write(".aws/config", "[profile pods]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/p\nweb_identity_token_file = /t\n\n[profile broken]\nweb_identity_token_file = /t\n");
        var settings = Resolver(new() { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1" }).Resolve(profile: "pods");
        Assert.Equal(new WebIdentitySettings("arn:aws:iam::111122223333:role/p", "/t"), settings.WebIdentity);
        Assert.Equal("eu-west-1", settings.Region);
        Assert.Contains("no role_arn", Assert.Throws<ClientConfigurationException>(() => Resolver([]).WebIdentity("broken")).Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ROLE_ARN is not", Assert.Throws<ClientConfigurationException>(() => Resolver(new() { ["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/t" }).WebIdentity()).Message, StringComparison.Ordinal);
    }
}
