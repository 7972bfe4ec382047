using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Strongroom.Server;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The Shamir sharing Strongroom uses (libgfshare through P/Invoke) against libgfshare's own command-line tools, gfsplit
/// and gfcombine: shares made by gfsplit combine here, shares made here combine with gfcombine.
/// </summary>
public sealed class GfShareTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-gfshare-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static async Task RunAsync(string tool, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool}: {output}");
    }

    [Fact]
    public async Task SharesFromGfsplit_CombineHere()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var input = Path.Combine(_dir, "secret");
        await File.WriteAllBytesAsync(input, secret);
        await RunAsync("gfsplit", "-n", "3", "-m", "5", input, Path.Combine(_dir, "part"));
        var files = Directory.GetFiles(_dir, "part.*").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(5, files.Count);
        Dictionary<int, byte[]> Shares(IEnumerable<string> chosen) => chosen.ToDictionary(f => int.Parse(Path.GetExtension(f)[1..], CultureInfo.InvariantCulture), File.ReadAllBytes);

        Assert.Equal(secret, GfShare.Combine(Shares(files.Take(3))));
        Assert.Equal(secret, GfShare.Combine(Shares(files.Skip(2))));
        Assert.Equal(secret, GfShare.Combine(Shares([files[0], files[2], files[4]])));
        // Two shares of a 3-of-5 split say nothing about the secret.
        Assert.NotEqual(secret, GfShare.Combine(Shares(files.Take(2))));
    }

    [Fact]
    public async Task SharesMadeHere_CombineWithGfcombine()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var shares = GfShare.Split(secret, 5, 3);
        Assert.Equal(5, shares.Length);
        Assert.All(shares, s => Assert.NotEqual(secret, s));
        for (var i = 0; i < shares.Length; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(_dir, $"mine.{i + 1:000}"), shares[i]);
        }

        var output = Path.Combine(_dir, "combined");
        await RunAsync("gfcombine", "-o", output, Path.Combine(_dir, "mine.002"), Path.Combine(_dir, "mine.004"), Path.Combine(_dir, "mine.005"));
        Assert.Equal(secret, await File.ReadAllBytesAsync(output));

        // Two splits of one secret differ (the polynomials are random), and each still combines.
        var again = GfShare.Split(secret, 5, 3);
        Assert.NotEqual(shares[0], again[0]);
        Assert.Equal(secret, GfShare.Combine(new Dictionary<int, byte[]> { [1] = again[0], [3] = again[2], [5] = again[4] }));
    }
}
