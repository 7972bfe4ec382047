using Strongroom.Protocol.Aws.Auth;

namespace Strongroom.Fuzz;

/// <summary>Knows one access key, AKIDEXAMPLE, whose secret is the AWS documentation's example secret.</summary>
public sealed class FixedCredentials : ICredentialSource
{
    private static readonly byte[] Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"u8.ToArray();

    public ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(accessKeyId == "AKIDEXAMPLE" ? new ResolvedCredential("arn:aws:iam::000000000000:user/example", "example", Secret) : null);
}
