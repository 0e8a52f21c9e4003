using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Notifications;

/// <summary>
/// A fresh profile "p" on a fake clock, its secret store, a notifier and a helper to record runs and errors the way a cycle
/// records them, so that notification tests drive the planner and the real SMTP sending without a CRM.
/// </summary>
internal sealed class NotificationBed : IDisposable
{
    public NotificationBed()
    {
        Folder = new TempDataFolder("crmsync-notify-");
        Clock = new FakeTimeProvider();
        Folder.CreateFreshProfile("p");
        Profiles = new ProfileStore(new ProfileLocator(Folder.Paths), Clock);
        Store = Profiles.Open("p");
        Secrets = NotificationSecretStore.ForCurrentPlatform(Folder.Paths);
        Notifier = new SyncNotifier(Secrets);
    }

    public TempDataFolder Folder { get; }
    public FakeTimeProvider Clock { get; }
    public ProfileStore Profiles { get; }
    public CrmSyncStore Store { get; }
    public NotificationSecretStore Secrets { get; }
    public SyncNotifier Notifier { get; }
    public List<(bool Warning, string Message)> Reports { get; } = [];

    /// <summary>Settings that reach <paramref name="server"/> over plain loopback SMTP.</summary>
    public static NotificationSettings PlainTo(LocalSmtpServer server, params string[] recipients) => new()
    {
        Recipients = recipients.Length == 0 ? ["admin@example.com"] : recipients,
        SmtpServer = server.Host,
        Port = server.Port,
        TlsMode = SmtpTlsMode.None,
        Sender = "crmsync@example.com",
        Timeout = TimeSpan.FromSeconds(5),
    };

    public void Configure(NotificationSettings settings) => NotificationSetup.Save(Store, settings);

    /// <summary>Records a finished run (as the orchestrator does) and returns its result.</summary>
    public SyncRunResult Run(RunState state, string? errorId = null, string? message = null, RunKind kind = RunKind.Incremental)
    {
        var id = Store.Runs.Start(kind, "test");
        Clock.Advance(TimeSpan.FromSeconds(30));
        Store.Runs.Finish(id, state, errorId, message);
        return new SyncRunResult
        {
            RunId = id, State = state, Kind = kind, Counts = [], ApiCalls = 0, StartedAt = Clock.GetUtcNow(), Duration = TimeSpan.FromSeconds(30),
            Warnings = [], InitialCopiesCompleted = [],
        };
    }

    /// <summary>A record the CRM rejected in the latest run.</summary>
    public void RejectedRecord(string objectName, string crmId, string message, long? runId = null) =>
        Store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, message, runId ?? Store.Runs.Latest()?.Id,
            objectName, "17", crmId, "PushUpdates", "FIELD_CUSTOM_VALIDATION_EXCEPTION"));

    /// <summary>The notification hook of Start-CrmSync after <paramref name="result"/>.</summary>
    public Task AfterCycleAsync(SyncRunResult result) =>
        Notifier.AfterCycleAsync(Store, result, (warning, message) => Reports.Add((warning, message)), CancellationToken.None);

    public NotificationStatus Status => NotificationSetup.ReadStatus(Store)!;

    public IReadOnlyList<NotificationMail> Outbox => new NotificationTable(Store).ListAll();

    public void Dispose()
    {
        Store.Dispose();
        Folder.Dispose();
    }
}
