using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Strongroom.Bench.Micro;

/// <summary>Runs the BenchmarkDotNet classes in this process and copies their numbers into the report.</summary>
internal static class MicroSuite
{
    private static readonly Type[] Benchmarks = [typeof(SigV4Benchmarks), typeof(EnvelopeBenchmarks), typeof(JsonBenchmarks), typeof(InProcessReadBenchmarks), typeof(AccessDecisionBenchmarks), typeof(AuditBenchmarks)];

    public static void Run(BenchOptions options, Report report)
    {
        // In-process: no per-benchmark project generation and build, which on two cores costs minutes.
        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
        if (options.MicroJob == "short")
        {
            job = job.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10);
        }

        var artifacts = Path.Combine(options.OutputDirectory, options.Name + ".micro");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default)
            .WithArtifactsPath(artifacts);
        if (options.MicroFilter is { } filter)
        {
            config = config.AddFilter(new NameFilter(name => name.Contains(filter, StringComparison.OrdinalIgnoreCase)));
        }

        foreach (var summary in BenchmarkRunner.Run(Benchmarks, config))
        {
            foreach (var result in summary.Reports)
            {
                var descriptor = result.BenchmarkCase.Descriptor;
                var name = $"{descriptor.Type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal)}.{descriptor.WorkloadMethod.Name}";
                var stats = result.ResultStatistics;
                if (stats is null)
                {
                    report.Notes.Add($"micro {name}: no result (see the BenchmarkDotNet log in {artifacts})");
                    continue;
                }

                report.Micro.Add(new MicroRow(name, stats.Mean, stats.StandardDeviation, result.GcStats.GetBytesAllocatedPerOperation(result.BenchmarkCase)));
            }
        }

        report.MicroReportDirectory = Path.Combine(artifacts, "results");
    }
}
