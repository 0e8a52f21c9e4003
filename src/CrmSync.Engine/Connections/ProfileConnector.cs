using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Connects profiles to their CRM and opens CRM clients from them:
/// <list type="bullet">
/// <item><see cref="ConnectAsync"/> (Connect-CrmSync) logs in for real first and stores nothing unless the login works; then it
/// creates or updates the profile and keeps the credentials for the current user (encrypted, <see cref="ISecretStore"/>) or for
/// this process only (<see cref="CrmConnectionRegistry"/>).</item>
/// <item><see cref="Forget"/> (Disconnect-CrmSync) forgets the credentials and keeps the database and every local row.</item>
/// <item><see cref="OpenClientAsync(string, string?, CrmClientOptions, CancellationToken)"/> (Sync-CrmField, Start-CrmSync,
/// scheduled tasks) builds a signed-in client from the profile row plus the process connection or the saved secrets.</item>
/// </list>
/// A profile belongs to one CRM org for life: its fields and data came from that org, so connecting it to another org or
/// another kind of CRM is refused (<see cref="ErrorIds.ProfileOrganizationMismatch"/>).
/// </summary>
public sealed class ProfileConnector
{
    /// <summary>The API usage source recorded for Salesforce responses.</summary>
    public const string SalesforceUsageSource = Crm.Salesforce.SalesforceProvider.UsageSourceName;

    /// <summary>The API usage source recorded for Dynamics 365 responses.</summary>
    public const string DynamicsUsageSource = Crm.Dynamics.DynamicsProvider.UsageSourceName;

    private readonly Func<CrmConnectionSettings, CrmClientOptions, ICrmClient> _clientFactory;

    /// <summary>
    /// A connector over the data folder <paramref name="paths"/>.
    /// </summary>
    /// <param name="paths">Where profiles, secrets and keys live.</param>
    /// <param name="secrets">Where credentials are saved; null: <see cref="FileSecretStore.ForCurrentPlatform"/> over <paramref name="paths"/>.</param>
    /// <param name="registry">The Process-scope connections; null: <see cref="CrmConnectionRegistry.Process"/>.</param>
    /// <param name="timeProvider">The clock for ConnectedAt and every store timestamp.</param>
    /// <param name="clientFactory">Builds CRM clients; null: <see cref="CrmClientFactory.Create"/>.</param>
    public ProfileConnector(CrmSyncPaths paths, ISecretStore? secrets = null, CrmConnectionRegistry? registry = null,
        TimeProvider? timeProvider = null, Func<CrmConnectionSettings, CrmClientOptions, ICrmClient>? clientFactory = null)
    {
        Paths = paths ?? throw new ArgumentNullException(nameof(paths));
        Time = timeProvider ?? TimeProvider.System;
        Profiles = new ProfileStore(new ProfileLocator(paths), Time);
        Secrets = secrets ?? FileSecretStore.ForCurrentPlatform(paths);
        Registry = registry ?? CrmConnectionRegistry.Process;
        _clientFactory = clientFactory ?? CrmClientFactory.Create;
    }

    /// <summary>The connector for the current user and process (CRMSYNC_HOME or the per-user data folder).</summary>
    public static ProfileConnector ForCurrentUser() => new(CrmSyncPaths.ForCurrentUser());

    /// <summary>
    /// The connector over the data folder named by the environment, read through <paramref name="getEnvironmentVariable"/>;
    /// a profile with no saved secrets and no connection in this process takes them from the same environment
    /// (<see cref="PasswordVariable"/>, <see cref="SecurityTokenVariable"/>, <see cref="ClientSecretVariable"/>): how a
    /// profile connected with Scope Process is used in containers, runbooks and CI.
    /// </summary>
    public static ProfileConnector ForEnvironment(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        return new ProfileConnector(CrmSyncPaths.FromEnvironment(getEnvironmentVariable)) { EnvironmentSecrets = getEnvironmentVariable };
    }

    /// <summary>The environment variable holding the sync user's password.</summary>
    public const string PasswordVariable = "CRMSYNC_PASSWORD";
    /// <summary>The environment variable holding the Salesforce security token.</summary>
    public const string SecurityTokenVariable = "CRMSYNC_SECURITY_TOKEN";
    /// <summary>The environment variable holding the connected app's consumer secret.</summary>
    public const string ClientSecretVariable = "CRMSYNC_CLIENT_SECRET";

