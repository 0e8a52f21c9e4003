using System.Globalization;
using System.Net;
using System.Text;

namespace CrmSync.Engine.Notifications;

/// <summary>
/// The text of every notification mail, plain text and HTML. CRM-neutral (the CRM's name comes from the profile), and
/// never carrying a secret or record data beyond object names and ids: the CRM's own error message is the only free text.
/// </summary>
internal static class NotificationMessages
{
    /// <summary>The profile a mail is about.</summary>
    public sealed record Context(string Profile, string Crm, string DatabasePath);

    /// <summary>The subject line prefix: every mail's subject starts with it.</summary>
    public static string Prefix(string profile) => $"[CrmSync {profile}]";

    public static NewNotificationMail InitialSyncCompleted(Context context, InitialSyncSummary summary)
    {
        var subject = $"{Prefix(context.Profile)} Initial sync completed";
        var lines = new List<string>
        {
            $"The initial sync of profile '{context.Profile}' from {context.Crm} has completed: every synced object has been copied.",
            "From now on each cycle moves only what changed.",
            "",
            $"Started:   {Time(summary.StartedAt)}",
            $"Completed: {Time(summary.EndedAt)}",
            $"Duration:  {Duration(summary.Duration)} ({summary.Runs} cycle(s))",
            $"Database:  {context.DatabasePath}",
            "",
            "Records copied per object:",
        };
        foreach (var o in summary.Objects)
            lines.Add($"  {o.ObjectName,-24} {NotificationTable.N(o.New + o.Updated),12}" + (o.Failed > 0 ? $"  ({NotificationTable.N(o.Failed)} failed)" : ""));
        lines.Add($"  {"Total",-24} {NotificationTable.N(summary.Objects.Sum(o => o.New + o.Updated)),12}");

        var html = new StringBuilder();
        html.Append(Paragraph($"The initial sync of profile '{context.Profile}' from {context.Crm} has completed: every synced object has been copied. From now on each cycle moves only what changed."));
        html.Append(Table(["", ""], [
            ["Started", Time(summary.StartedAt)], ["Completed", Time(summary.EndedAt)],
            ["Duration", $"{Duration(summary.Duration)} ({summary.Runs} cycle(s))"], ["Database", context.DatabasePath],
        ], header: false));
        html.Append(Table(["Object", "Records copied", "Failed"],
            summary.Objects.Select(o => new[] { o.ObjectName, NotificationTable.N(o.New + o.Updated), NotificationTable.N(o.Failed) })
                .Append(["Total", NotificationTable.N(summary.Objects.Sum(o => o.New + o.Updated)), NotificationTable.N(summary.Objects.Sum(o => o.Failed))])
                .ToList()));
        return Mail("initial-sync", NotificationKind.InitialSyncCompleted, subject, lines, html.ToString(), context);
    }

    public static NewNotificationMail FailureDigest(Context context, FailedRecordDigest digest, string eventKey)
    {
        var subject = $"{Prefix(context.Profile)} {NotificationTable.N(digest.Total)} record(s) failed to sync";
        var lines = new List<string>
        {
            $"{NotificationTable.N(digest.Total)} record(s) of profile '{context.Profile}' failed to sync with {context.Crm} between {Time(digest.From)} and {Time(digest.To)}.",
            digest.Total > digest.Records.Count
                ? $"The first {digest.Records.Count} are listed; Get-CrmSyncError (or 'crmsync error') shows them all."
                : "Get-CrmSyncError (or 'crmsync error') shows them with every detail.",
            "",
        };
        foreach (var r in digest.Records)
            lines.Add($"- {r.ObjectName ?? "?"} {RecordIds(r)}: {r.ErrorId}{(r.CrmErrorCode is null ? "" : " " + r.CrmErrorCode)}: {r.Message}"
                      + (r.Times > 1 ? $" ({r.Times} times)" : ""));
        if (digest.Total > digest.Records.Count)
            lines.Add($"... and {NotificationTable.N(digest.Total - digest.Records.Count)} more.");

        var html = new StringBuilder();
        html.Append(Paragraph(lines[0])).Append(Paragraph(lines[1]));
        html.Append(Table(["Object", "Local key", "CRM id", "Error", "CRM message", "Times"],
            digest.Records.Select(r => new[]
            {
                r.ObjectName ?? "", r.LocalKey ?? "", r.CrmId ?? "", r.ErrorId + (r.CrmErrorCode is null ? "" : " " + r.CrmErrorCode), r.Message,
                r.Times.ToString(CultureInfo.InvariantCulture),
            }).ToList()));
        if (digest.Total > digest.Records.Count)
            html.Append(Paragraph($"... and {NotificationTable.N(digest.Total - digest.Records.Count)} more."));
        return Mail(eventKey, NotificationKind.FailureDigest, subject, lines, html.ToString(), context);
    }

