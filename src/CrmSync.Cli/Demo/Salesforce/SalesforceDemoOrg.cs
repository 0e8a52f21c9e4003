namespace CrmSync.Cli.Demo.Salesforce;

/// <summary>
/// The emulator's Salesforce org as the demo drives it through the admin API: the object names it changes and the SOQL
/// it counts with. The one place of the CLI that names Salesforce objects (the demo runs against the emulator's
/// Salesforce org; the sync itself reads them from the provider).
/// </summary>
internal static class SalesforceDemoOrg
{
    /// <summary>The lead object.</summary>
    public const string Lead = "Lead";

    /// <summary>The contact object.</summary>
    public const string Contact = "Contact";

    /// <summary>The SOQL that counts the live records of <paramref name="objectName"/> the sync keeps (converted leads became contacts).</summary>
    public static string CountQuery(string objectName) => objectName switch
    {
        Lead => "SELECT COUNT() FROM Lead WHERE IsConverted = false",
        _ => $"SELECT COUNT() FROM {objectName}",
    };
}
