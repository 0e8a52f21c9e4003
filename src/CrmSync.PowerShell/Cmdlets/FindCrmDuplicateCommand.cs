using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Reports;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Finds persons in a CrmSync profile's database that look like duplicates.</summary>
/// <remarks>
/// <para>A read-only report over the local person table (leads, contacts and persons created locally), one group per
/// shared key: the same e-mail address (compared case-insensitively), or the same first name, last name and company (a
/// Contact's company is its Account's name). Choose the rule with -Rule and the kind of person with -Object. Persons
/// deleted in the CRM or merged into another person are left out unless -IncludeDeleted is given.</para>
/// <para>CrmSync never merges persons itself: merge them in the CRM, and the next Start-CrmSync mirrors the merge (the
/// losing records are marked merged into the winner). Reads only; nothing is changed and the CRM is not contacted.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="CrmDuplicateGroup">One group per shared key: Profile, Rule (Email or NameAndCompany), Key, Count and
/// Members (each with RowId, CrmType, CrmId, Email, FirstName, LastName, Company, CrmModifiedAt, IsDeletedInCrm and
/// MergedInto).</output>
/// <example>
/// <title>Persons that share an e-mail address</title>
/// <code>
/// PS&gt; Find-CrmDuplicate -Profile prod -Rule Email
/// </code>
/// <para>Lists every e-mail address that more than one lead or contact of the 'prod' profile has.</para>
/// </example>
/// <example>
/// <title>The members of the largest groups, for review in the CRM</title>
/// <code>
/// PS&gt; Find-CrmDuplicate -Profile prod -Object Contact |
///        Sort-Object Count -Descending | Select-Object -First 10 |
///        ForEach-Object { $_.Members } | Format-Table CrmId, Email, FirstName, LastName, Company
/// </code>
/// <para>A pipeline: the ten largest groups of duplicate contacts, one row per member, with the CRM ids to merge in
/// Salesforce.</para>
/// </example>
/// <seealso cref="StartCrmSyncCommand"/>
/// <seealso cref="GetCrmSyncConflictCommand"/>
[Cmdlet(VerbsCommon.Find, "CrmDuplicate", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmDuplicateGroup))]
public sealed class FindCrmDuplicateCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Which rule groups the persons: Email (the same e-mail address), NameAndCompany (the same first name, last name and company) or All (both rules, each group once per rule).</summary>
    /// <default>All</default>
    [Parameter]
    public CrmDuplicateRuleSelection Rule { get; set; } = CrmDuplicateRuleSelection.All;

    /// <summary>Also compares persons deleted in the CRM or already merged into another person (left out by default).</summary>
    [Parameter]
    public SwitchParameter IncludeDeleted { get; set; }

    /// <summary>Which persons to compare: person (leads, contacts and local persons together), Lead or Contact.</summary>
    /// <default>person</default>
    [Parameter]
    [ValidateSet("person", PersonKind.Lead, PersonKind.Contact)]
    public string? Object { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.FindDuplicates(new FindDuplicateOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Rule = Rule,
            IncludeDeleted = IncludeDeleted.IsPresent,
            Object = Object,
        }));
}