    /// <summary>
    /// Where a profile without saved secrets (Scope Process, or after Disconnect-CrmSync) finds them when this process has no
    /// connection for it: the environment variables <see cref="PasswordVariable"/>, <see cref="SecurityTokenVariable"/> and
    /// <see cref="ClientSecretVariable"/>. Null: nowhere (CredentialsNotSaved).
    /// </summary>
    public Func<string, string?>? EnvironmentSecrets { get; init; }

    /// <summary>The data folder layout.</summary>
    public CrmSyncPaths Paths { get; }

    /// <summary>The profile databases.</summary>
    public ProfileStore Profiles { get; }

    /// <summary>The saved (encrypted) credentials.</summary>
    public ISecretStore Secrets { get; }

    /// <summary>The Process-scope connections.</summary>
    public CrmConnectionRegistry Registry { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>
    /// Connect-CrmSync. Validates the request, logs in for real (<see cref="ICrmSession.LoginAsync"/>), and only then:
    /// refuses an existing profile of another org or CRM kind (<see cref="ErrorIds.ProfileOrganizationMismatch"/>), and
    /// <list type="bullet">
    /// <item>CurrentUser scope: replaces the profile's saved secrets by the ones given (encrypted), forgets any Process-scope
    /// connection of the profile, and creates or updates the profile row with the identity the login returned.</item>
    /// <item>Process scope: registers the connection in <see cref="Registry"/> (copies of the secrets, memory only) and
    /// writes no secret. A new profile's database is created with its row (no secrets) so later commands in this process
    /// work; an existing profile's row and saved secrets are left exactly as they were.</item>
    /// </list>
    /// Errors (all <see cref="CrmSyncException"/>): InvalidArgument, InvalidProfileName, DatabasePathInvalid, InsecureTransport
    /// (no request sent), InvalidCredentials, CrmMfaRequired, CrmClientRejected, CrmUnreachable, NotACrmEndpoint, CrmPermissionDenied
    /// (the user cannot read a synced entity: <see cref="ICrmConnectionValidator.EnsureReadAccessAsync"/>), ProfileOrganizationMismatch,
    /// and the store's errors.
    /// </summary>
    /// <param name="request">What to connect; the connector copies the secrets it keeps.</param>
    /// <param name="options">How the CRM client behaves (tests inject a handler and a clock).</param>
    /// <param name="verbose">Receives progress lines (hosts: Write-Verbose); they never contain a secret.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    public async Task<CrmConnectionInfo> ConnectAsync(ConnectionRequest request, CrmClientOptions options, Action<string>? verbose,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        verbose ??= _ => { };
        var provider = CrmProviders.For(request.Crm);
        if (!provider.ConnectAvailable)
            throw new CrmSyncException(ErrorIds.CrmNotSupported, ErrorKind.InvalidArgument,
                $"This build of CrmSync cannot connect to {CrmProviders.Describe(request.Crm)}.",
                $"Use a CrmSync version that supports {CrmProviders.Describe(request.Crm)}.", request.Crm);

        var location = Profiles.Locator.Resolve(request.Profile, request.DatabasePath);
        var method = request.EffectiveAuthMethod;
        var endpoints = provider.ResolveEndpoints(request.LoginUrl, request.Url, request.Sandbox);
        var loginUrl = endpoints.Shown;
        var settings = new CrmConnectionSettings
        {
            Kind = request.Crm,
            AuthMethod = method,
            LoginUrl = endpoints.LoginUrl,
            OrganizationUrl = endpoints.OrganizationUrl,
            Sandbox = request.Sandbox,
            Username = string.IsNullOrWhiteSpace(request.Username) ? null : request.Username,
            Password = request.Password,
            SecurityToken = request.SecurityToken,
            ClientId = string.IsNullOrWhiteSpace(request.ClientId) ? null : request.ClientId,
            ClientSecret = request.ClientSecret,
            TenantId = request.TenantId,
        };

        verbose($"Logging in to {request.Crm} at {loginUrl.GetLeftPart(UriPartial.Authority)} as {settings.Username ?? settings.ClientId ?? "(no user)"} " +
                $"({Describe(request.Crm, method)}) for profile '{location.ProfileName}'.");
        CrmIdentity identity;
        using (var client = _clientFactory(settings, options))
        {
            identity = await client.Session.LoginAsync(cancellationToken).ConfigureAwait(false);
            // A sync user that cannot read what the sync reads would fail on every later command: refused here, before anything is stored.
            await provider.ConnectionValidator.EnsureReadAccessAsync(client, cancellationToken).ConfigureAwait(false);
        }
        verbose($"Signed in as {identity.UserName ?? settings.Username ?? identity.UserId} (user {identity.UserId}, org {identity.OrganizationId}) " +
                $"on {identity.InstanceUrl.GetLeftPart(UriPartial.Authority)}, API version {identity.ApiVersion}{(identity.Sandbox ? ", sandbox" : "")}.");

        // Nothing was written before this point. An existing profile must belong to the org we just signed in to.
        ProfileInfo? existing = null;
        if (File.Exists(location.DatabasePath))
        {
            using var store = Profiles.Open(location.ProfileName, location.DatabasePath);
            existing = store.Profile.Read() ?? throw ProfileLocator.ProfileNotFound(location);
            ProfileOrganizationGuard.Ensure(existing, request.Crm, identity, location, connecting: true);
        }

        var saved = new ProfileConnectorSettings
        {
            OrganizationId = identity.OrganizationId,
            UserId = identity.UserId,
            AuthMethod = method,
            ClientId = settings.ClientId,
            TenantId = settings.TenantId,
            AuthorityUrl = endpoints.AuthorityUrl,
        };
        var userName = settings.Username ?? identity.UserName ?? settings.ClientId ?? identity.UserId;
        string? secretsStoredAt = null;

        if (request.Scope == ConnectionScope.CurrentUser)
        {
            // Replace, never merge: a secret of an earlier sign-in method (an old client secret) must not linger.
            Secrets.Delete(location.ProfileName);
            var count = 0;
            count += SaveSecret(location.ProfileName, SecretNames.Password, request.Password);
            count += SaveSecret(location.ProfileName, SecretNames.SecurityToken, request.SecurityToken);
            count += SaveSecret(location.ProfileName, SecretNames.ClientSecret, request.ClientSecret);
            secretsStoredAt = Secrets is FileSecretStore file ? file.SecretFilePath(location.ProfileName) : Secrets.Protection;
            Registry.Remove(location);
            verbose($"Saved {count} secret(s) for the current user, encrypted ({Secrets.Protection}), in {secretsStoredAt}.");
        }
        else
        {
            Registry.Register(location, WithApiVersion(settings, identity.ApiVersion));
            verbose($"Keeping the credentials of profile '{location.ProfileName}' in this process only; no secret was written to disk. " +
                    $"Unattended runs (scheduled tasks) need {ShellAction.Connect.With(ActionParameter.Scope, "CurrentUser")}.");
        }

        var created = false;
        if (existing is null)
        {
            var row = new ProfileInfo
            {
                Name = location.ProfileName,
                Crm = request.Crm,
                LoginUrl = endpoints.ProfileUrl,
                InstanceUrl = identity.InstanceUrl.AbsoluteUri,
                UserName = userName,
                ApiVersion = identity.ApiVersion,
                Sandbox = identity.Sandbox,
                SyncFilterField = request.SyncFilterField,
                SettingsJson = saved.WriteInto("{}"),
            };
            using (Profiles.Create(row, location.DatabasePath))
            {
            }
            created = true;
            verbose($"Created profile '{location.ProfileName}' with its database {location.DatabasePath}.");
        }
        else if (request.Scope == ConnectionScope.CurrentUser)
        {
            using var store = Profiles.Open(location.ProfileName, location.DatabasePath);
            store.Profile.Save(existing with
            {
                Crm = request.Crm,
                LoginUrl = endpoints.ProfileUrl,
                InstanceUrl = identity.InstanceUrl.AbsoluteUri,
                UserName = userName,
                ApiVersion = identity.ApiVersion,
                Sandbox = identity.Sandbox,
                SyncFilterField = request.SyncFilterField ?? existing.SyncFilterField,
                SettingsJson = saved.WriteInto(existing.SettingsJson),
            });
            verbose($"Updated profile '{location.ProfileName}' in {location.DatabasePath}; its local fields and data are unchanged.");
        }
        else
        {
            verbose($"Profile '{location.ProfileName}' already exists in {location.DatabasePath}; its saved settings are unchanged.");
        }

        return new CrmConnectionInfo
        {
            Profile = location.ProfileName,
            Crm = request.Crm,
            UserName = userName,
            UserId = identity.UserId,
            OrganizationId = identity.OrganizationId,
            LoginUrl = endpoints.ProfileUrl,
            InstanceUrl = identity.InstanceUrl.AbsoluteUri,
            ApiVersion = identity.ApiVersion,
            Sandbox = identity.Sandbox,
            AuthMethod = method,
            Scope = request.Scope,
            DatabasePath = location.DatabasePath,
            SecretsStoredAt = secretsStoredAt,
            ProfileCreated = created,
            ConnectedAt = Time.GetUtcNow(),
        };
    }

