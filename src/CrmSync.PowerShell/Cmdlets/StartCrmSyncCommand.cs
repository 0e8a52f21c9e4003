using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Sync;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Starts the persistent sync of a CrmSync profile: one sync cycle, or cycles until stopped with -Continuous.</summary>
/// <remarks>
/// <para>A cycle pulls the changes from the CRM into the database, then pushes the local changes of leads, contacts,
/// campaigns and campaign members to the CRM; every other object flows from the CRM only. Start-CrmSync writes one run
/// result per cycle: State (Succeeded, Failed, Cancelled), Kind (Initial, Incremental), per object and operation counts,
/// API calls, duration and InitialSyncCompleted. Progress shows the object, phase, rate and time left.</para>
/// <para>The FIRST start of a profile asks for confirmation (ConfirmImpact High): it locks the field mappings for good and
/// begins the initial full copy, which may take hours. Declining, or -WhatIf, changes nothing. In a script, confirm that
/// first start with -Confirm:$false. Later starts never prompt, so scheduled tasks run unattended; an explicit -WhatIf or
/// -Confirm is still honoured, and -WhatIf never runs a sync. Start-CrmSync also enables a sync that Stop-CrmSync
/// disabled.</para>
/// <para>A failed cycle is written (State Failed) and also reported as a non-terminating error with the run's ErrorId, so
/// $? is $false, pwsh -Command exits with 1, and -ErrorAction Stop turns it into an exception; the next cycle resumes from
/// the last checkpoint. Errors that prevent the run are terminating: only one run per profile at a time, and a start
/// while another run holds the sync lock is a SyncLockHeld error that names the holder's host, process and since when; a
/// profile whose fields were never synced fails with FieldsNotSynced, one without saved credentials with
/// CredentialsNotSaved.</para>
/// <para>-Continuous cycles until Ctrl+C or Stop-CrmSync, pausing -Interval after the end of each cycle, and writes each
/// cycle's result as it completes. Ctrl+C stops after the page in flight commits; everything committed is kept and the next
/// start resumes there.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="SyncRunResult">One result per cycle: Profile, DatabasePath, RunId, State, Kind, Counts, ApiCalls,
/// StartedAt, Duration, Warnings, Error, StoppedAtApiReserve, InitialCopiesCompleted and InitialSyncCompleted. Pipe it into
/// Get-CrmSyncError or Get-CrmSyncConflict to see that run's errors or collisions.</output>
/// <example>
/// <title>Preview, then confirm the first start</title>
/// <code>
/// PS&gt; Start-CrmSync -Profile prod -WhatIf
/// PS&gt; Start-CrmSync -Profile prod
/// </code>
/// <para>-WhatIf says that the first start would lock the field mappings and begin the initial full copy, and does
/// nothing. The second command asks once for confirmation and then runs the first cycle, the initial copy.</para>
/// </example>
/// <example>
/// <title>Run every 15 minutes as a Windows scheduled task</title>
/// <code>
/// PS&gt; $action = New-ScheduledTaskAction -Execute 'pwsh.exe' -Argument '-NoProfile -Command "Import-Module CrmSync; Start-CrmSync -Profile prod"'
/// PS&gt; $trigger = New-ScheduledTaskTrigger -Once -At (Get-Date) -RepetitionInterval (New-TimeSpan -Minutes 15)
/// PS&gt; Register-ScheduledTask -TaskName 'CrmSync prod' -Action $action -Trigger $trigger
/// </code>
/// <para>Connect the profile once with Connect-CrmSync -Scope CurrentUser as the account that runs the task, and confirm
/// the first Start-CrmSync interactively; later starts never prompt. pwsh exits with 1 when the cycle failed, so the task
/// history shows failed runs. On Linux or macOS, a crontab line does the same:</para>
/// <code>*/15 * * * * pwsh -NoProfile -Command "Start-CrmSync -Profile prod"</code>
/// </example>
/// <example>
/// <title>Keep syncing every two minutes until Ctrl+C</title>
/// <code>
/// PS&gt; Start-CrmSync -Profile prod -Continuous -Interval 00:02:00
/// </code>
/// <para>Writes each cycle's result as it completes. Ctrl+C (or Stop-CrmSync from another session) ends it; work already
/// committed is kept.</para>
/// </example>
/// <example>
/// <title>Act on the result in a script</title>
/// <code>
/// PS&gt; $run = Start-CrmSync -Profile prod -ErrorAction Stop
/// PS&gt; if ($run.InitialSyncCompleted) { Write-Host 'CrmSync prod: the initial sync is complete' }
/// PS&gt; $run | Get-CrmSyncError -Level Record
/// </code>
/// <para>-ErrorAction Stop turns a failed cycle into an exception; otherwise the result tells when the initial sync
/// completed (Set-CrmSyncNotification mails it too), and piping it into Get-CrmSyncError lists the records that
/// run could not sync.</para>
/// </example>
/// <parameter name="WhatIf">Shows what the start would do without running a sync. For the first start: that the field
/// mappings would be locked and the initial full copy begun. Nothing is run, locked or copied.</parameter>
/// <parameter name="Confirm">Asks for confirmation before syncing, also on a later start (which otherwise never prompts).
/// -Confirm:$false confirms a first start without a prompt, for scripts.</parameter>
/// <seealso cref="StopCrmSyncCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
/// <seealso cref="GetCrmSyncErrorCommand"/>
/// <seealso cref="GetCrmSyncConflictCommand"/>
[Cmdlet(VerbsLifecycle.Start, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(SyncRunResult))]
public sealed class StartCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Keeps cycling until Ctrl+C or Stop-CrmSync (from this or another session or process), pausing -Interval after each cycle. Without it, Start-CrmSync runs one cycle.</summary>
    [Parameter]
    public SwitchParameter Continuous { get; set; }

    /// <summary>The pause between two cycles of -Continuous, counted from the end of a cycle: at least one second (00:00:01), at most one day (a longer one is refused with ErrorId InvalidArgument). Only valid together with -Continuous (otherwise ErrorId InvalidArgument).</summary>
    /// <default>00:05:00 (5 minutes)</default>
    [Parameter]
    [ValidateMinimumTimeSpan("00:00:01")]
    public TimeSpan Interval { get; set; } = SyncOrchestrator.DefaultInterval;

    /// <summary>How the initial full copy reads each object: Auto (the Salesforce Bulk API 2.0 from -BulkThreshold records on, paged queries below), Bulk or Paged. Paged also keeps incremental cycles off the bulk API; Dynamics 365 has no bulk API and always reads by pages.</summary>
    /// <default>Auto</default>
    [Parameter]
    public CrmFullReadStrategy InitialStrategy { get; set; } = CrmFullReadStrategy.Auto;

    /// <summary>With -InitialStrategy Auto: the record count from which the initial copy of an object uses the bulk API. An incremental cycle switches to the bulk API from 10,000 changes of an object, or from this count when it is lower.</summary>
    /// <default>50000</default>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long BulkThreshold { get; set; } = new SyncOptions().BulkThreshold;

    /// <summary>Retries at once the local changes that wait for a retry after a transient failure such as UNABLE_TO_LOCK_ROW (they back off 1 minute, doubling up to an hour); Get-CrmSyncStatus shows them as RetryWaiting and NextRetryAt.</summary>
    [Parameter]
    public SwitchParameter RetryNow { get; set; }
    /// <summary>On the first start: the e-mail addresses that receive the notifications (initial sync completed, failure digest, trouble).</summary>
    /// <remarks>Set the SMTP server with Set-CrmSyncNotification; a later start leaves the recipients alone (with a warning).</remarks>
    /// <example><code>Start-CrmSync -NotifyEmail admin@example.com</code></example>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? NotifyEmail { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        RunHandler(Handlers.Start(new StartSyncOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Continuous = Continuous.IsPresent,
            Interval = MyInvocation.BoundParameters.ContainsKey(nameof(Interval)) ? Interval : null,
            InitialStrategy = InitialStrategy,
            BulkThreshold = BulkThreshold,
            RetryNow = RetryNow.IsPresent,
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