    public static NewNotificationMail Trouble(Context context, SyncTroubleKind kind, string errorId, CycleOutcome outcome, int consecutive, string eventKey)
    {
        var (what, action) = kind switch
        {
            SyncTroubleKind.CredentialsRejected => ($"{context.Crm} rejected the sync user's credentials",
                "Check the sync user (password expired or changed, security token reset, user frozen), then run Connect-CrmSync again (or 'crmsync connect')."),
            SyncTroubleKind.ApiLimitReached => ($"the {context.Crm} API allowance or service-protection limit was reached",
                "The sync continues when the allowance recovers; raise the CRM's API limits or lengthen the interval if it keeps happening."),
            _ => (string.Create(CultureInfo.InvariantCulture, $"the same error stopped {consecutive} consecutive sync cycles"),
                "See Get-CrmSyncStatus and Get-CrmSyncError ('crmsync status', 'crmsync error'), fix the cause, then run Start-CrmSync ('crmsync start') again."),
        };
        var subject = $"{Prefix(context.Profile)} Sync in trouble: {what}";
        var lines = new List<string>
        {
            $"The sync of profile '{context.Profile}' is in trouble: {what}.",
            "",
            $"When:    {Time(outcome.At)}",
            $"Error:   {errorId}",
            $"Message: {outcome.Message ?? "(none)"}",
            "",
            $"What to do: {action}",
            "You will get another mail when the sync has recovered.",
        };
        var html = Paragraph(lines[0]) + Table(["", ""], [["When", Time(outcome.At)], ["Error", errorId], ["Message", outcome.Message ?? "(none)"]], header: false)
                   + Paragraph("What to do: " + action) + Paragraph(lines[^1]);
        return Mail(eventKey, NotificationKind.SyncTrouble, subject, lines, html, context);
    }

    public static NewNotificationMail Recovered(Context context, SyncTroubleKind trouble, DateTimeOffset? since, CycleOutcome outcome, string eventKey)
    {
        var subject = $"{Prefix(context.Profile)} Sync recovered";
        var lines = new List<string>
        {
            $"The sync of profile '{context.Profile}' with {context.Crm} has recovered: a cycle succeeded again.",
            "",
            $"Trouble:   {Trouble(trouble)}",
            $"Since:     {(since is { } s ? Time(s) : "unknown")}",
            $"Recovered: {Time(outcome.At)}",
        };
        var html = Paragraph(lines[0]) + Table(["", ""], [
            ["Trouble", Trouble(trouble)], ["Since", since is { } t ? Time(t) : "unknown"], ["Recovered", Time(outcome.At)],
        ], header: false);
        return Mail(eventKey, NotificationKind.SyncRecovered, subject, lines, html, context);
    }

    /// <summary>The body of Set-CrmSyncNotification -Test.</summary>
    public static (string Subject, string Text, string Html) Test(Context context, DateTimeOffset at)
    {
        var subject = $"{Prefix(context.Profile)} Test message";
        var text = $"This is a test message from CrmSync for profile '{context.Profile}' ({context.Crm}), sent {Time(at)}.\n" +
                   "Notification mails for this profile will arrive like this one.\n" + Footer(context);
        var html = Document(Paragraph($"This is a test message from CrmSync for profile '{context.Profile}' ({context.Crm}), sent {Time(at)}.")
                            + Paragraph("Notification mails for this profile will arrive like this one."), context);
        return (subject, text, html);
    }

    private static string Trouble(SyncTroubleKind kind) => kind switch
    {
        SyncTroubleKind.CredentialsRejected => "credentials rejected",
        SyncTroubleKind.ApiLimitReached => "API allowance or service-protection limit reached",
        _ => "the same error in consecutive cycles",
    };

    private static string RecordIds(FailedRecord r) =>
        (r.CrmId, r.LocalKey) switch
        {
            ({ } crm, { } local) => $"{crm} (local {local})",
            ({ } crm, null) => crm,
            (null, { } local) => $"(local {local})",
            _ => "(no id)",
        };

    private static NewNotificationMail Mail(string key, NotificationKind kind, string subject, IEnumerable<string> lines, string htmlBody, Context context) =>
        new(key, kind, subject, string.Join("\n", lines) + "\n" + Footer(context), Document(htmlBody, context));

    private static string Footer(Context context) =>
        $"\n--\nSent by CrmSync for profile '{context.Profile}' ({context.DatabasePath}). Set-CrmSyncNotification (or 'crmsync notification') changes what is sent and to whom.\n";

    private static string Document(string body, Context context) =>
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif\">" + body +
        $"<hr><p style=\"color:#666;font-size:smaller\">{E($"Sent by CrmSync for profile '{context.Profile}' ({context.DatabasePath}). Set-CrmSyncNotification (or 'crmsync notification') changes what is sent and to whom.")}</p></body></html>";

    private static string Paragraph(string text) => $"<p>{E(text)}</p>";

    private static string Table(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows, bool header = true)
    {
        var html = new StringBuilder("<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">");
        if (header)
            html.Append("<tr>").AppendJoin("", headers.Select(h => $"<th>{E(h)}</th>")).Append("</tr>");
        foreach (var row in rows)
            html.Append("<tr>").AppendJoin("", row.Select((cell, i) => !header && i == 0 ? $"<th align=\"left\">{E(cell)}</th>" : $"<td>{E(cell)}</td>")).Append("</tr>");
        return html.Append("</table>").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan value) =>
        value.TotalDays >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalDays} d {value.Hours} h {value.Minutes} min")
        : value.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalHours} h {value.Minutes} min")
        : value.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalMinutes} min {value.Seconds} s")
        : string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.#} s");
}
