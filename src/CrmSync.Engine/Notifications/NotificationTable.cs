using System.Globalization;
using System.Text.Json;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Notifications;

/// <summary>The notification planner's state, kept in the same row as the settings.</summary>
internal sealed record NotificationPlannerState
{
    /// <summary>The last run whose outcome has been evaluated.</summary>
    public long RunCursor { get; init; }
    /// <summary>True once the "initial sync completed" mail was recorded (or was not due: configured after it).</summary>
    public bool InitialSyncNoted { get; init; }
    /// <summary>The start of the current failure-digest period (the previous digest, or when notifications were set up).</summary>
    public DateTimeOffset DigestPeriodStart { get; init; }
    /// <summary>The job-level error of the latest consecutive failed cycles, and how many there were.</summary>
    public string? StreakErrorId { get; init; }
    public int StreakCount { get; init; }
    /// <summary>The trouble notified and not yet recovered from.</summary>
    public SyncTroubleKind? Trouble { get; init; }
    public string? TroubleErrorId { get; init; }
    public DateTimeOffset? TroubleSince { get; init; }
}

/// <summary>A notification recorded in the outbox.</summary>
internal sealed record NotificationMail(long Id, string EventKey, NotificationKind Kind, string Subject, string TextBody, string HtmlBody,
    DateTimeOffset CreatedAt, int Attempts, DateTimeOffset? SentAt);

/// <summary>A notification to record.</summary>
internal sealed record NewNotificationMail(string EventKey, NotificationKind Kind, string Subject, string TextBody, string HtmlBody);

/// <summary>
/// <c>crmsync_notification</c> (settings and planner state, one row) and <c>crmsync_notification_outbox</c> (the mails,
/// written before sending, marked sent afterwards) in a profile's database.
/// </summary>
internal sealed class NotificationTable
{
    private const string SettingsColumns =
        "recipients, smtp_server, smtp_port, tls_mode, smtp_user, sender, events, trouble_threshold, timeout_seconds, trusted_ca_path";

    private const string StateColumns =
        "run_cursor, initial_sync_noted, digest_period_start, streak_error_id, streak_count, trouble_kind, trouble_error_id, trouble_since";

    private readonly CrmSyncStore _store;

    public NotificationTable(CrmSyncStore store) => _store = store ?? throw new ArgumentNullException(nameof(store));

    public CrmSyncStore Store => _store;

