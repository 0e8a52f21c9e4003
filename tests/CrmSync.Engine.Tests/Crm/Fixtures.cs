using System.Text;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>The recorded real responses in shared/protocol/fixtures, found by walking up from the test binaries.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "protocol", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("No folder containing shared/protocol/fixtures above " + AppContext.BaseDirectory);
    });

    public static string SalesforceFolder => Path.Combine(Root.Value, "salesforce");

    public static string PathOf(string name) => Path.Combine(SalesforceFolder, name);

    public static string Text(string name) => File.ReadAllText(PathOf(name), Encoding.UTF8);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static IEnumerable<string> AllSalesforce() => Directory.EnumerateFiles(SalesforceFolder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
}
