using CrmSync.Engine.Crm;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Store;

/// <summary>
/// A connection profile as kept in its database (table <c>crmsync_profile</c>, one row). It holds no secret:
/// passwords, security tokens and client secrets live in the secret store.
/// </summary>
public sealed record ProfileInfo
{
    /// <summary>The profile name (see CrmSync.Engine.Connections.ProfileName).</summary>
    public required string Name { get; init; }
    /// <summary>Salesforce or Dynamics.</summary>
    public required CrmKind Crm { get; init; }
    /// <summary>Salesforce: the login host (login.salesforce.com, test.salesforce.com, a My Domain); Dynamics: the org URL.</summary>
    public required string LoginUrl { get; init; }
    /// <summary>The instance URL returned by the last login, when known.</summary>
    public string? InstanceUrl { get; init; }
    /// <summary>The sync user's user name.</summary>
    public required string UserName { get; init; }
    /// <summary>The CRM API version in use, e.g. "62.0" or "9.2".</summary>
    public string? ApiVersion { get; init; }
    /// <summary>True for a CRM sandbox.</summary>
    public bool Sandbox { get; init; }
    /// <summary>Dynamics: the boolean field that limits which records sync (e.g. new_synctomkto).</summary>
    public string? SyncFilterField { get; init; }
    /// <summary>False when sync has been disabled for the profile.</summary>
    public bool SyncEnabled { get; init; } = true;
    /// <summary>When the field mappings were locked by the first Start-CrmSync.</summary>
    public DateTimeOffset? MappingsLockedAt { get; init; }
    /// <summary>When the first Start-CrmSync began.</summary>
    public DateTimeOffset? FirstStartedAt { get; init; }
    /// <summary>When a continuous sync plans its next cycle, if one does.</summary>
    public DateTimeOffset? NextRunAt { get; init; }
    /// <summary>Further options as a JSON object.</summary>
    public string SettingsJson { get; init; } = "{}";
    /// <summary>Set by the store when the profile row is created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Set by the store on every change.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Reads and writes the single profile row of a store.</summary>
public sealed class ProfileTable
{
    private const string Columns =
        "name, crm_kind, login_url, instance_url, user_name, api_version, sandbox, sync_filter_field, sync_enabled, " +
        "mappings_locked_at, first_started_at, next_run_at, settings_json, created_at, updated_at";

    private readonly CrmSyncStore _store;

    internal ProfileTable(CrmSyncStore store) => _store = store;

