using System.Reflection;
using System.Xml.Linq;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The dependency rules of DESIGN §3 and docs/architecture.md, checked twice: in what each project declares
/// (its .csproj) and in what its compiled assembly actually references. Plus the size rule of #17: no source file
/// over 500 lines unless docs/architecture.md names it and says why.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly string[] Drivers = ["Microsoft.Data.Sqlite", "SQLitePCLRaw", "Npgsql", "MySqlConnector", "StackExchange.Redis"];

    public static TheoryData<string, string[]> Rules() => new()
    {
        // project, the prefixes it must not reference
        { "Strongroom.Crypto", ["Strongroom.", "Microsoft.AspNetCore", .. Drivers] },
        { "Strongroom.Core", ["Strongroom.Protocol", "Strongroom.Server", "Strongroom.Storage", "Strongroom.Rotation", "Strongroom.Client", "Microsoft.AspNetCore", .. Drivers] },
        { "Strongroom.Protocol.Aws", ["Strongroom.Server", "Strongroom.Storage", "Strongroom.Rotation", "Microsoft.AspNetCore", .. Drivers] },
        { "Strongroom.Storage.Relational", ["Strongroom.Protocol", "Strongroom.Server", "Strongroom.Storage.Sqlite", "Strongroom.Storage.PostgreSql", "Microsoft.AspNetCore", .. Drivers] },
        { "Strongroom.Storage.Sqlite", ["Strongroom.Protocol", "Strongroom.Server", "Strongroom.Storage.PostgreSql", "Microsoft.AspNetCore", "Npgsql", "MySqlConnector"] },
        { "Strongroom.Storage.PostgreSql", ["Strongroom.Protocol", "Strongroom.Server", "Strongroom.Storage.Sqlite", "Microsoft.AspNetCore", "Microsoft.Data.Sqlite", "MySqlConnector"] },
        { "Strongroom.Rotation", ["Strongroom.Protocol", "Strongroom.Server", "Strongroom.Storage", "Microsoft.AspNetCore"] },
        { "Strongroom.Client", ["Strongroom.", "Microsoft.AspNetCore", .. Drivers] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Assembly_References_NothingItMustNot(string project, string[] forbidden)
    {
        var assembly = Assembly.Load(project);
        var offending = assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal)))
            .ToList();
        Assert.True(offending.Count == 0, $"{project} references {string.Join(", ", offending)}");
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Project_Declares_NothingItMustNot(string project, string[] forbidden)
    {
        var csproj = XDocument.Load(Path.Combine(RepoRoot, "src", project, project + ".csproj"));
        var declared = csproj.Descendants()
            .Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference" or "FrameworkReference" or "Compile")
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            .Select(include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/')))
            .ToList();
        // Compile Include of another project's files (how PostgreSql once borrowed Sqlite's sources) counts too.
        var linked = csproj.Descendants().Where(e => e.Name.LocalName == "Compile")
            .Select(e => (string?)e.Attribute("Include") ?? string.Empty)
            .Where(include => include.Replace('\\', '/').Contains("../", StringComparison.Ordinal))
            .ToList();
        var offending = declared.Where(name => forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal))).ToList();
        Assert.True(offending.Count == 0, $"{project}.csproj declares {string.Join(", ", offending)}");
        Assert.True(linked.Count == 0, $"{project}.csproj compiles files of another project: {string.Join(", ", linked)}");
    }

    [Fact]
    public void Check_SeesReferences_ThatExist()
    {
        // The host is allowed ASP.NET and the drivers; seeing them proves the checks above read real references.
        var server = Assembly.Load("Strongroom.Server").GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains(server, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains("Strongroom.Storage.PostgreSql", server);
    }

    [Fact]
    public void Rules_CoverEveryProjectBelowTheHost()
    {
        var hosts = new[] { "Strongroom", "Strongroom.Server", "Strongroom.Console" };
        var projects = Directory.GetDirectories(Path.Combine(RepoRoot, "src")).Select(Path.GetFileName).OfType<string>()
            .Where(p => !hosts.Contains(p)).Order(StringComparer.Ordinal).ToList();
        var ruled = Rules().Select(row => (string)row[0]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(projects, ruled);
    }

    [Fact]
    public void SourceFiles_Over500Lines_AreNamedInArchitectureDoc()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot, "docs", "architecture.md"));
        var src = Path.Combine(RepoRoot, "src");
        var unexplained = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadLines(f).Count() > 500)
            .Select(f => Path.GetRelativePath(RepoRoot, f).Replace('\\', '/'))
            .Where(f => !doc.Contains($"`{f}`", StringComparison.Ordinal))
            .ToList();
        Assert.True(unexplained.Count == 0, "over 500 lines and not named in docs/architecture.md: " + string.Join(", ", unexplained));
    }

    internal static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strongroom.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("the repository root (Strongroom.slnx) is not above " + AppContext.BaseDirectory);
        }
    }
}
