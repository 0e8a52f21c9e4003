using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Checks that a CrmSync profile's connection can sync: Marketo's "Validate Sync" as a command, one row per check.</summary>
/// <remarks>
/// <para>Runs the checks a sync depends on, in order, and writes one CrmConnectionCheck per check with its Result (Passed,
/// Warning, Failed or Skipped), what was found (Detail) and what to do about it (WhatToDo):</para>
/// <para>URL reachable: one request without credentials tells an unreachable host, a host that is not the CRM (for Dynamics
/// 365: not a Dataverse org) and plain http apart. Login: signs in with the profile's saved credentials (or this session's,
/// after Connect-CrmSync -Scope Process), checks that the org is still the profile's own, and warns when the user signed in is
/// not the one the profile was connected as. Read access: the sync user can
/// read each synced object (Salesforce: Lead, Contact, Campaign, CampaignMember, Account, User, Opportunity,
/// OpportunityContactRole, Task, Event; Dynamics 365: lead, contact, account, opportunity, systemuser, list, listmember).
/// Change tracking: Salesforce objects are replicateable; Dynamics 365 entities have change tracking enabled. Sync filter
/// field (Dynamics 365): the filter field (new_synctomkto unless the profile or -SyncFilterField names another) is a Two
/// Options field where present on lead, contact, account and opportunity. CrmSync key: the field creates are upserted on
/// (Salesforce: the CrmSync key External ID text field on Lead and Contact, named in the row's Detail; Dynamics 365: an Active alternate key on new_crmsynckey
/// on lead and contact), so that a retry after a crash never creates a second record. API limits: the headroom the CRM
/// reports (Salesforce: the daily API allowance its limit header reports; Dynamics 365: the x-ms-ratelimit-* headers).</para>
/// <para>When the URL or the login fails, the later checks are written as Skipped. A failed check is a row, not an error:
/// filter the rows with Where-Object Result -eq Failed. Nothing is changed in the CRM or in the profile. An unknown profile
/// is a terminating error with ErrorId ProfileNotFound.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Connect-CrmSync or Get-CrmSyncStatus.</input>
/// <output cref="CrmConnectionCheck">One per check: Profile, Crm, Check, Target, Result, Detail and WhatToDo.</output>
/// <example>
/// <title>Validate a new connection</title>
/// <code>
/// PS&gt; Test-CrmSyncConnection -Profile d365
/// </code>
/// <para>Shows a table of the checks of the 'd365' profile: each with Passed, Warning, Failed or Skipped and what to do.</para>
/// </example>
/// <example>
/// <title>Only what needs doing</title>
/// <code>
/// PS&gt; Test-CrmSyncConnection -Profile d365 | Where-Object Result -in 'Failed', 'Warning' | Format-List Check, Target, Detail, WhatToDo
/// </code>
/// <para>Lists the failed and warning checks with their full text.</para>
/// </example>
/// <example>
/// <title>Check another sync filter field, and stop a script when a check fails</title>
/// <code>
/// PS&gt; $failed = Test-CrmSyncConnection -Profile d365 -SyncFilterField new_synctocrmsync | Where-Object Result -eq 'Failed'
/// PS&gt; if ($failed) { throw "CrmSync d365 cannot sync: $($failed.Check -join ', ')" }
/// </code>
/// <para>Checks new_synctocrmsync instead of new_synctomkto as the sync filter field, and throws when any check failed.</para>
/// </example>
/// <seealso cref="ConnectCrmSyncCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
[Cmdlet(VerbsDiagnostic.Test, "CrmSyncConnection", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmConnectionCheck))]
public sealed class TestCrmSyncConnectionCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>
    /// Dynamics 365: the logical name of the sync filter field to check (a Two Options field), instead of the one the profile
    /// was connected with. Ignored for Salesforce, which has no sync filter field.
    /// </summary>
    /// <default>the profile's filter field, else new_synctomkto</default>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SyncFilterField { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.TestConnection(new TestConnectionOptions
        {
            Profile = Profile, DatabasePath = ResolvedDatabasePath, SyncFilterField = SyncFilterField,
        }));
}
