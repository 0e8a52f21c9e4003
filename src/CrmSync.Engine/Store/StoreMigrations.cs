using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// The store's schema, as an ordered list of migrations. Migration N moves <c>PRAGMA user_version</c> from N-1 to N
/// and runs in one transaction, followed by its data step (<see cref="DataSteps"/>) when it has one. Append new migrations at
/// the end; never edit one that has shipped.
/// System tables are prefixed <c>crmsync_</c> so they never collide with synced object tables (person, account, ...).
/// </summary>
internal static class StoreMigrations
{
    /// <summary>PRAGMA application_id of a CrmSync database ('CRMS').</summary>
    public const int ApplicationId = 0x43524D53;

    public static IReadOnlyList<string> All { get; } =
    [
        // 1: the system tables
        """
        CREATE TABLE crmsync_profile (
            id                 INTEGER PRIMARY KEY CHECK (id = 1),
            name               TEXT    NOT NULL,
            crm_kind           TEXT    NOT NULL CHECK (crm_kind IN ('Salesforce', 'Dynamics')),
            login_url          TEXT    NOT NULL,
            instance_url       TEXT,
            user_name          TEXT    NOT NULL,
            api_version        TEXT,
            sandbox            INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1)),
            sync_filter_field  TEXT,
            sync_enabled       INTEGER NOT NULL DEFAULT 1 CHECK (sync_enabled IN (0, 1)),
            mappings_locked_at TEXT,
            first_started_at   TEXT,
            next_run_at        TEXT,
            settings_json      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(settings_json)),
            created_at         TEXT    NOT NULL,
            updated_at         TEXT    NOT NULL
        );

        CREATE TABLE crmsync_field_catalog (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            object_name     TEXT    NOT NULL,
            table_name      TEXT    NOT NULL,
            field_name      TEXT    NOT NULL,
            column_name     TEXT    NOT NULL,
            crm_type        TEXT    NOT NULL,
            sqlite_type     TEXT    NOT NULL CHECK (sqlite_type IN ('TEXT', 'INTEGER', 'REAL', 'NUMERIC', 'BLOB')),
            is_createable   INTEGER NOT NULL DEFAULT 0 CHECK (is_createable IN (0, 1)),
            is_updateable   INTEGER NOT NULL DEFAULT 0 CHECK (is_updateable IN (0, 1)),
            is_calculated   INTEGER NOT NULL DEFAULT 0 CHECK (is_calculated IN (0, 1)),
            is_external_id  INTEGER NOT NULL DEFAULT 0 CHECK (is_external_id IN (0, 1)),
            is_orphaned     INTEGER NOT NULL DEFAULT 0 CHECK (is_orphaned IN (0, 1)),
            orphaned_at     TEXT,
            replaced_type   TEXT,
            created_at      TEXT    NOT NULL,
            created_by_run  INTEGER,
            UNIQUE (object_name, field_name)
        );
        CREATE INDEX crmsync_field_catalog_table ON crmsync_field_catalog (table_name, column_name);

        CREATE TRIGGER crmsync_field_catalog_no_delete
        BEFORE DELETE ON crmsync_field_catalog
        BEGIN
            SELECT RAISE(ABORT, 'crmsync_field_catalog is append-only: created fields are permanent and are never deleted');
        END;

        CREATE TRIGGER crmsync_field_catalog_identity_fixed
        BEFORE UPDATE ON crmsync_field_catalog
        WHEN NEW.id IS NOT OLD.id
          OR NEW.object_name IS NOT OLD.object_name
          OR NEW.table_name IS NOT OLD.table_name
          OR NEW.field_name IS NOT OLD.field_name
          OR NEW.column_name IS NOT OLD.column_name
          OR NEW.crm_type IS NOT OLD.crm_type
          OR NEW.sqlite_type IS NOT OLD.sqlite_type
          OR NEW.created_at IS NOT OLD.created_at
          OR NEW.created_by_run IS NOT OLD.created_by_run
        BEGIN
            SELECT RAISE(ABORT, 'crmsync_field_catalog is append-only: the identity of a created field (object, field, table, column, types, creation) never changes');
        END;

        CREATE TABLE crmsync_field_mapping (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            object_name  TEXT    NOT NULL,
            field_name   TEXT    NOT NULL,
            table_name   TEXT    NOT NULL,
            column_name  TEXT    NOT NULL,
            rule         TEXT    NOT NULL CHECK (rule IN ('TwoWay', 'PreferCrmUnlessBlank', 'AlwaysCrm', 'AlwaysLocal', 'None')),
            direction    TEXT    NOT NULL CHECK (direction IN ('TwoWay', 'CrmToLocal', 'LocalToCrm', 'None')),
            enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
            updated_at   TEXT    NOT NULL,
            UNIQUE (object_name, field_name)
        );

        CREATE TABLE crmsync_outbox (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            table_name       TEXT    NOT NULL,
            row_key          TEXT    NOT NULL,
            crm_object       TEXT    NOT NULL,
            crm_id           TEXT,
            client_key       TEXT,
            operation        TEXT    NOT NULL CHECK (operation IN ('Insert', 'Update', 'Delete')),
            changed_columns  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(changed_columns)),
            captured_at      TEXT    NOT NULL,
            attempts         INTEGER NOT NULL DEFAULT 0,
            next_attempt_at  TEXT,
            last_error       TEXT,
            state            TEXT    NOT NULL DEFAULT 'Pending' CHECK (state IN ('Pending', 'InFlight', 'Done', 'Failed'))
        );
        CREATE INDEX crmsync_outbox_state ON crmsync_outbox (state, id);

        CREATE TABLE crmsync_watermark (
            object_name   TEXT NOT NULL,
            stream        TEXT NOT NULL,
            watermark     TEXT,
            watermark_id  TEXT,
            updated_at    TEXT NOT NULL,
            PRIMARY KEY (object_name, stream)
        );

        CREATE TABLE crmsync_checkpoint (
            object_name  TEXT    NOT NULL,
            phase        TEXT    NOT NULL,
            cursor_json  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(cursor_json)),
            rows_done    INTEGER NOT NULL DEFAULT 0,
            rows_total   INTEGER,
            updated_at   TEXT    NOT NULL,
            PRIMARY KEY (object_name, phase)
        );

        CREATE TABLE crmsync_run (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at     TEXT    NOT NULL,
            ended_at       TEXT,
            state          TEXT    NOT NULL CHECK (state IN ('Running', 'Succeeded', 'Failed', 'Cancelled')),
            kind           TEXT    NOT NULL CHECK (kind IN ('Initial', 'Incremental')),
            triggered_by   TEXT    NOT NULL,
            pid            INTEGER NOT NULL,
            host           TEXT    NOT NULL,
            api_calls      INTEGER NOT NULL DEFAULT 0,
            error_id       TEXT,
            error_message  TEXT,
            duration_ms    INTEGER
        );
        CREATE INDEX crmsync_run_state ON crmsync_run (state, id);

        CREATE TABLE crmsync_run_count (
            run_id         INTEGER NOT NULL REFERENCES crmsync_run (id),
            object_name    TEXT    NOT NULL,
            operation      TEXT    NOT NULL CHECK (operation IN ('PullUpdates', 'PullDeletes', 'PullConversions', 'PushNew', 'PushUpdates', 'SyncSchema')),
            new_count      INTEGER NOT NULL DEFAULT 0,
            updated_count  INTEGER NOT NULL DEFAULT 0,
            deleted_count  INTEGER NOT NULL DEFAULT 0,
            failed_count   INTEGER NOT NULL DEFAULT 0,
            skipped_count  INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, object_name, operation)
        );

        CREATE TABLE crmsync_error (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id          INTEGER REFERENCES crmsync_run (id),
            level           TEXT    NOT NULL CHECK (level IN ('Record', 'Job')),
            object_name     TEXT,
            local_key       TEXT,
            crm_id          TEXT,
            operation       TEXT,
            error_id        TEXT    NOT NULL,
            crm_error_code  TEXT,
            message         TEXT    NOT NULL,
            occurred_at     TEXT    NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 1,
            resolved_at     TEXT
        );
        CREATE INDEX crmsync_error_occurred ON crmsync_error (occurred_at);

        CREATE TABLE crmsync_conflict (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id       INTEGER REFERENCES crmsync_run (id),
            object_name  TEXT NOT NULL,
            crm_id       TEXT,
            local_key    TEXT,
            field_name   TEXT NOT NULL,
            local_value  TEXT,
            crm_value    TEXT,
            winner       TEXT NOT NULL CHECK (winner IN ('Local', 'Crm')),
            rule         TEXT NOT NULL,
            occurred_at  TEXT NOT NULL
        );
        CREATE INDEX crmsync_conflict_run ON crmsync_conflict (run_id);

        CREATE TABLE crmsync_api_usage (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            at      TEXT    NOT NULL,
            used    INTEGER NOT NULL,
            max     INTEGER,
            source  TEXT    NOT NULL
        );

        CREATE TABLE crmsync_run_lock (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            holder_id     TEXT    NOT NULL,
            pid           INTEGER NOT NULL,
            host          TEXT    NOT NULL,
            acquired_at   TEXT    NOT NULL,
            heartbeat_at  TEXT    NOT NULL,
            expires_at    TEXT    NOT NULL
        );
        """,

        // 2: system tables that earlier code created on first use (Sync-CrmField, the first cycle, the first push). IF NOT
        // EXISTS because a database from before this migration may already have them, with these same definitions.
        """
        CREATE TABLE IF NOT EXISTS crmsync_sync_writer (
            id      INTEGER PRIMARY KEY CHECK (id = 1),
            run_id  INTEGER,
            since   TEXT NOT NULL
        );
        DELETE FROM crmsync_sync_writer;

        CREATE TABLE IF NOT EXISTS crmsync_capture_base (
            table_name   TEXT    NOT NULL,
            row_id       INTEGER NOT NULL,
            column_name  TEXT    NOT NULL,
            old_value,
            PRIMARY KEY (table_name, row_id, column_name)
        );

        CREATE TABLE IF NOT EXISTS crmsync_schema_field_label (
            object_name TEXT NOT NULL, field_name TEXT NOT NULL, label TEXT NOT NULL, PRIMARY KEY (object_name, field_name));

        CREATE INDEX IF NOT EXISTS crmsync_error_occurred ON crmsync_error (occurred_at);
        """,

        // 3: the run lock records when the holder process started, so a lease of a crashed run on this host can be taken
        // over at once without mistaking a new process that reused the pid for the holder. NULL on leases of older code.
        """
        ALTER TABLE crmsync_run_lock ADD COLUMN process_started_at TEXT;
        """,

        // 4: run counts get the operation LocalDeletes (rows of synced persons deleted locally: the CRM records stay, as in
        // Marketo). SQLite cannot change a CHECK constraint in place: the table is rebuilt with its rows.
        """
        CREATE TABLE crmsync_run_count_v4 (
            run_id         INTEGER NOT NULL REFERENCES crmsync_run (id),
            object_name    TEXT    NOT NULL,
            operation      TEXT    NOT NULL CHECK (operation IN ('PullUpdates', 'PullDeletes', 'PullConversions', 'PushNew', 'PushUpdates', 'SyncSchema', 'LocalDeletes')),
            new_count      INTEGER NOT NULL DEFAULT 0,
            updated_count  INTEGER NOT NULL DEFAULT 0,
            deleted_count  INTEGER NOT NULL DEFAULT 0,
            failed_count   INTEGER NOT NULL DEFAULT 0,
            skipped_count  INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, object_name, operation)
        );
        INSERT INTO crmsync_run_count_v4 (run_id, object_name, operation, new_count, updated_count, deleted_count, failed_count, skipped_count)
            SELECT run_id, object_name, operation, new_count, updated_count, deleted_count, failed_count, skipped_count FROM crmsync_run_count;
        DROP TABLE crmsync_run_count;
        ALTER TABLE crmsync_run_count_v4 RENAME TO crmsync_run_count;
        """,

        // 5: e-mail notifications (issue 14): the profile's SMTP settings and the notification planner's state (one row; the
        // SMTP password lives in the encrypted secret store, never here), and the outbox of notification mails: an event is
        // written here before it is sent and marked sent after the server accepted it (see Notifications/).
        """
        CREATE TABLE crmsync_notification (
            id                   INTEGER PRIMARY KEY CHECK (id = 1),
            recipients           TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(recipients)),
            smtp_server          TEXT,
            smtp_port            INTEGER,
            tls_mode             TEXT    NOT NULL DEFAULT 'StartTls' CHECK (tls_mode IN ('None', 'StartTls', 'ImplicitTls')),
            smtp_user            TEXT,
            sender               TEXT,
            events               TEXT    NOT NULL,
            trouble_threshold    INTEGER NOT NULL DEFAULT 3 CHECK (trouble_threshold >= 1),
            timeout_seconds      INTEGER NOT NULL DEFAULT 30 CHECK (timeout_seconds >= 1),
            trusted_ca_path      TEXT,
            run_cursor           INTEGER NOT NULL DEFAULT 0,
            initial_sync_noted   INTEGER NOT NULL DEFAULT 0 CHECK (initial_sync_noted IN (0, 1)),
            digest_period_start  TEXT    NOT NULL,
            streak_error_id      TEXT,
            streak_count         INTEGER NOT NULL DEFAULT 0,
            trouble_kind         TEXT,
            trouble_error_id     TEXT,
            trouble_since        TEXT,
            last_sent_at         TEXT,
            last_error           TEXT,
            last_error_at        TEXT,
            created_at           TEXT    NOT NULL,
            updated_at           TEXT    NOT NULL
        );

        CREATE TABLE crmsync_notification_outbox (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            event_key        TEXT    NOT NULL UNIQUE,
            kind             TEXT    NOT NULL CHECK (kind IN ('InitialSyncCompleted', 'FailureDigest', 'SyncTrouble', 'SyncRecovered')),
            subject          TEXT    NOT NULL,
            text_body        TEXT    NOT NULL,
            html_body        TEXT    NOT NULL,
            created_at       TEXT    NOT NULL,
            attempts         INTEGER NOT NULL DEFAULT 0,
            last_attempt_at  TEXT,
            last_error       TEXT,
            sent_at          TEXT,
            server_response  TEXT
        );
        CREATE INDEX crmsync_notification_outbox_pending ON crmsync_notification_outbox (sent_at, id);
        """,

        // 6: field roles are data (issue 11): each catalogued field keeps what it means to the sync (id, modification stamp,
        // deleted flag, merged-into, converted-into, created date; the CrmFieldRole flag names, NULL for none) and its
        // neutral type, so the pull and push read them instead of guessing from field names. Sync-CrmField keeps them
        // current from the schema reader; the data step fills them for existing catalogues.
        """
        ALTER TABLE crmsync_field_catalog ADD COLUMN roles TEXT;
        ALTER TABLE crmsync_field_catalog ADD COLUMN field_type TEXT;
        """,

        // 7: the Dynamics sync (issue 13). Run counts get Filtered (records an explicit No on the sync-filter field kept out).
        // Option-set and picklist labels: the data columns keep the CRM's value (Dataverse "3", a Salesforce picklist value);
        // Sync-CrmField keeps each field's value → label list here (the label a user sees in the CRM), refreshed with the schema.
        """
        ALTER TABLE crmsync_run_count ADD COLUMN filtered_count INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE crmsync_option_label (
            object_name  TEXT    NOT NULL,
            field_name   TEXT    NOT NULL,
            value        TEXT    NOT NULL,
            label        TEXT,
            is_active    INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
            PRIMARY KEY (object_name, field_name, value)
        );
        """,

        // 8: a full re-read of an object whose change position expired (a Dataverse delta token) remembers every CRM id it
        // was given, committed with each page, so that when it completes the local rows it did not see are flagged deleted
        // (see RereadMarks); a kill mid re-read resumes with the marks intact. Emptied for the object when the re-read ends.
        """
        CREATE TABLE crmsync_reread_seen (
            object_name  TEXT NOT NULL,
            crm_id       TEXT NOT NULL,
            PRIMARY KEY (object_name, crm_id)
        ) WITHOUT ROWID;
        """,

        // 9: the run lock records the holder as the kernel knows it on Linux: its start in clock ticks since boot
        // (/proc/<pid>/stat field 22) and the boot it started in (/proc/sys/kernel/random/boot_id). Both are fixed for the
        // life of the process, unlike process_started_at, which .NET derives from the wall clock at each reading (a clock
        // step made a live holder look like a reused pid, and its lease was taken over). NULL on other systems and older code.
        """
        ALTER TABLE crmsync_run_lock ADD COLUMN process_start_ticks INTEGER;
        ALTER TABLE crmsync_run_lock ADD COLUMN boot_id TEXT;
        """,
    ];

