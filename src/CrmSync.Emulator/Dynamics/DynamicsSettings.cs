namespace CrmSync.Emulator.Dynamics;

/// <summary>Tunables of the emulated Dataverse org (command line <c>--dv-*</c>, admin API <c>PUT /_emulator/dynamics/settings</c>).</summary>
public sealed class DynamicsSettings
{
    /// <summary>Access token lifetime (Entra default: 60-90 minutes; the emulator uses 60).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(60);
    /// <summary>Organization.ExpireChangeTrackingInDays (0-365; default 7): older delta tokens are refused.</summary>
    public int ExpireChangeTrackingInDays { get; set; } = 7;
    /// <summary>Service protection: requests per user per window (Dataverse: 6000 per 300 s).</summary>
    public int RequestLimit { get; set; } = 6000;
    /// <summary>Service protection: combined execution time per user per window, ms (Dataverse: 1,200,000).</summary>
    public long ExecutionTimeLimitMs { get; set; } = 1_200_000;
    /// <summary>Service protection: concurrent requests per user (Dataverse: 52).</summary>
    public int ConcurrencyLimit { get; set; } = 52;
    /// <summary>Service protection sliding window (Dataverse: 300 s).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(300);
    /// <summary>Execution time charged per request on top of the measured time (to exercise the time limit), ms.</summary>
    public double SimulatedExecutionMs { get; set; }
    /// <summary>Conditional access requires MFA for the users: ROPC then fails with AADSTS50076 (Marketo: "MFA must be disabled").</summary>
    public bool MfaRequired { get; set; }
    /// <summary>Enforce ApplicationRequired columns (e.g. contact/lead lastname) on create, as the CrmSync brief asks.</summary>
    public bool EnforceApplicationRequired { get; set; } = true;
    /// <summary>
    /// Tables whose rows the sync user and the Application User cannot read (their security role lacks prvRead): every Web API
    /// read of such a table answers 403 with Dataverse's missing-privilege error (0x80040220). Metadata stays readable, as in
    /// Dataverse. The second user (the CRM admin) is not affected.
    /// </summary>
    public HashSet<string> ReadDeniedTables { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
