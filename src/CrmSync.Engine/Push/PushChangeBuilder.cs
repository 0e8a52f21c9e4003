using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Push;

/// <summary>
/// Decides what one local row sends to the CRM: the object it goes to, the fields of an update or a create (the required
/// fields' placeholders, the client key on the External ID field, a new membership's references resolved to CRM ids),
/// and which local edits are not pushed and why. The CRM's rules come from its provider (<see cref="SyncedObjectCatalog"/>:
/// person rules, membership references, upserts on the key).
/// </summary>
internal sealed class PushChangeBuilder(CrmSyncStore store, PushFieldMap map, PushOptions options)
{
    private const string PersonTable = SyncedObjectCatalog.PersonTable;

    private readonly CrmSyncStore _store = store;
    private readonly PushFieldMap _map = map;
    private readonly PushOptions _options = options;
    private CrmPersonRules Persons => _map.Catalog.Persons;

    /// <summary>The CRM object a row's change goes to (a person by its <c>_crm_type</c>, a new one as the create kind); null when not pushed.</summary>
    public PushedObject? ObjectOf(PushRowChange row)
    {
        if (string.Equals(row.Table, PersonTable, StringComparison.OrdinalIgnoreCase))
            return _map.FindPersonKind(row.CrmType ?? Persons.CreateKind); // a local insert with a _crm_type is created as that kind
        return _map.Objects.FirstOrDefault(o => string.Equals(o.TableName, row.Table, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The update of a row that has a CRM id: only its changed columns whose rule pushes and that the sync user may update.</summary>
    public PushWorkItem BuildUpdate(PushRowChange row, PushedObject obj)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var pushed = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var notPushed = new List<(PushedField?, string, string)>();
        foreach (var column in row.Columns.Where(c => _map.TableColumns[row.Table].Contains(c, StringComparer.OrdinalIgnoreCase)))
        {
            var field = obj.ByColumn(column);
            if (field is null)
                notPushed.Add((null, column, $"column {column} is not a field of {obj.ObjectName}"));
            else if (!field.PushesOnUpdate)
                notPushed.Add((field, column, WhyNotPushed(field, create: false)));
            else
            {
                var stored = row.Values.GetValueOrDefault(column);
                values[field.FieldName] = ToCrm(stored, field.Type);
                pushed[column] = stored;
            }
        }
        return new PushWorkItem(row, obj, false, new CrmRecordChange(row.CrmId, values), pushed, notPushed);
    }

    /// <summary>The create of a row without a CRM id; null when it must wait (a member whose person or campaign is not in the CRM yet).</summary>
    public PushWorkItem? BuildCreate(PushRowChange row, PushedObject obj)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var pushed = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var notPushed = new List<(PushedField?, string, string)>();
        foreach (var field in obj.Fields)
        {
            var stored = row.Values.GetValueOrDefault(field.ColumnName);
            if (stored is null)
                continue;
            if (field.PushesOnCreate)
            {
                values[field.FieldName] = ToCrm(stored, field.Type);
                pushed[field.ColumnName] = stored;
            }
            else if (row.Columns.Contains(field.ColumnName) && FieldMappingService.Pushes(field.Rule) && !IsSystemField(field))
                notPushed.Add((field, field.ColumnName, WhyNotPushed(field, create: true)));
        }
        if (obj.Object.IsPerson)
        {
            // The CRM's required-on-create fields (its person rules); Marketo documents "[not provided]" for an empty one.
            // First push only: later pushes are updates, which send only what changed.
            var person = Persons.OfObject(obj.ObjectName) ?? Persons.CreateObject;
            foreach (var required in person.RequiredOnCreate)
                if (!values.TryGetValue(required, out var v) || v is null || v is string { Length: 0 })
                    values[required] = _options.RequiredFieldPlaceholder;
            // A person created locally is meant to sync: where the profile's sync-filter field (its own, or the CRM's default)
            // is a pushed Two Options field left empty, the record is created as Yes, so a filter column whose default is No
            // (as Marketo advises for CRM-made records) does not filter out the record's later CRM edits. An explicit local
            // value (No included) is sent as it is.
            if (_map.SyncFilterField is { } filter && obj.ByField(filter) is { PushesOnCreate: true, Type: CrmFieldType.Boolean } && !values.ContainsKey(filter))
                values[filter] = true;
        }
        if (Persons.Membership is { } membership && string.Equals(obj.ObjectName, membership.ObjectName, StringComparison.OrdinalIgnoreCase))
        {
            if (!ResolveMemberReferences(membership, values))
                return null;
        }
        if (row.ClientKey is not null && UsesExternalId(obj))
            values[_map.ExternalIdField] = row.ClientKey;
        return new PushWorkItem(row, obj, true, new CrmRecordChange(null, values), pushed, notPushed);
    }

    /// <summary>A field the CRM maintains itself: by its catalogued role, or named by the provider (e.g. audit stamps).</summary>
    private bool IsSystemField(PushedField field) =>
        (field.Roles & (CrmFieldRole.PrimaryId | CrmFieldRole.DeletedFlag | CrmFieldRole.ModificationStamp | CrmFieldRole.CreatedDate)) != 0
        || _map.Catalog.SystemFields.Contains(field.FieldName);

    private static string WhyNotPushed(PushedField field, bool create) =>
        !FieldMappingService.Pushes(field.Rule) ? $"its mapping rule is {field.Rule}"
        : field.IsCalculated ? "it is a formula (calculated) field"
        : create ? "the sync user may not set it on create"
        : "it is read-only for the sync user";

    /// <summary>
    /// A new membership names its person in the person reference of its kind and its group in the group reference (the
    /// provider's <see cref="CrmMembershipRules"/>), by CRM id or, for one created locally and not pushed yet, by its
    /// <c>_client_key</c>. Returns false when the person or group is not in the CRM yet: the member waits for a later push.
    /// </summary>
    private bool ResolveMemberReferences(CrmMembershipRules membership, Dictionary<string, object?> values) =>
        _store.Read(connection => ResolveMemberReferences(connection, membership, values));

    private bool ResolveMemberReferences(SqliteConnection connection, CrmMembershipRules membership, Dictionary<string, object?> values)
    {
        var referenceFields = membership.PersonReferenceFields;
        foreach (var name in referenceFields)
        {
            if (values.GetValueOrDefault(name) is not string reference)
                continue;
            var person = Lookup(connection, PersonTable, reference, withType: true);
            if (person is null)
                continue; // not a local person: the CRM decides
            if (person.Value.CrmId is null)
                return false;
            foreach (var field in referenceFields)
                values.Remove(field);
            values[membership.PersonReferenceFor(person.Value.Type)] = person.Value.CrmId;
            break;
        }
        var groupTable = _map.Catalog.TableOf(membership.GroupObject);
        if (values.GetValueOrDefault(membership.GroupReference) is string group && groupTable is not null && _map.TableColumns.ContainsKey(groupTable))
        {
            var found = Lookup(connection, groupTable, group, withType: false);
            if (found is { CrmId: null })
                return false;
            if (found is { CrmId: { } id })
                values[membership.GroupReference] = id;
        }
        return true;
    }

    private (string? CrmId, string? Type)? Lookup(SqliteConnection connection, string table, string reference, bool withType)
    {
        using var read = connection.Command(null, $"""
            SELECT "{SystemColumns.CrmId}", {(withType ? $"\"{SystemColumns.CrmType}\"" : "NULL")} FROM {SqlIdentifier.Quote(table)}
            WHERE "{SystemColumns.CrmId}" = $ref OR "{SystemColumns.ClientKey}" = $ref LIMIT 1;
            """).With("$ref", reference);
        using var reader = read.ExecuteReader();
        return reader.Read() ? (reader.NullableString(0), reader.NullableString(1)) : null;
    }

    /// <summary>True when creates of <paramref name="obj"/> are upserts on the External ID field (the provider's <see cref="SyncedObjectCatalog.UpsertOnKey"/>, else where catalogued).</summary>
    public bool UsesExternalId(PushedObject obj) =>
        _map.Catalog.UpsertOnKey.Contains(obj.ObjectName)
        || _store.FieldCatalog.List(obj.ObjectName).Any(e => e.IsExternalId && !e.IsOrphaned
              && string.Equals(e.FieldName, _map.ExternalIdField, StringComparison.OrdinalIgnoreCase));

    /// <summary>A stored value as the CRM wants it: booleans are 0/1 locally, blobs travel as base64.</summary>
    internal static object? ToCrm(object? stored, CrmFieldType type) => stored switch
    {
        null => null,
        long l when type == CrmFieldType.Boolean => l != 0,
        string s when type == CrmFieldType.Boolean => s is "1" || string.Equals(s, "true", StringComparison.OrdinalIgnoreCase),
        double d when type is CrmFieldType.Integer or CrmFieldType.Long && Math.Abs(d % 1) == 0 && Math.Abs(d) < 9e15 => (long)d,
        byte[] bytes => Convert.ToBase64String(bytes),
        _ => stored,
    };
}