    /// <summary>Code run after a migration's SQL, in its transaction, by migration number.</summary>
    public static IReadOnlyDictionary<int, Action<SqliteConnection, SqliteTransaction>> DataSteps { get; } =
        new Dictionary<int, Action<SqliteConnection, SqliteTransaction>> { [6] = FillFieldRoles };

    /// <summary>
    /// Migration 6's data step: the roles and neutral type of every catalogued field, from the names and native types
    /// the catalog already has, as the profile's CRM provider would report them (<see cref="ICrmProvider.RolesFromNames"/>;
    /// profiles from before this migration are all Salesforce, since connecting refused every other CRM).
    /// </summary>
    private static void FillFieldRoles(SqliteConnection connection, SqliteTransaction transaction)
    {
        var kind = CrmKind.Salesforce;
        using (var profile = connection.Command(transaction, "SELECT crm_kind FROM crmsync_profile WHERE id = 1;"))
            if (profile.ExecuteScalar() is string text && Enum.TryParse<CrmKind>(text, ignoreCase: true, out var parsed))
                kind = parsed;
        var provider = CrmProviders.For(kind);

        var rows = new List<(long Id, string Object, string Field, string NativeType)>();
        using (var read = connection.Command(transaction, "SELECT id, object_name, field_name, coalesce(replaced_type, crm_type) FROM crmsync_field_catalog ORDER BY id;"))
        using (var reader = read.ExecuteReader())
            while (reader.Read())
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));

        foreach (var group in rows.GroupBy(r => r.Object, StringComparer.OrdinalIgnoreCase))
        {
            var roles = provider.RolesFromNames(group.Key, group.Select(r => r.Field).ToList());
            foreach (var row in group)
            {
                using var update = connection.Command(transaction, "UPDATE crmsync_field_catalog SET roles = $roles, field_type = $type WHERE id = $id;")
                    .With("$roles", FieldCatalog.FormatRoles(roles.GetValueOrDefault(row.Field))).With("$type", FieldTypeMapping.ParseNativeType(row.NativeType).ToString())
                    .With("$id", row.Id);
                update.ExecuteNonQuery();
            }
        }
    }

    /// <summary>The schema version this code writes (the number of migrations).</summary>
    public static int Latest => All.Count;
}