    /// <summary>The profile row, or null when the database has none yet.</summary>
    public ProfileInfo? Read(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, $"SELECT {Columns} FROM crmsync_profile WHERE id = 1;");
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return new ProfileInfo
        {
            Name = reader.GetString(0),
            Crm = reader.Enum<CrmKind>(1),
            LoginUrl = reader.GetString(2),
            InstanceUrl = reader.NullableString(3),
            UserName = reader.GetString(4),
            ApiVersion = reader.NullableString(5),
            Sandbox = reader.Flag(6),
            SyncFilterField = reader.NullableString(7),
            SyncEnabled = reader.Flag(8),
            MappingsLockedAt = reader.NullableTime(9),
            FirstStartedAt = reader.NullableTime(10),
            NextRunAt = reader.NullableTime(11),
            SettingsJson = reader.GetString(12),
            CreatedAt = reader.Time(13),
            UpdatedAt = reader.Time(14),
        };
    });

    /// <summary>
    /// Writes the profile row: inserts it (CreatedAt = now) or updates it in place (CreatedAt kept). Returns the row
    /// as stored.
    /// </summary>
    public ProfileInfo Save(ProfileInfo profile, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Validate(profile);
        _store.Write(transaction, (connection, tx) =>
        {
            var now = _store.Now();
            using var command = connection.Command(tx, $"""
                INSERT INTO crmsync_profile (id, {Columns})
                VALUES (1, $name, $crm, $login, $instance, $user, $api, $sandbox, $filter, $enabled,
                        $locked, $started, $next, $settings, $now, $now)
                ON CONFLICT (id) DO UPDATE SET
                    name = excluded.name, crm_kind = excluded.crm_kind, login_url = excluded.login_url,
                    instance_url = excluded.instance_url, user_name = excluded.user_name,
                    api_version = excluded.api_version, sandbox = excluded.sandbox,
                    sync_filter_field = excluded.sync_filter_field, sync_enabled = excluded.sync_enabled,
                    mappings_locked_at = excluded.mappings_locked_at, first_started_at = excluded.first_started_at,
                    next_run_at = excluded.next_run_at, settings_json = excluded.settings_json,
                    updated_at = excluded.updated_at;
                """)
                .With("$name", profile.Name).With("$crm", profile.Crm.ToString()).With("$login", profile.LoginUrl)
                .With("$instance", profile.InstanceUrl).With("$user", profile.UserName).With("$api", profile.ApiVersion)
                .With("$sandbox", profile.Sandbox ? 1 : 0).With("$filter", profile.SyncFilterField)
                .With("$enabled", profile.SyncEnabled ? 1 : 0).With("$locked", StoreTime.ToDb(profile.MappingsLockedAt))
                .With("$started", StoreTime.ToDb(profile.FirstStartedAt)).With("$next", StoreTime.ToDb(profile.NextRunAt))
                .With("$settings", profile.SettingsJson).With("$now", now);
            return command.ExecuteNonQuery();
        });
        return Read(transaction)!;
    }

    /// <summary>Locks the field mappings (first Start-CrmSync); returns when they were locked (the first time wins).</summary>
    public DateTimeOffset LockMappings(SqliteTransaction? transaction = null) =>
        SetOnce("mappings_locked_at", transaction);

    /// <summary>Records the first Start-CrmSync; returns when it happened (the first time wins).</summary>
    public DateTimeOffset MarkFirstStarted(SqliteTransaction? transaction = null) =>
        SetOnce("first_started_at", transaction);

    /// <summary>Enables or disables sync for the profile.</summary>
    public void SetSyncEnabled(bool enabled, SqliteTransaction? transaction = null) =>
        Update("sync_enabled = $value", enabled ? 1 : 0, transaction);

    /// <summary>Records when a continuous sync plans its next cycle (null: none planned).</summary>
    public void SetNextRun(DateTimeOffset? nextRunAt, SqliteTransaction? transaction = null) =>
        Update("next_run_at = $value", StoreTime.ToDb(nextRunAt), transaction);

    private DateTimeOffset SetOnce(string column, SqliteTransaction? transaction) => _store.Write(transaction, (connection, tx) =>
    {
        // column is one of two constants above, never input.
        using (var command = connection.Command(tx,
                   $"UPDATE crmsync_profile SET {column} = coalesce({column}, $now), updated_at = $now WHERE id = 1;"))
        {
            if (command.With("$now", _store.Now()).ExecuteNonQuery() != 1)
                throw NoProfileRow();
        }
        using var read = connection.Command(tx, $"SELECT {column} FROM crmsync_profile WHERE id = 1;");
        return StoreTime.Parse((string)read.ExecuteScalar()!);
    });

    private void Update(string assignment, object value, SqliteTransaction? transaction) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, $"UPDATE crmsync_profile SET {assignment}, updated_at = $now WHERE id = 1;")
            .With("$value", value).With("$now", _store.Now());
        return command.ExecuteNonQuery() == 1 ? 0 : throw NoProfileRow();
    });

    private CrmSyncException NoProfileRow() => new(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
        $"The database {_store.DatabasePath} holds no CrmSync profile.",
        $"Run {ShellAction.Connect} to create the profile.", _store.DatabasePath);

    private static void Validate(ProfileInfo profile)
    {
        if (!Uri.TryCreate(profile.LoginUrl, UriKind.Absolute, out var login) || (login.Scheme != Uri.UriSchemeHttps && login.Scheme != Uri.UriSchemeHttp))
            throw Invalid($"The login URL '{profile.LoginUrl}' is not an absolute http(s) URL.", "Give the CRM's https URL.");
        if (profile.InstanceUrl is not null && !Uri.TryCreate(profile.InstanceUrl, UriKind.Absolute, out _))
            throw Invalid($"The instance URL '{profile.InstanceUrl}' is not an absolute URL.", "Give the CRM's https URL.");
        if (string.IsNullOrWhiteSpace(profile.UserName))
            throw Invalid("The profile has no user name.", "Give the sync user's user name.");
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(profile.SettingsJson);
            if (json.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
                throw Invalid("The profile settings must be a JSON object.", "Pass settings as a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw Invalid($"The profile settings are not valid JSON: {e.Message}", "Pass settings as a JSON object.");
        }
    }

    private static CrmSyncException Invalid(string message, string action) =>
        new(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, message, action);
}
