using BenchmarkDotNet.Running;
using CrmSync.Benchmarks.Infrastructure;
using CrmSync.Benchmarks.Micro;
using CrmSync.Benchmarks.Scenarios;

BenchmarkArguments arguments;
try
{
    arguments = BenchmarkArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("crmsync benchmarks: " + e.Message);
    Console.Error.WriteLine(BenchmarkArguments.Usage);
    return 2;
}

if (arguments.Scenario == "micro")
{
    BenchmarkSwitcher.FromTypes([typeof(RecordApplierBenchmarks), typeof(BulkCsvParseBenchmarks), typeof(CsvParserBenchmarks)]).Run(arguments.Rest.ToArray());
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await new SyncScenarios(arguments).RunAsync(cancel.Token);
