using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Sync;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Starts the persistent sync of a CrmSync profile: one cycle, or -Continuous cycles.</para>
/// <para type="description">The FIRST start of a profile asks for confirmation (ConfirmImpact High): it locks the field
/// mappings for good and begins the initial full copy, which may take hours. Later starts never prompt, so scheduled tasks
/// run unattended; -WhatIf or -Confirm given explicitly are still honoured (-WhatIf never runs a sync). Writes one run
/// result per cycle (State, Kind, per object and operation counts, API calls, duration, InitialSyncCompleted). A failed
/// cycle is written and also reported as a non-terminating error with the run's ErrorId ($? is false; -ErrorAction Stop
/// makes it an exception). A second start while another run holds the lock is a terminating SyncLockHeld error.
/// -Continuous cycles every -Interval (default 5 minutes, counted from the end of a cycle) until Ctrl+C or Stop-CrmSync;
/// Ctrl+C stops after the page in flight commits.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(SyncRunResult))]
public sealed class StartCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Keep cycling until Ctrl+C or Stop-CrmSync.</summary>
    [Parameter]
    public SwitchParameter Continuous { get; set; }

    /// <summary>The pause between cycles of -Continuous, from the end of a cycle (at least one second).</summary>
    [Parameter]
    [ValidateMinimumTimeSpan("00:00:01")]
    public TimeSpan Interval { get; set; } = SyncOrchestrator.DefaultInterval;

    /// <summary>How the initial copy reads each object: Auto (bulk API from -BulkThreshold records), Bulk or Paged.</summary>
    [Parameter]
    public CrmFullReadStrategy InitialStrategy { get; set; } = CrmFullReadStrategy.Auto;

    /// <summary>Record count from which the initial copy of an object uses the bulk API (default 50,000).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long BulkThreshold { get; set; } = new SyncOptions().BulkThreshold;

    /// <summary>On the first start: the e-mail addresses that receive the notifications (initial sync completed, failure digest, trouble).</summary>
    /// <remarks>Set the SMTP server with Set-CrmSyncNotification; a later start leaves the recipients alone (with a warning).</remarks>
    /// <example><code>Start-CrmSync -NotifyEmail admin@example.com</code></example>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? NotifyEmail { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Interval)) && !Continuous.IsPresent)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, "-Interval applies to -Continuous only.",
                "Add -Continuous to keep cycling every -Interval, or leave -Interval out to run one cycle.", Interval);
        RunHandler(StartSyncCommand.ForEnvironment(Environment.GetEnvironmentVariable, new StartSyncOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Continuous = Continuous.IsPresent,
            Interval = Interval,
            InitialStrategy = InitialStrategy,
            BulkThreshold = BulkThreshold,
            AskEvenIfNotFirst = ExplicitWhatIfOrConfirm(),
            NotifyEmail = NotifyEmail,
            TriggeredBy = "Start-CrmSync",
        }));
    }

    /// <summary>True when the user asked for -WhatIf (also through $WhatIfPreference) or passed -Confirm.</summary>
    private bool ExplicitWhatIfOrConfirm() =>
        MyInvocation.BoundParameters.ContainsKey("Confirm")
        || (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var whatIf) && LanguagePrimitives.IsTrue(whatIf))
        || LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
}
