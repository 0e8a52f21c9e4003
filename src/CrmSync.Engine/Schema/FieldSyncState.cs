using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>What the local database already holds that the field plan depends on.</summary>
/// <param name="Catalog">Every catalogued field.</param>
/// <param name="Mappings">Every field mapping.</param>
/// <param name="ExistingTables">The tables that exist (case-insensitive).</param>
/// <param name="Labels">The last known CRM label of each catalogued field (object, field).</param>
/// <param name="StoredExclusions">The exclusion patterns stored in the profile.</param>
public sealed record FieldSyncState(
    IReadOnlyList<FieldCatalogEntry> Catalog,
    IReadOnlyList<FieldMapping> Mappings,
    IReadOnlySet<string> ExistingTables,
    IReadOnlyDictionary<string, string> Labels,
    FieldExclusionSet StoredExclusions)
{
    /// <summary>The table keeping the last known label of each catalogued field, for rename detection and display (created by the store's migrations).</summary>
    internal const string LabelTable = "crmsync_schema_field_label";

    /// <summary>The remembered field selection (-Field patterns) of the profile; empty: every field is selected.</summary>
    public FieldExclusionSet StoredSelection { get; init; } = FieldExclusionSet.Empty;

    /// <summary>The profile's own sync filter field (-SyncFilterField), kept by a -Field selection like the default one; null: the default.</summary>
    public string? SyncFilterField { get; init; }

    /// <summary>An empty database.</summary>
    public static FieldSyncState Empty { get; } = new([], [], new HashSet<string>(), new Dictionary<string, string>(), FieldExclusionSet.Empty);

    /// <summary>The key of <see cref="Labels"/>: "object.field" in lower case.</summary>
    public static string LabelKey(string objectName, string fieldName) => (objectName + "." + fieldName).ToLowerInvariant();

    /// <summary>Reads the state from <paramref name="store"/> (inside <paramref name="transaction"/> when given).</summary>
    public static FieldSyncState Read(CrmSyncStore store, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var profile = store.Profile.Read(transaction) ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        var catalog = store.FieldCatalog.List(transaction: transaction);
        var mappings = store.FieldMappings.List(transaction: transaction);
        var (tables, labels) = store.Read(transaction, (connection, tx) =>
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            using (var command = connection.Command(tx, "SELECT name FROM sqlite_schema WHERE type = 'table';"))
            using (var reader = command.ExecuteReader())
                while (reader.Read())
                    names.Add(reader.GetString(0));
            var known = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var command = connection.Command(tx, $"SELECT object_name, field_name, label FROM {LabelTable};"))
            using (var reader = command.ExecuteReader())
                while (reader.Read())
                    known[LabelKey(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            return (names, known);
        });
        return new FieldSyncState(catalog, mappings, tables, labels, FieldExclusionSet.FromSettingsJson(profile.SettingsJson))
        {
            StoredSelection = FieldExclusionSet.FromSettingsJson(profile.SettingsJson, FieldExclusionSet.SelectionSettingsProperty),
            SyncFilterField = profile.SyncFilterField,
        };
    }
}