    /// <summary>
    /// Resolves an existing profile for Disconnect-CrmSync: throws <see cref="ErrorIds.ProfileNotFound"/> (or
    /// InvalidProfileName, DatabasePathInvalid) and changes nothing when there is no such profile.
    /// </summary>
    public ProfileLocation FindProfile(string profile, string? databasePath = null)
    {
        var location = Profiles.Locator.Resolve(profile, databasePath);
        using (Profiles.Open(location.ProfileName, location.DatabasePath))
        {
        }
        return location;
    }

    /// <summary>
    /// Disconnect-CrmSync (after its ShouldProcess): forgets the profile's saved secrets and its Process-scope connection.
    /// The database and every local row are kept.
    /// </summary>
    public CrmDisconnectionInfo Forget(ProfileLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var savedForgotten = Secrets.Delete(location.ProfileName);
        var processForgotten = Registry.Remove(location);
        var what = (savedForgotten, processForgotten) switch
        {
            (true, true) => "the credentials saved for the current user and this process's connection",
            (true, false) => "the credentials saved for the current user",
            (false, true) => "this process's connection",
            _ => null,
        };
        var message = what is null
            ? $"Profile '{location.ProfileName}' had no saved credentials and no connection in this process; nothing to forget. " +
              $"The database {location.DatabasePath} and all local data are kept."
            : $"Forgot {what} of profile '{location.ProfileName}'. The database {location.DatabasePath} and all local data are kept; " +
              $"run {ShellAction.Connect.Profile(location.ProfileName)} to connect again.";
        return new CrmDisconnectionInfo
        {
            Profile = location.ProfileName,
            DatabasePath = location.DatabasePath,
            SavedSecretsForgotten = savedForgotten,
            ProcessConnectionForgotten = processForgotten,
            Message = message,
        };
    }