    /// <summary>The settings, or null when the profile has none.</summary>
    public NotificationSettings? ReadSettings(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, $"SELECT {SettingsColumns} FROM crmsync_notification WHERE id = 1;");
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return new NotificationSettings
        {
            Recipients = JsonSerializer.Deserialize<string[]>(reader.GetString(0)) ?? [],
            SmtpServer = reader.NullableString(1),
            Port = reader.IsDBNull(2) ? null : reader.GetInt32(2),
            TlsMode = reader.Enum<SmtpTlsMode>(3),
            SmtpUserName = reader.NullableString(4),
            Sender = reader.NullableString(5),
            Events = Enum.Parse<NotificationEvent>(reader.GetString(6)),
            TroubleThreshold = reader.GetInt32(7),
            Timeout = TimeSpan.FromSeconds(reader.GetInt32(8)),
            TrustedCertificatePath = reader.NullableString(9),
        };
    });

    /// <summary>The planner state, or null when the profile has no notification settings.</summary>
    public NotificationPlannerState? ReadState(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, $"SELECT {StateColumns} FROM crmsync_notification WHERE id = 1;");
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return new NotificationPlannerState
        {
            RunCursor = reader.GetInt64(0),
            InitialSyncNoted = reader.Flag(1),
            DigestPeriodStart = reader.Time(2),
            StreakErrorId = reader.NullableString(3),
            StreakCount = reader.GetInt32(4),
            Trouble = reader.IsDBNull(5) ? null : reader.Enum<SyncTroubleKind>(5),
            TroubleErrorId = reader.NullableString(6),
            TroubleSince = reader.NullableTime(7),
        };
    });

    /// <summary>
    /// Saves <paramref name="settings"/>. The first save also starts the planner: runs finished so far are not notified,
    /// the digest period starts now, and the "initial sync completed" mail is due only if <paramref name="initialSyncDone"/>
    /// is false (a profile set up after its initial sync never gets that mail).
    /// </summary>
    public void SaveSettings(NotificationSettings settings, bool initialSyncDone, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (connection, tx) =>
        {
            ArgumentNullException.ThrowIfNull(settings);
            var now = _store.Now();
            using var command = connection.Command(tx, $"""
                INSERT INTO crmsync_notification (id, {SettingsColumns}, run_cursor, initial_sync_noted, digest_period_start, created_at, updated_at)
                VALUES (1, $recipients, $server, $port, $tls, $user, $sender, $events, $threshold, $timeout, $ca,
                        $cursor, $noted, $now, $now, $now)
                ON CONFLICT (id) DO UPDATE SET
                    recipients = excluded.recipients, smtp_server = excluded.smtp_server, smtp_port = excluded.smtp_port,
                    tls_mode = excluded.tls_mode, smtp_user = excluded.smtp_user, sender = excluded.sender, events = excluded.events,
                    trouble_threshold = excluded.trouble_threshold, timeout_seconds = excluded.timeout_seconds,
                    trusted_ca_path = excluded.trusted_ca_path, updated_at = excluded.updated_at;
                """)
                .With("$recipients", JsonSerializer.Serialize(settings.Recipients))
                .With("$server", settings.SmtpServer).With("$port", settings.Port).With("$tls", settings.TlsMode.ToString())
                .With("$user", settings.SmtpUserName).With("$sender", settings.Sender).With("$events", settings.Events.ToString())
                .With("$threshold", settings.TroubleThreshold)
                .With("$timeout", (int)Math.Ceiling(settings.Timeout.TotalSeconds))
                .With("$ca", settings.TrustedCertificatePath).With("$noted", initialSyncDone ? 1 : 0).With("$now", now)
                .With("$cursor", _store.Runs.Latest(tx)?.Id ?? 0);
            command.ExecuteNonQuery();
            return 0;
        });

    /// <summary>Saves the planner state (inside the planner's transaction, with the mails it recorded).</summary>
    public void SaveState(NotificationPlannerState state, SqliteTransaction transaction) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            UPDATE crmsync_notification SET run_cursor = $cursor, initial_sync_noted = $noted, digest_period_start = $digest,
                streak_error_id = $streakError, streak_count = $streak, trouble_kind = $trouble, trouble_error_id = $troubleError,
                trouble_since = $troubleSince
            WHERE id = 1;
            """)
            .With("$cursor", state.RunCursor).With("$noted", state.InitialSyncNoted ? 1 : 0)
            .With("$digest", StoreTime.Format(state.DigestPeriodStart)).With("$streakError", state.StreakErrorId)
            .With("$streak", state.StreakCount).With("$trouble", state.Trouble?.ToString()).With("$troubleError", state.TroubleErrorId)
            .With("$troubleSince", StoreTime.ToDb(state.TroubleSince));
        command.ExecuteNonQuery();
        return 0;
    });

    /// <summary>Records a mail; a second mail with the same event key is ignored (each event is recorded once). True when recorded.</summary>
    public bool Enqueue(NewNotificationMail mail, SqliteTransaction transaction) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            INSERT INTO crmsync_notification_outbox (event_key, kind, subject, text_body, html_body, created_at)
            VALUES ($key, $kind, $subject, $text, $html, $now)
            ON CONFLICT (event_key) DO NOTHING;
            """)
            .With("$key", mail.EventKey).With("$kind", mail.Kind.ToString()).With("$subject", mail.Subject)
            .With("$text", mail.TextBody).With("$html", mail.HtmlBody).With("$now", _store.Now());
        return command.ExecuteNonQuery() == 1;
    });

    /// <summary>The mails not yet accepted by the SMTP server, oldest first.</summary>
    public IReadOnlyList<NotificationMail> ListPending(int max = 100, SqliteTransaction? transaction = null) => List(true, max, transaction);

    /// <summary>Every mail, oldest first (tests and diagnostics).</summary>
    public IReadOnlyList<NotificationMail> ListAll(int max = 1000, SqliteTransaction? transaction = null) => List(false, max, transaction);

    private IReadOnlyList<NotificationMail> List(bool pendingOnly, int max, SqliteTransaction? transaction) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            SELECT id, event_key, kind, subject, text_body, html_body, created_at, attempts, sent_at
            FROM crmsync_notification_outbox WHERE ($pending = 0 OR sent_at IS NULL) ORDER BY id LIMIT $max;
            """).With("$pending", pendingOnly ? 1 : 0).With("$max", max);
        using var reader = command.ExecuteReader();
        var rows = new List<NotificationMail>();
        while (reader.Read())
            rows.Add(new NotificationMail(reader.GetInt64(0), reader.GetString(1), reader.Enum<NotificationKind>(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.Time(6), reader.GetInt32(7), reader.NullableTime(8)));
        return rows;
    });

    /// <summary>Mails recorded and not yet sent.</summary>
    public long CountPending(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, "SELECT count(*) FROM crmsync_notification_outbox WHERE sent_at IS NULL;");
        return (long)command.ExecuteScalar()!;
    });

    /// <summary>Counts an attempt before the mail goes out.</summary>
    public void MarkAttempt(long id) => Exec("UPDATE crmsync_notification_outbox SET attempts = attempts + 1, last_attempt_at = $now WHERE id = $id;",
        ("$id", id));

    /// <summary>The SMTP server accepted the mail.</summary>
    public void MarkSent(long id, string? response) => _store.Write(null, (connection, tx) =>
    {
        var now = _store.Now();
        using (var command = connection.Command(tx,
                   "UPDATE crmsync_notification_outbox SET sent_at = $now, server_response = $response, last_error = NULL WHERE id = $id;")
               .With("$now", now).With("$response", response).With("$id", id))
            command.ExecuteNonQuery();
        using (var command = connection.Command(tx, "UPDATE crmsync_notification SET last_sent_at = $now, last_error = NULL, last_error_at = NULL WHERE id = 1;")
               .With("$now", now))
            command.ExecuteNonQuery();
        return 0;
    });

    /// <summary>Records a failed sending attempt on the mail (when known) and on the profile (what status shows).</summary>
    public void RecordFailure(long? id, string error) => _store.Write(null, (connection, tx) =>
    {
        var now = _store.Now();
        if (id is not null)
        {
            using var row = connection.Command(tx, "UPDATE crmsync_notification_outbox SET last_error = $error WHERE id = $id;")
                .With("$error", error).With("$id", id);
            row.ExecuteNonQuery();
        }
        using var command = connection.Command(tx, "UPDATE crmsync_notification SET last_error = $error, last_error_at = $now WHERE id = 1;")
            .With("$error", error).With("$now", now);
        command.ExecuteNonQuery();
        return 0;
    });

    /// <summary>The state Get-CrmSyncStatus shows; null when notifications are not set up.</summary>
    public NotificationStatus? ReadStatus(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            SELECT recipients, last_sent_at, last_error, last_error_at, trouble_kind,
                   (SELECT count(*) FROM crmsync_notification_outbox WHERE sent_at IS NULL)
            FROM crmsync_notification WHERE id = 1;
            """);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return new NotificationStatus
        {
            Recipients = JsonSerializer.Deserialize<string[]>(reader.GetString(0)) ?? [],
            LastSentAt = reader.NullableTime(1),
            LastError = reader.NullableString(2),
            LastErrorAt = reader.NullableTime(3),
            Trouble = reader.IsDBNull(4) ? null : reader.Enum<SyncTroubleKind>(4),
            Pending = reader.GetInt64(5),
        };
    });

    private void Exec(string sql, params (string Name, object? Value)[] parameters) => _store.Write(null, (connection, tx) =>
    {
        using var command = connection.Command(tx, sql).With("$now", _store.Now());
        foreach (var (name, value) in parameters)
            command.With(name, value);
        command.ExecuteNonQuery();
        return 0;
    });

    /// <summary>Formats a count for mails.</summary>
    internal static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
