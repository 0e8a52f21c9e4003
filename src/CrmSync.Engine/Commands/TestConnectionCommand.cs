using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Test-CrmSyncConnection / <c>crmsync test-connection</c>.</summary>
public sealed record TestConnectionOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = ProfileName.Default;

    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }

    /// <summary>The sync filter field to check instead of the profile's (or the CRM's default, new_synctomkto on Dynamics 365).</summary>
    public string? SyncFilterField { get; init; }
}

/// <summary>
/// Test-CrmSyncConnection and <c>crmsync test-connection</c>: Marketo's "Validate Sync" as a command. Writes one
/// <see cref="CrmConnectionCheck"/> per check, as it completes: URL reachable (no credentials sent), Login (the saved or
/// this process's credentials, the org still the profile's own; a Warning when the user signed in is not the one the
/// profile was connected as), then the CRM's own checks through
/// <see cref="ICrmProvider.ConnectionValidator"/> (read access and change tracking per synced object, the sync filter field,
/// the CrmSync key, API limits headroom). A check that cannot run because an earlier one failed is written as Skipped.
/// Changes nothing in the CRM or in the profile (the login records a moved instance URL and the API usage, as every
/// command does). A failed check is a row, not an error: <see cref="Failed"/> counts them (the CLI's exit code).
/// Errors (thrown): ProfileNotFound, InvalidProfileName, DatabasePathInvalid and the store's errors.
/// </summary>
public sealed class TestConnectionCommand : ICommandHandler
{
    private readonly ProfileConnector _connector;
    private readonly CrmClientOptions _clientOptions;
    private readonly List<CrmConnectionCheck> _checks = [];

    /// <param name="connector">Where the profile and its credentials are.</param>
    /// <param name="options">Which profile, and the filter field to check.</param>
    /// <param name="clientOptions">How the CRM client behaves; null: the defaults.</param>
    public TestConnectionCommand(ProfileConnector connector, TestConnectionOptions options, CrmClientOptions? clientOptions = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _clientOptions = clientOptions ?? new CrmClientOptions();
    }

    /// <summary>The options.</summary>
    public TestConnectionOptions Options { get; }

    /// <summary>The rows of the last run, in order.</summary>
    public IReadOnlyList<CrmConnectionCheck> Checks => _checks;

    /// <summary>How many checks of the last run failed.</summary>
    public int Failed => _checks.Count(c => c.Result == ConnectionCheckResult.Failed);

    /// <inheritdoc />
    public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        _checks.Clear();

        using var store = _connector.Profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        var provider = CrmProviders.For(profile.Crm);
        var validator = provider.ConnectionValidator;
        var options = ProfileConnector.Override(_clientOptions, new HostClientEvents(host, _clientOptions.Events), _clientOptions.ApiUsage);
        host.WriteVerbose($"Checking the {CrmProviders.Describe(profile.Crm)} connection of profile '{profile.Name}' ({store.DatabasePath}) as {profile.UserName}.");

        void Write(CrmConnectionCheck check)
        {
            var row = check with { Profile = profile.Name, Crm = profile.Crm };
            _checks.Add(row);
            host.WriteObject(row);
        }

        var saved = ProfileConnectorSettings.Read(profile.SettingsJson);
        var endpoint = await validator.CheckEndpointAsync(provider.SavedEndpoints(profile.LoginUrl, saved.AuthorityUrl), options, cancellationToken)
            .ConfigureAwait(false);
        Write(endpoint);
        if (endpoint.Result == ConnectionCheckResult.Failed)
        {
            SkipRest(Write, CrmConnectionCheck.Names.Login, "the URL check failed");
            return;
        }

        ICrmClient client;
        try
        {
            client = await _connector.OpenClientAsync(store, options, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmSyncException error) when (error.ErrorId is not ErrorIds.DatabaseLocked)
        {
            Write(new CrmConnectionCheck
            {
                Check = CrmConnectionCheck.Names.Login, Target = profile.UserName, Result = ConnectionCheckResult.Failed,
                Detail = $"{error.Message} ({error.ErrorId})", WhatToDo = error.RecommendedAction,
            });
            SkipRest(Write, CrmConnectionCheck.Names.ReadAccess, "the login failed");
            return;
        }

        using (client)
        {
            var identity = client.Session.Identity;
            var detail = $"Signed in as {identity?.UserName ?? profile.UserName} (user {identity?.UserId}) to org {identity?.OrganizationId} at " +
                         $"{identity?.InstanceUrl.GetLeftPart(UriPartial.Authority)}, API version {identity?.ApiVersion}; the org is the profile's own.";
            // Marketo's "the sync user matches the credentials": the user signed in now is the one the profile was connected as.
            var sameUser = saved.UserId is null || identity is null || string.Equals(saved.UserId, identity.UserId, StringComparison.OrdinalIgnoreCase);
            Write(new CrmConnectionCheck
            {
                Check = CrmConnectionCheck.Names.Login, Target = profile.UserName,
                Result = sameUser ? ConnectionCheckResult.Passed : ConnectionCheckResult.Warning,
                Detail = sameUser ? detail : detail + $" But the profile was connected as user {saved.UserId}: the saved credentials now sign in as another user.",
                WhatToDo = sameUser ? "" : $"If the sync should run as user {saved.UserId}, run {ShellAction.Connect.Profile(profile.Name)} with that user's credentials.",
            });
            var filter = Options.SyncFilterField ?? profile.SyncFilterField;
            var synced = store.FieldCatalog.List().Where(e => !e.IsOrphaned).Select(e => e.ObjectName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            await foreach (var check in validator.CheckAsync(client, new ConnectionCheckOptions(filter, filter is not null) { SyncedObjects = synced }, cancellationToken)
                               .ConfigureAwait(false))
                Write(check);
        }

        var failed = Failed;
        var warnings = _checks.Count(c => c.Result == ConnectionCheckResult.Warning);
        host.WriteVerbose(failed == 0
            ? $"All checks of profile '{profile.Name}' passed ({warnings} warning(s))."
            : $"{failed} check(s) of profile '{profile.Name}' failed; see WhatToDo on each.");
    }

    private static readonly string[] Order =
    [
        CrmConnectionCheck.Names.UrlReachable, CrmConnectionCheck.Names.Login, CrmConnectionCheck.Names.ReadAccess,
        CrmConnectionCheck.Names.ChangeTracking, CrmConnectionCheck.Names.SyncFilterField, CrmConnectionCheck.Names.CrmSyncKey,
        CrmConnectionCheck.Names.ApiLimits,
    ];

    private static void SkipRest(Action<CrmConnectionCheck> write, string from, string why)
    {
        foreach (var name in Order.SkipWhile(n => n != from))
            write(new CrmConnectionCheck { Check = name, Result = ConnectionCheckResult.Skipped, Detail = $"Not checked: {why}." });
    }
}
