using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The shipped `strongroom` holds no test switch: no fault-injection variable in any of its assemblies, no way to
/// install the fault hook from outside Strongroom.Server, and the test host that does install it is not part of it.
/// The files checked are the build outputs the process tests run (copied beside this assembly from src/).
/// </summary>
public sealed class ShippedBinaryTests
{
    private static readonly string[] Switches = ["STRONGROOM_FAULT_INJECT", "FAULT_INJECT", "--fault-at"];

    /// <summary>strongroom.dll and every project assembly its deps.json names: what a deployment runs.</summary>
    private static List<string> ShippedAssemblies()
    {
        using var deps = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "strongroom.deps.json")));
        var projects = deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(library => library.Value.GetProperty("type").GetString() == "project")
            .Select(library => library.Name.Split('/')[0] + ".dll")
            .ToList();
        Assert.Contains("strongroom.dll", projects);
        Assert.Contains("Strongroom.Server.dll", projects);
        return projects;
    }

    [Fact]
    public void ShippedAssemblies_HoldNoFaultInjectionSwitch()
    {
        var assemblies = ShippedAssemblies();
        Assert.DoesNotContain("Strongroom.FaultHost.dll", assemblies);
        foreach (var name in assemblies)
        {
            var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, name));
            foreach (var text in Switches)
            {
                // Metadata names are UTF-8; string literals in IL are UTF-16.
                foreach (var encoded in new[] { Encoding.UTF8.GetBytes(text), Encoding.Unicode.GetBytes(text) })
                {
                    Assert.True(bytes.AsSpan().IndexOf(encoded) < 0, $"{name} contains the test switch \"{text}\"");
                }
            }
        }
    }

    [Fact]
    public void Executable_HasNoFaultMember_AndTheLibraryHookIsReachableOnlyByTheTestHost()
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var executable = typeof(Program).Assembly;
        var members = executable.GetTypes().SelectMany(t => t.GetMembers(All).Select(m => t.FullName + "." + m.Name).Append(t.FullName!));
        Assert.DoesNotContain(members, m => m.Contains("Fault", StringComparison.Ordinal));

        var server = typeof(Strongroom.Server.ServerOptions).Assembly;
        var hooks = server.GetTypes().Where(t => t.Name.Contains("Fault", StringComparison.Ordinal)).ToList();
        var hook = Assert.Single(hooks);
        Assert.False(hook.IsPublic || hook.IsNestedPublic, $"{hook.FullName} must not be public");
        Assert.All(hook.GetMembers(All), m => Assert.False(m is MethodBase { IsPublic: true } or PropertyInfo { SetMethod.IsPublic: true }, $"{m.Name} is public"));
        Assert.DoesNotContain(server.GetExportedTypes(), t => t.GetMembers(All).Any(m => m.Name.Contains("Fault", StringComparison.Ordinal)));

        // Only the benchmark suite and the test host see Strongroom.Server's internals.
        var friends = server.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).Order(StringComparer.Ordinal);
        Assert.Equal(["Strongroom.Bench", "Strongroom.FaultHost"], friends);
    }
}
