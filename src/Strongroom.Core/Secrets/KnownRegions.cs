namespace Strongroom.Core.Secrets;

/// <summary>
/// The regions this deployment knows, the only ones a secret may be replicated to: AWS's public regions
/// (the aws partition), the server's own region, and any region an operator adds (the server setting
/// <c>extra-regions</c>). Every region is still served for ordinary calls (the SigV4 scope picks it); this
/// list only decides where replicas may go, so a mistyped region is refused instead of reported InSync.
/// Immutable and thread-safe.
/// </summary>
public sealed class KnownRegions
{
    /// <summary>AWS's public commercial regions (botocore's aws partition), as of this release.</summary>
    public static readonly IReadOnlyList<string> AwsPublicRegions =
    [
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
        "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1",
        "us-east-2", "us-west-1", "us-west-2",
    ];

    private readonly HashSet<string> _regions;

    /// <param name="serverRegion">The server's default region (always known), or null.</param>
    /// <param name="extra">Regions the operator added; each must look like a region name (^([a-z]+-)+\d+$).</param>
    public KnownRegions(string? serverRegion = null, IEnumerable<string>? extra = null)
    {
        _regions = new HashSet<string>(AwsPublicRegions, StringComparer.Ordinal);
        if (serverRegion is not null)
        {
            _regions.Add(serverRegion);
        }

        foreach (var region in extra ?? [])
        {
            if (!Validate.IsRegion(region))
            {
                throw new ArgumentException($"'{region}' is not a region name (for example eu-west-1)", nameof(extra));
            }

            _regions.Add(region);
        }
    }

    /// <summary>AWS's public regions only.</summary>
    public static KnownRegions Default { get; } = new();

    public bool Contains(string region) => _regions.Contains(region);

    /// <summary>Every known region, sorted.</summary>
    public IReadOnlyList<string> All => _regions.Order(StringComparer.Ordinal).ToList();
}