    /// <summary>
    /// Opens a signed-in CRM client for a saved profile (Sync-CrmField, Start-CrmSync, scheduled tasks): the profile row gives
    /// the CRM, login URL, user and API version; the secrets come from this process's connection (<see cref="Registry"/>,
    /// preferred) or from the secrets saved for the current user. It logs in once (so bad or missing credentials fail here,
    /// before any work), checks that the org is still the profile's own, records a moved instance URL, and records every API
    /// usage report of the client into the profile's <see cref="CrmSyncStore.ApiUsage"/> log (besides passing it on to
    /// <paramref name="options"/>' own sink). The caller disposes the client.
    /// Errors: ProfileNotFound, CredentialsNotSaved (no Process connection and no saved secrets: Process scope in another
    /// process, or after Disconnect-CrmSync), SecretStoreUnreadable, ProfileOrganizationMismatch, and the login errors.
    /// </summary>
    public async Task<ICrmClient> OpenClientAsync(string profile, string? databasePath, CrmClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var location = Profiles.Locator.Resolve(profile, databasePath);
        // On success the store stays in use by the client's API usage recorder (it holds no open connection between writes).
        var store = Profiles.Open(location.ProfileName, location.DatabasePath);
        try
        {
            return await OpenClientCoreAsync(store, location, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Like <see cref="OpenClientAsync(string, string?, CrmClientOptions, CancellationToken)"/>, for a caller that already holds the profile's store.</summary>
    public Task<ICrmClient> OpenClientAsync(CrmSyncStore store, CrmClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var row = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        var location = Profiles.Locator.Resolve(row.Name, store.DatabasePath);
        return OpenClientCoreAsync(store, location, options, cancellationToken);
    }

    private async Task<ICrmClient> OpenClientCoreAsync(CrmSyncStore store, ProfileLocation location, CrmClientOptions options, CancellationToken cancellationToken)
    {
        var row = store.Profile.Read() ?? throw ProfileLocator.ProfileNotFound(location);
        var clientOptions = Override(options, options.Events,
            new StoreApiUsageRecorder(store, CrmProviders.For(row.Crm).UsageSource, options.ApiUsage, options.Events));

        ICrmClient client;
        if (Registry.TryUse(location, settings => _clientFactory(settings, clientOptions), out var registered))
            client = registered!;
        else
            client = new SavedCredentials(Secrets, EnvironmentSecrets, _clientFactory).CreateClient(row, location, clientOptions);

        try
        {
            var identity = await client.Session.LoginAsync(cancellationToken).ConfigureAwait(false);
            ProfileOrganizationGuard.Ensure(row, client.Kind, identity, location, connecting: false);
            var instance = identity.InstanceUrl.AbsoluteUri;
            if (!string.Equals(row.InstanceUrl, instance, StringComparison.OrdinalIgnoreCase))
                store.Profile.Save(row with { InstanceUrl = instance });
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The error a profile without usable credentials gives (what scheduled tasks hit); it names the environment
    /// variables of <paramref name="crm"/> and <paramref name="authMethod"/> (<see cref="SecretVariablesFor"/>).</summary>
    public static CrmSyncException CredentialsNotSaved(ProfileLocation location, CrmKind crm = CrmKind.Salesforce, CrmAuthMethod authMethod = CrmAuthMethod.Password)
    {
        ArgumentNullException.ThrowIfNull(location);
        return new CrmSyncException(ErrorIds.CredentialsNotSaved, ErrorKind.AuthenticationError,
            $"Profile '{location.ProfileName}' has no saved credentials for the current user and no connection in this process: " +
            $"it was connected with {ShellAction.Connect.With(ActionParameter.Scope, "Process")} in another session, or {ShellAction.Disconnect} forgot its credentials.",
            $"Run {ShellAction.Connect.Profile(location.ProfileName).With(ActionParameter.Scope, "CurrentUser")} (as the user that runs the scheduled task) " +
            $"to save the credentials encrypted, or (containers, runbooks) set {SecretVariablesFor(crm, authMethod)} in the environment, then run the command again.",
            location.ProfileName);
    }

    /// <summary>
    /// The environment variables a profile of <paramref name="crm"/> signing in with <paramref name="authMethod"/> reads its
    /// secrets from, as a phrase: Salesforce <see cref="PasswordVariable"/> and <see cref="SecurityTokenVariable"/>
    /// (<see cref="ClientSecretVariable"/> for a connected app); Dynamics 365 <see cref="PasswordVariable"/> (with
    /// <see cref="ClientSecretVariable"/> when the app registration has a secret), or <see cref="ClientSecretVariable"/> alone
    /// for the Application User (client credentials).
    /// </summary>
    public static string SecretVariablesFor(CrmKind crm, CrmAuthMethod authMethod) => (crm, authMethod) switch
    {
        (CrmKind.Dynamics, CrmAuthMethod.ClientCredentials) => $"{ClientSecretVariable} (the app registration's client secret)",
        (CrmKind.Dynamics, _) => $"{PasswordVariable} ({ClientSecretVariable} too when the app registration has a client secret)",
        (_, CrmAuthMethod.ClientCredentials) => $"{ClientSecretVariable} (the connected app's consumer secret)",
        _ => $"{PasswordVariable} and {SecurityTokenVariable} ({ClientSecretVariable} for a connected app)",
    };

    private int SaveSecret(string profile, string name, SecretValue? value)
    {
        if (value is null || value.Length == 0)
            return 0;
        Secrets.Save(profile, name, value.Span);
        return 1;
    }

    private static string Describe(CrmKind crm, CrmAuthMethod method) => method switch
    {
        CrmAuthMethod.Password when crm == CrmKind.Salesforce => "password and security token",
        CrmAuthMethod.Password or CrmAuthMethod.OAuthPassword when crm == CrmKind.Dynamics => "Entra ID password grant (ROPC)",
        CrmAuthMethod.OAuthPassword => "OAuth password grant",
        _ when crm == CrmKind.Dynamics => "Entra ID client credentials (Application User)",
        _ => "OAuth client credentials",
    };

    private static CrmConnectionSettings WithApiVersion(CrmConnectionSettings s, string apiVersion) => new()
    {
        Kind = s.Kind,
        AuthMethod = s.AuthMethod,
        LoginUrl = s.LoginUrl,
        OrganizationUrl = s.OrganizationUrl,
        Sandbox = s.Sandbox,
        Username = s.Username,
        Password = s.Password,
        SecurityToken = s.SecurityToken,
        ClientId = s.ClientId,
        ClientSecret = s.ClientSecret,
        TenantId = s.TenantId,
        ApiVersion = apiVersion,
    };

    /// <summary>A copy of <paramref name="options"/> with its event and API usage sinks replaced.</summary>
    internal static CrmClientOptions Override(CrmClientOptions options, IProgress<CrmClientEvent>? events, IProgress<CrmApiUsage>? apiUsage) => new()
    {
        TimeProvider = options.TimeProvider,
        Resilience = options.Resilience,
        ApiUsage = apiUsage,
        Events = events,
        ApiReserveFraction = options.ApiReserveFraction,
        PrimaryHandler = options.PrimaryHandler,
    };
}
