namespace Strongroom.Core.Secrets;

/// <summary>AWS region names: ^([a-z]+-)+\d+$.</summary>
public static class RegionName
{
    public static bool IsValid(string region) => Validate.IsRegion(region);
}
