namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// Every parameter-set name used by a CrmSync cmdlet. Attributes refer to these constants only;
/// a test over the built DLL checks that no other name appears.
/// </summary>
public static class ParameterSetNames
{
    /// <summary>The set of a cmdlet that works on a saved connection profile (by name, or by database path).</summary>
    public const string ByProfile = "ByProfile";
}
