using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Connections;

/// <summary>A profile belongs to one CRM org for life: the check made on every connect and every sign-in of a saved profile.</summary>
internal static class ProfileOrganizationGuard
{
    /// <summary>
    /// Refuses a profile of another CRM kind or org. Org ids compare by the CRM's own rules (<see cref="ICrmProvider.SameOrganizationId"/>).
    /// A profile without a recorded org (made by other means) is accepted.
    /// </summary>
    public static void Ensure(ProfileInfo existing, CrmKind kind, CrmIdentity identity, ProfileLocation location, bool connecting)
    {
        var action = connecting
            ? $"Connect this org under a new profile ({ShellAction.Connect.Profile("<new name>")}), or sign in to the org that profile '{location.ProfileName}' belongs to."
            : $"Run {ShellAction.Connect.Profile(location.ProfileName)} with the credentials of the org the profile belongs to.";
        if (existing.Crm != kind)
            throw new CrmSyncException(ErrorIds.ProfileOrganizationMismatch, ErrorKind.InvalidOperation,
                $"Profile '{location.ProfileName}' belongs to {existing.Crm} ({existing.InstanceUrl ?? existing.LoginUrl}); it cannot be connected to {kind}: " +
                "its local fields and data came from that CRM.", action, location.ProfileName);
        var recorded = ProfileConnectorSettings.Read(existing.SettingsJson).OrganizationId;
        if (string.IsNullOrEmpty(recorded) || string.IsNullOrEmpty(identity.OrganizationId) || CrmProviders.For(kind).SameOrganizationId(recorded, identity.OrganizationId))
            return;
        throw new CrmSyncException(ErrorIds.ProfileOrganizationMismatch, ErrorKind.InvalidOperation,
            $"Profile '{location.ProfileName}' belongs to the {existing.Crm} org {recorded} ({existing.InstanceUrl ?? existing.LoginUrl}), but these credentials " +
            $"signed in to the org {identity.OrganizationId} ({identity.InstanceUrl.GetLeftPart(UriPartial.Authority)}); the profile's local fields and data " +
            "came from its own org, so it cannot be switched." + (connecting ? " Nothing was saved." : ""), action, location.ProfileName);
    }
}
