using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Finds persons in a CrmSync profile's database that look like duplicates.</para>
/// <para type="description">A read-only report, one group per shared key: the same e-mail address, or the same first name,
/// last name and company (a Contact's company is its Account's name). CrmSync never merges persons; merge them in the CRM
/// and the next sync mirrors the merge.</para>
/// </summary>
[Cmdlet(VerbsCommon.Find, "CrmDuplicate", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmDuplicateGroup))]
public sealed class FindCrmDuplicateCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Email, NameAndCompany or All (both rules).</summary>
    [Parameter]
    public CrmDuplicateRuleSelection Rule { get; set; } = CrmDuplicateRuleSelection.All;

    /// <summary>Also compare persons deleted in the CRM or merged into another person.</summary>
    [Parameter]
    public SwitchParameter IncludeDeleted { get; set; }

    /// <summary>person (default: leads, contacts and local persons together), Lead or Contact.</summary>
    [Parameter]
    [ValidateSet("person", "Lead", "Contact")]
    public string? Object { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(FindDuplicateCommand.ForEnvironment(Environment.GetEnvironmentVariable, new FindDuplicateOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Rule = Rule,
            IncludeDeleted = IncludeDeleted.IsPresent,
            Object = Object,
        }));
}
