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
