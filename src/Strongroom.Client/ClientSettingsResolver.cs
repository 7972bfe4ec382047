namespace Strongroom.Client;

/// <summary>
/// Finds credentials, region and endpoint the way the AWS CLI does. Credentials: explicit values, then
/// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then the profile (explicit, else AWS_PROFILE, else
/// "default") in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials) and then in
/// the config file (AWS_CONFIG_FILE, default ~/.aws/config, sections "[profile NAME]" or "[default]"). Region:
/// explicit, AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the config file. Endpoint: explicit, then
/// AWS_ENDPOINT_URL. Web identity (<see cref="WebIdentity"/>) comes after the environment's keys and before the
/// shared files, as in the AWS SDKs' chain. The environment is read through a lookup function so tests need not
/// change the process's.
/// </summary>
public sealed class ClientSettingsResolver
{
    private readonly Func<string, string?> _environment;
    private readonly string _home;

    /// <param name="environment">Environment lookup; null: the process environment.</param>
    /// <param name="homeDirectory">Home directory for ~/.aws; null: the user's profile directory.</param>
    public ClientSettingsResolver(Func<string, string?>? environment = null, string? homeDirectory = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _home = homeDirectory ?? _environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    }

    private string? Env(string name) => _environment(name) is { Length: > 0 } value ? value : null;

    /// <summary>The profile name in use.</summary>
    public string Profile(string? explicitProfile) => explicitProfile is { Length: > 0 } ? explicitProfile : Env("AWS_PROFILE") ?? "default";

    private string CredentialsFile => Env("AWS_SHARED_CREDENTIALS_FILE") ?? Path.Combine(_home, ".aws", "credentials");

    private string ConfigFile => Env("AWS_CONFIG_FILE") ?? Path.Combine(_home, ".aws", "config");

    private Dictionary<string, string>? ConfigSection(string profile)
    {
        var sections = IniFile.Read(ConfigFile);
        if (sections.TryGetValue("profile " + profile, out var section))
        {
            return section;
        }

        return profile == "default" && sections.TryGetValue("default", out var fallback) ? fallback : null;
    }

    /// <summary>Throws <see cref="ClientConfigurationException"/> when no credentials are found.</summary>
    public AwsCredentials Credentials(string? accessKeyId = null, string? secretAccessKey = null, string? sessionToken = null, string? profile = null)
    {
        if (accessKeyId is { Length: > 0 } && secretAccessKey is { Length: > 0 })
        {
            return new AwsCredentials(accessKeyId, secretAccessKey, sessionToken is { Length: > 0 } ? sessionToken : null);
        }

        // An explicit --profile outranks the environment's keys, as in the AWS CLI.
        var profileIsExplicit = profile is { Length: > 0 };
        if (!profileIsExplicit && Env("AWS_ACCESS_KEY_ID") is { } envKey && Env("AWS_SECRET_ACCESS_KEY") is { } envSecret)
        {
            return new AwsCredentials(envKey, envSecret, Env("AWS_SESSION_TOKEN"));
        }

        var name = Profile(profile);
        foreach (var section in new[] { IniFile.Read(CredentialsFile).GetValueOrDefault(name), ConfigSection(name) })
        {
            if (section is not null && section.TryGetValue("aws_access_key_id", out var id) && section.TryGetValue("aws_secret_access_key", out var secret) && id.Length > 0 && secret.Length > 0)
            {
                return new AwsCredentials(id, secret, section.TryGetValue("aws_session_token", out var token) && token.Length > 0 ? token : null);
            }
        }

        throw new ClientConfigurationException($"Unable to locate credentials for profile '{name}'. You can configure credentials by running \"aws configure\", setting AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE.");
    }

    /// <summary>
    /// The web identity role when configured: the profile's role_arn and web_identity_token_file (role_session_name)
    /// in the config file, else — unless a profile was named explicitly — AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE
    /// (AWS_ROLE_SESSION_NAME). Null when neither is set. Only one of the pair set is a configuration error.
    /// </summary>
    public WebIdentitySettings? WebIdentity(string? profile = null)
    {
        if (ConfigSection(Profile(profile)) is { } section && section.TryGetValue("web_identity_token_file", out var file) && file.Length > 0)
        {
            return section.TryGetValue("role_arn", out var arn) && arn.Length > 0
                ? new WebIdentitySettings(arn, file, section.TryGetValue("role_session_name", out var name) && name.Length > 0 ? name : null)
                : throw new ClientConfigurationException($"Profile '{Profile(profile)}' has web_identity_token_file but no role_arn.");
        }

        if (profile is { Length: > 0 })
        {
            return null;
        }

        return (Env("AWS_ROLE_ARN"), Env("AWS_WEB_IDENTITY_TOKEN_FILE")) switch
        {
            ({ } roleArn, { } tokenFile) => new WebIdentitySettings(roleArn, tokenFile, Env("AWS_ROLE_SESSION_NAME")),
            (null, null) => null,
            (null, _) => throw new ClientConfigurationException("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: web identity needs both."),
            _ => throw new ClientConfigurationException("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not: web identity needs both."),
        };
    }

    /// <summary>Throws <see cref="ClientConfigurationException"/> when no region is found.</summary>
    public string Region(string? region = null, string? profile = null)
    {
        if (region is { Length: > 0 })
        {
            return region;
        }

        if ((Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION")) is { } fromEnv)
        {
            return fromEnv;
        }

        if (ConfigSection(Profile(profile)) is { } section && section.TryGetValue("region", out var fromProfile) && fromProfile.Length > 0)
        {
            return fromProfile;
        }

        throw new ClientConfigurationException("You must specify a region. You can also configure your region by running \"aws configure\", or set AWS_REGION or AWS_DEFAULT_REGION.");
    }

    /// <summary>Throws <see cref="ClientConfigurationException"/> when no endpoint is given or it is not an absolute http(s) URL.</summary>
    public Uri Endpoint(string? endpointUrl = null)
    {
        var text = endpointUrl is { Length: > 0 } ? endpointUrl : Env("AWS_ENDPOINT_URL");
        if (text is null)
        {
            throw new ClientConfigurationException("No endpoint: give --endpoint-url (e.g. http://127.0.0.1:4566) or set AWS_ENDPOINT_URL to the Strongroom server's address.");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ClientConfigurationException($"Invalid endpoint: {text} (expected an absolute http:// or https:// URL).");
        }

        return uri;
    }

    /// <summary>All three at once; credentials in the SDKs' order: environment keys, web identity, the shared files.</summary>
    public ClientSettings Resolve(string? endpointUrl = null, string? region = null, string? profile = null)
    {
        var endpoint = Endpoint(endpointUrl);
        var inRegion = Region(region, profile);
        var environmentKeys = profile is not { Length: > 0 } && Env("AWS_ACCESS_KEY_ID") is not null && Env("AWS_SECRET_ACCESS_KEY") is not null;
        return !environmentKeys && WebIdentity(profile) is { } role
            ? new ClientSettings(endpoint, inRegion, null, role)
            : new ClientSettings(endpoint, inRegion, Credentials(profile: profile));
    }
}
