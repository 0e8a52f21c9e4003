namespace CrmSync.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("crmsync " + CrmSync.Engine.EngineInfo.Version);
        return args.Length == 0 ? 2 : 0;
    }
}
