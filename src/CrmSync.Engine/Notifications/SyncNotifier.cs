using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Notifications;

/// <summary>
/// The e-mail notifications of Start-CrmSync, called where a cycle (or a start that failed before its first cycle) ends:
/// records the mails that became due (<see cref="NotificationPlanner"/>: durably, once per event), then sends every mail not
/// yet accepted by the SMTP server and marks each one sent after the server accepted it. A crash between the server's
/// answer and the mark may send a mail twice; no event is ever lost.
/// <para>A notification problem never fails a sync: nothing here throws. Sending is bounded (the SMTP timeout, a session
/// at most twice that); a failure is recorded on the mail and on the profile (Get-CrmSyncStatus shows it), reported
/// through <c>warn</c>, and the mail is retried after the next cycle.</para>
/// </summary>
public sealed class SyncNotifier
{
    private readonly NotificationSecretStore _secrets;

    /// <summary>A notifier reading SMTP passwords from <paramref name="secrets"/>.</summary>
    public SyncNotifier(NotificationSecretStore secrets) => _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));

    /// <summary>
    /// How the mails spell the actions and parameters that error messages name (<see cref="ShellAction"/> and
    /// <see cref="ShellParameter"/> tokens): the words of the shell that runs the sync. Null leaves the tokens as they are.
    /// </summary>
    public ShellActionRenderer? Words { get; init; }

    /// <summary>Notes the newest run before a start, so that a start failing before any run is told apart from a failed run.</summary>
    public long BeginStart(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        try
        {
            return store.Runs.Latest()?.Id ?? 0;
        }
        catch (CrmSyncException)
        {
            return long.MaxValue; // unreadable now: the planner's run cursor catches up later
        }
    }

    /// <summary>After a cycle: plans and sends. Never throws.</summary>
    /// <param name="report">Receives (isWarning, message): a failure to send is a warning, the rest verbose.</param>
    public Task AfterCycleAsync(CrmSyncStore store, SyncRunResult result, Action<bool, string>? report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(result);
        return RunAsync(store, () => new NotificationPlanner(store, Words).Plan(null, result.StoppedAtApiReserve ? [result.RunId] : null),
            report, cancellationToken);
    }

    /// <summary>
    /// After a start that failed before its first cycle (e.g. the CRM rejected the credentials at sign-in): the failure counts
    /// as a failed cycle, unless a run was recorded for it meanwhile (then the run history already holds it). Never throws.
    /// </summary>
    public Task AfterStartFailureAsync(CrmSyncStore store, long runBefore, CrmSyncException error, Action<bool, string>? report,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(error);
        return RunAsync(store, () =>
        {
            var latest = store.Runs.Latest()?.Id ?? 0;
            var now = store.Time.GetUtcNow();
            CycleOutcome? outcome = latest > runBefore ? null
                : new CycleOutcome("start-" + StoreTime.Format(now), now, RunState.Failed, error.ErrorId, error.Message);
            return new NotificationPlanner(store, Words).Plan(outcome);
        }, report, cancellationToken);
    }

    /// <summary>
    /// Sends every recorded mail not yet accepted by the server, oldest first, and returns how many were sent. Throws
    /// <see cref="CrmSyncException"/> (NotificationSendFailed, NotificationNotConfigured, InsecureTransport) after recording
    /// the failure; mails not sent stay pending.
    /// </summary>
    public async Task<int> SendPendingAsync(CrmSyncStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var table = new NotificationTable(store);
        var settings = table.ReadSettings();
        if (settings is null)
            return 0;
        var pending = table.ListPending();
        if (pending.Count == 0)
            return 0;
        var profile = store.Profile.Read()?.Name ?? ProfileName.Default;
        long? current = null;
        var sent = 0;
        SecretValue? password = null;
        try
        {
            if (settings.SmtpUserName is not null)
                _secrets.TryGet(profile, out password);
            var sender = new SmtpMailSender(settings, password);
            var batch = new List<(OutgoingMail Mail, Action<string>? Sent, Action? Sending)>();
            foreach (var mail in pending)
                batch.Add((new OutgoingMail(mail.Subject, mail.TextBody, mail.HtmlBody),
                    response => { table.MarkSent(mail.Id, response); sent++; },
                    () => { current = mail.Id; table.MarkAttempt(mail.Id); }));
            await sender.SendAsync(batch, cancellationToken).ConfigureAwait(false);
            return sent;
        }
        catch (CrmSyncException e)
        {
            table.RecordFailure(current, e.Message);
            throw;
        }
        finally
        {
            password?.Dispose();
        }
    }

    private async Task RunAsync(CrmSyncStore store, Func<int> plan, Action<bool, string>? report, CancellationToken cancellationToken)
    {
        try
        {
            var recorded = plan();
            if (recorded > 0)
                report?.Invoke(false, string.Create(CultureInfo.InvariantCulture, $"Recorded {recorded} notification mail(s)."));
            var sent = await SendPendingAsync(store, cancellationToken).ConfigureAwait(false);
            if (sent > 0)
                report?.Invoke(false, string.Create(CultureInfo.InvariantCulture, $"Sent {sent} notification mail(s)."));
        }
        catch (CrmSyncException e)
        {
            report?.Invoke(true, $"A notification mail was not sent; it is retried after the next cycle. {e.Message}");
        }
        catch (OperationCanceledException)
        {
            // stopped with the sync; pending mails go out after the next cycle
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            report?.Invoke(true, $"Notifications failed unexpectedly ({e.GetType().Name}: {e.Message}); the sync is not affected.");
        }
    }
}
