using Strongroom.Fuzz;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Every committed fuzz input — the seed corpus and each crash a fuzzer (or issue #16) found, kept under
/// fuzz/regressions/TARGET/ — runs through its target on every test run: none may raise an exception its parser does
/// not document. fuzz/run.sh does the coverage-guided part.
/// </summary>
public sealed class FuzzRegressionTests
{
    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strongroom.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Strongroom.slnx) is not above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in new[] { "corpus", "regressions" })
        {
            foreach (var target in FuzzTargets.Names)
            {
                var folder = Path.Combine(Root(), "fuzz", kind, target);
                foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder).Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
                {
                    data.Add(target, Path.GetRelativePath(Root(), file));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void FuzzInput_RunsThroughItsTarget_WithoutAnUndocumentedException(string target, string file)
    {
        FuzzTargets.Run(target, File.ReadAllBytes(Path.Combine(Root(), file)));
    }
}
