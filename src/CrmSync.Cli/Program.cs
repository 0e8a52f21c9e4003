namespace CrmSync.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C asks the command to stop cleanly (checkpoints are kept); a second one kills the process.
            if (interrupted.IsCancellationRequested)
                return;
            e.Cancel = true;
            interrupted.Cancel();
        };
        var console = new CliConsole(Console.Out, Console.Error, Console.In, Environment.GetEnvironmentVariable);
        return CliApplication.Run(args, console, interrupted.Token);
    }
}
