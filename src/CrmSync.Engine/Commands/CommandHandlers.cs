using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Shell;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Commands;

/// <summary>
/// The one composition root of the command handlers: every PowerShell cmdlet and every <c>crmsync</c> verb gets its handler
/// here, built over the data folder named by the environment (CRMSYNC_HOME, else the per-user default) with the profile's
/// saved credentials, this process's connection or the secrets in the environment. The shells only turn their arguments
/// into the handler's options, call one method here, run the handler on their host and render what comes back; what is
/// wired behind a handler (profile store, connector, notifier, the CRM client and its disposal) is decided here once.
/// <para>A new command: its options and handler in <c>Engine/Commands</c> (the handler validates every combination of its
/// options itself, so both shells and xunit share the checks), one method here, then one cmdlet that calls it through
/// <c>CrmSyncCmdlet.Handlers</c> and one verb that calls it through <c>ProfileVerbOptions.Handler</c>.</para>
/// Building is cheap and reads nothing; a data folder that cannot be located fails when a method is called.
/// </summary>
public sealed class CommandHandlers
{
    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly ShellActionRenderer? _words;

    /// <summary>The handlers of the environment read through <paramref name="getEnvironmentVariable"/> (tests pass their own).</summary>
    /// <param name="words">The calling shell's renderer, for text that leaves the shell's host: the notification mails.</param>
    public CommandHandlers(Func<string, string?> getEnvironmentVariable, ShellActionRenderer? words = null)
    {
        _getEnvironmentVariable = getEnvironmentVariable ?? throw new ArgumentNullException(nameof(getEnvironmentVariable));
        _words = words;
    }

    /// <summary>Connect-CrmSync / <c>crmsync connect</c>.</summary>
    public ConnectCommand Connect(ConnectionRequest request) => new(Connector(), request);

    /// <summary>Disconnect-CrmSync / <c>crmsync disconnect</c>.</summary>
    public DisconnectCommand Disconnect(string profile, string? databasePath = null) => new(Connector(), profile, databasePath);

    /// <summary>
    /// Sync-CrmField / <c>crmsync sync-field</c>: signs in with the profile's saved connection when the plan needs the CRM
    /// and disposes the client when the handler ends.
    /// </summary>
    public ICommandHandler SyncFields(SyncFieldsOptions options) => new SyncFieldsWithClient(Connector(), options);

    /// <summary>Get-CrmField / <c>crmsync field</c>.</summary>
    public GetFieldCommand GetFields(GetFieldOptions options) => new(Profiles(), options);

    /// <summary>Get-CrmFieldMapping / <c>crmsync mapping</c> (the listing).</summary>
    public GetFieldMappingCommand GetFieldMappings(GetFieldMappingOptions options) => new(Profiles(), options);

    /// <summary>Export-CrmFieldMapping / <c>crmsync mapping --export</c>.</summary>
    public ExportFieldMappingCommand ExportFieldMappings(ExportFieldMappingOptions options) => new(Profiles(), options);

    /// <summary>Set-CrmFieldMapping / <c>crmsync mapping --set</c> and <c>--import</c>.</summary>
    public SetFieldMappingCommand SetFieldMapping(SetFieldMappingOptions options) => new(Profiles(), options);

    /// <summary>Get-CrmSyncStatus / <c>crmsync status</c>.</summary>
    public GetStatusCommand Status(string profile, string? databasePath = null) => new(new SyncStatusReader(Profiles()), profile, databasePath);

    /// <summary>Start-CrmSync / <c>crmsync start</c>: with the profile's client and the e-mail notifications.</summary>
    public StartSyncCommand Start(StartSyncOptions options)
    {
        var connector = Connector();
        return new StartSyncCommand(connector.Profiles, options, connector.OpenClientAsync,
            new SyncNotifier(NotificationSecretStore.ForCurrentPlatform(Paths())) { Words = _words });
    }

    /// <summary>Stop-CrmSync / <c>crmsync stop</c>.</summary>
    public StopSyncCommand Stop(StopSyncOptions options) => new(Profiles(), options);

    /// <summary>Get-CrmSyncNotification / <c>crmsync notification</c>.</summary>
    public GetNotificationCommand GetNotification(GetNotificationOptions options) =>
        new(Profiles(), NotificationSecretStore.ForCurrentPlatform(Paths()), options);

    /// <summary>Set-CrmSyncNotification / <c>crmsync notification</c> with a change or <c>--test</c>.</summary>
    public SetNotificationCommand SetNotification(SetNotificationOptions options) =>
        new(Profiles(), NotificationSecretStore.ForCurrentPlatform(Paths()), options);

    /// <summary>Get-CrmSyncError / <c>crmsync error</c>.</summary>
    public GetSyncErrorCommand GetErrors(GetSyncErrorOptions options) => new(Profiles(), options);

    /// <summary>Get-CrmSyncConflict / <c>crmsync conflict</c>.</summary>
    public GetSyncConflictCommand GetConflicts(GetSyncConflictOptions options) => new(Profiles(), options);

    /// <summary>Find-CrmDuplicate / <c>crmsync duplicate</c>.</summary>
    public FindDuplicateCommand FindDuplicates(FindDuplicateOptions options) => new(Profiles(), options);

    /// <summary>Test-CrmSyncConnection / <c>crmsync test-connection</c>: the profile's connection checks, one row each.</summary>
    public TestConnectionCommand TestConnection(TestConnectionOptions options) => new(Connector(), options);

    private CrmSyncPaths Paths() => CrmSyncPaths.FromEnvironment(_getEnvironmentVariable);

    private ProfileStore Profiles() => new(new ProfileLocator(Paths()));

    private ProfileConnector Connector() => ProfileConnector.ForEnvironment(_getEnvironmentVariable);

    /// <summary>Sync-CrmField with a schema reader opened from the saved profile and disposed when the handler ends.</summary>
    private sealed class SyncFieldsWithClient(ProfileConnector connector, SyncFieldsOptions options) : ICommandHandler
    {
        public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
        {
            using var lease = new SchemaReaderLease(connector, options.DatabasePath);
            await new SyncFieldsCommand(connector.Profiles, options, lease.OpenAsync).ExecuteAsync(host, cancellationToken).ConfigureAwait(false);
        }
    }
}
