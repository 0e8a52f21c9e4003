using System.Text;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>
/// The recorded real responses kept in the repository under tests/fixtures (their sources are in
/// tests/fixtures/SOURCES.md), copied beside the test binaries by the project file.
/// </summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var candidate = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        if (Directory.Exists(Path.Combine(candidate, "salesforce"))) return candidate;
        throw new DirectoryNotFoundException("The recorded responses were not copied to " + candidate + ": rebuild CrmSync.Engine.Tests (they come from tests/fixtures).");
    });

    public static string SalesforceFolder => Path.Combine(Root.Value, "salesforce");

    public static string DynamicsFolder => Path.Combine(Root.Value, "dynamics");

    public static string PathOf(string name) => Path.Combine(SalesforceFolder, name);

    public static string Text(string name) => File.ReadAllText(PathOf(name), Encoding.UTF8);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static IEnumerable<string> AllSalesforce() => Directory.EnumerateFiles(SalesforceFolder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
}
