using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Crm.Salesforce;

namespace CrmSync.Engine.Crm;

/// <summary>The one place that lists the CRMs this build knows: a new CRM is added here, with its provider.</summary>
public static class CrmProviders
{
    /// <summary>Salesforce.</summary>
    public static ICrmProvider Salesforce { get; } = new SalesforceProvider();

    /// <summary>Microsoft Dynamics 365 (Dataverse).</summary>
    public static ICrmProvider Dynamics { get; } = new DynamicsProvider();

    /// <summary>
    /// Refuses a profile whose CRM the field selection and the sync do not handle yet (Dynamics 365 in this version):
    /// <see cref="ErrorIds.CrmNotSupported"/>, saying what does work. Called first by the field sync and the sync.
    /// </summary>
    public static void EnsureSyncAvailable(CrmKind kind, string profile)
    {
        var provider = For(kind);
        if (!provider.SyncAvailable)
            throw new CrmSyncException(ErrorIds.CrmNotSupported, ErrorKind.InvalidOperation,
                $"Profile '{profile}' is a {Describe(kind)} profile, and the {Describe(kind)} sync is not available in this version of CrmSync yet: " +
                $"{Shell.ShellAction.Connect}, {Shell.ShellAction.TestConnection}, {Shell.ShellAction.Status} and {Shell.ShellAction.Disconnect} work, " +
                "the field selection and the sync do not. Nothing was sent or changed.",
                $"Use {Shell.ShellAction.TestConnection.Profile(profile)} to check the connection now; sync this profile with a CrmSync version that syncs {Describe(kind)}.",
                profile);
    }

    /// <summary>The CRM's name as users know it.</summary>
    public static string Describe(CrmKind kind) => kind == CrmKind.Dynamics ? "Dynamics 365" : kind.ToString();

    /// <summary>The provider of <paramref name="kind"/>.</summary>
    public static ICrmProvider For(CrmKind kind) => kind switch
    {
        CrmKind.Salesforce => Salesforce,
        CrmKind.Dynamics => Dynamics,
        _ => throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            $"This build of CrmSync cannot connect to {kind} yet; only Salesforce and Dynamics 365 are available.",
            "Connect to Salesforce, or use a CrmSync version that supports " + kind + ".", kind),
    };
}
