using Xunit;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;

namespace Strongroom.Client.Tests;

/// <summary>Just enough of the IAM Query API (form POST, XML answer) to make users, keys and inline policies for the tests.</summary>
internal static class IamQuery
{
    public static async Task<XDocument> CallAsync(HttpClient http, Uri endpoint, IReadOnlyDictionary<string, string> parameters)
    {
        var form = string.Join('&', parameters.Append(new("Version", "2010-05-08")).Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var body = Encoding.UTF8.GetBytes(form);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/"));
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        SigV4Signer.Sign(request, body, "iam", "us-east-1", new AwsCredentials("test", "test"), DateTimeOffset.UtcNow);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return XDocument.Parse(text);
    }

    /// <summary>A new IAM user with an access key (optionally an inline policy).</summary>
    public static async Task<AwsCredentials> UserAsync(HttpClient http, Uri endpoint, string userName, string? policy = null)
    {
        await CallAsync(http, endpoint, new Dictionary<string, string> { ["Action"] = "CreateUser", ["UserName"] = userName });
        if (policy is not null)
        {
            await CallAsync(http, endpoint, new Dictionary<string, string> { ["Action"] = "PutUserPolicy", ["UserName"] = userName, ["PolicyName"] = "p", ["PolicyDocument"] = policy });
        }

        var key = await CallAsync(http, endpoint, new Dictionary<string, string> { ["Action"] = "CreateAccessKey", ["UserName"] = userName });
        string Value(string name) => key.Descendants().First(e => e.Name.LocalName == name).Value;
        return new AwsCredentials(Value("AccessKeyId"), Value("SecretAccessKey"));
    }
}
