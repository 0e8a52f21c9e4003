using System.Text.Json;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Data;

public sealed partial class SalesforceStore
{
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    /// <summary>Fields the API user may see (field-level security of the restricted user applied).</summary>
    public static bool IsVisible(FieldDefinition field, bool restricted) => !(restricted && field.HiddenFromRestrictedUser);

    private static SaveError NoSuchColumn(SObjectDefinition sobject, string name) =>
        new("INVALID_FIELD", $"No such column '{name}' on sobject of type {sobject.Name}", [name]);

    private static SaveError NotWritable(IReadOnlyList<string> names) =>
        new("INVALID_FIELD_FOR_INSERT_UPDATE",
            $"Unable to create/update fields: {string.Join(", ", names)}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            names);

    /// <summary>Creates a record.</summary>
    public WriteOutcome Create(SObjectDefinition sobject, IReadOnlyDictionary<string, object?> input, WriteContext context)
    {
        lock (Sync)
        {
            if (!sobject.Createable && !context.System)
            {
                return WriteOutcome.Fail(null, new SaveError("INVALID_TYPE_FOR_OPERATION", $"entity type {sobject.Name} does not support insert"));
            }
            var fields = sobject.FieldSet;
            var values = new object?[fields.SlotCount];
            var given = new HashSet<string>(StringComparer.Ordinal);
            if (ApplyInput(sobject, id: null, input, context, values, given) is { } failed)
            {
                return failed;
            }
            foreach (var field in fields.Fields)
            {
                if (!given.Contains(field.Name) && field.DefaultValue is not null)
                {
                    values[field.Ordinal] = field.DefaultValue is bool b ? (b ? BoxedTrue : BoxedFalse) : field.DefaultValue;
                }
                else if (!given.Contains(field.Name) && field.Type == FieldType.Boolean)
                {
                    values[field.Ordinal] = BoxedFalse;
                }
            }
            string id = context.System && fields.Find("Id") is { } idField && values[idField.Ordinal] is string presetId ? presetId : NewId(sobject);
            Set(fields, values, "Id", id);
            Set(fields, values, "OwnerId", Get(fields, values, "OwnerId") ?? context.UserId);
            var stamp = NextStamp();
            if (!context.System || Get(fields, values, "CreatedDate") is null)
            {
                Set(fields, values, "CreatedDate", stamp);
                Set(fields, values, "CreatedById", context.UserId);
            }
            if (!context.System || Get(fields, values, "LastModifiedDate") is null)
            {
                Set(fields, values, "LastModifiedDate", stamp);
                Set(fields, values, "LastModifiedById", context.UserId);
            }
            if (!context.System || Get(fields, values, "SystemModstamp") is null)
            {
                Set(fields, values, "SystemModstamp", stamp);
            }
            Derive(sobject, fields, values);
            var check = CheckRecord(sobject, fields, values, id, given, isCreate: true);
            if (check.Count > 0)
            {
                return new WriteOutcome(null, check);
            }
            PutRecord(sobject, new StoredRecord(id, values));
            return new WriteOutcome(id, []);
        }
    }

    /// <summary>Updates a record.</summary>
    public WriteOutcome Update(SObjectDefinition sobject, string id, IReadOnlyDictionary<string, object?> input, WriteContext context)
    {
        lock (Sync)
        {
            var existing = _tables[sobject.Name].Find(id);
            if (existing is null || IsDeleted(sobject, existing))
            {
                return WriteOutcome.Fail(id, new SaveError("ENTITY_IS_DELETED", "entity is deleted"));
            }
            if (!sobject.Updateable && !context.System)
            {
                return WriteOutcome.Fail(id, new SaveError("INVALID_TYPE_FOR_OPERATION", $"entity type {sobject.Name} does not support update"));
            }
            var fields = sobject.FieldSet;
            if (!context.System && fields.Find("IsConverted") is { } converted && existing.Get(converted) is true)
            {
                return WriteOutcome.Fail(id, new SaveError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"));
            }
            var values = existing.CopyValues(fields.SlotCount);
            var given = new HashSet<string>(StringComparer.Ordinal);
            if (ApplyInput(sobject, id, input, context, values, given) is { } failed)
            {
                return failed;
            }
            var stamp = NextStamp();
            if (!(context.System && given.Contains("LastModifiedDate")))
            {
                Set(fields, values, "LastModifiedDate", stamp);
                Set(fields, values, "LastModifiedById", context.UserId);
            }
            if (!(context.System && given.Contains("SystemModstamp")))
            {
                Set(fields, values, "SystemModstamp", stamp);
            }
            Derive(sobject, fields, values);
            var check = CheckRecord(sobject, fields, values, id, given, isCreate: false);
            if (check.Count > 0)
            {
                return new WriteOutcome(id, check);
            }
            PutRecord(sobject, new StoredRecord(id, values));
            return new WriteOutcome(id, []);
        }
    }

    /// <summary>
    /// Writes a create's (<paramref name="id"/> null) or an update's input into <paramref name="values"/> and names the
    /// fields given in <paramref name="given"/>. Returns the failed outcome (an unknown or hidden field, an Id on insert,
    /// fields the user may not write, values that do not fit), or null when the values are ready.
    /// </summary>
    private static WriteOutcome? ApplyInput(SObjectDefinition sobject, string? id, IReadOnlyDictionary<string, object?> input, WriteContext context,
        object?[] values, HashSet<string> given)
    {
        bool isCreate = id is null;
        var fields = sobject.FieldSet;
        var errors = new List<SaveError>();
        var notWritable = new List<string>();
        foreach (var (name, raw) in input)
        {
            if (string.Equals(name, "attributes", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var field = fields.Find(name);
            if (field is null || !IsVisible(field, context.Restricted))
            {
                return WriteOutcome.Fail(id, NoSuchColumn(sobject, name));
            }
            if (field.Type == FieldType.Id)
            {
                if (!isCreate)
                {
                    continue;
                }
                if (!context.System)
                {
                    return WriteOutcome.Fail(id, new SaveError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]));
                }
            }
            if ((!(isCreate ? field.Createable : field.Updateable) || field.Calculated) && !context.System)
            {
                notWritable.Add(field.Name);
                continue;
            }
            if (field.Calculated)
            {
                continue;
            }
            values[field.Ordinal] = ValueCoercion.Coerce(field, raw, out var error);
            if (error is not null)
            {
                errors.Add(error);
            }
            given.Add(field.Name);
        }
        if (notWritable.Count > 0)
        {
            return WriteOutcome.Fail(id, NotWritable(notWritable));
        }
        if (errors.Count > 0)
        {
            return new WriteOutcome(id, errors);
        }
        return null;
    }

    /// <summary>Soft-deletes a record (IsDeleted = true, logged for /deleted/ and kept for queryAll).</summary>
    public WriteOutcome Delete(SObjectDefinition sobject, string id, WriteContext context)
    {
        lock (Sync)
        {
            if (!sobject.Deletable && !context.System)
            {
                return WriteOutcome.Fail(id, new SaveError("INVALID_TYPE_FOR_OPERATION", $"entity type {sobject.Name} does not support delete"));
            }
            var existing = _tables[sobject.Name].Find(id);
            if (existing is null || IsDeleted(sobject, existing))
            {
                return WriteOutcome.Fail(id, new SaveError("ENTITY_IS_DELETED", "entity is deleted"));
            }
            MarkDeleted(sobject, existing, context, masterRecordId: null);
            CascadeDelete(sobject, id, context);
            return new WriteOutcome(id, []);
        }
    }

    internal void MarkDeleted(SObjectDefinition sobject, StoredRecord existing, WriteContext context, string? masterRecordId)
    {
        var fields = sobject.FieldSet;
        var values = existing.CopyValues(fields.SlotCount);
        var stamp = NextStamp();
        Set(fields, values, "IsDeleted", BoxedTrue);
        if (masterRecordId is not null)
        {
            Set(fields, values, "MasterRecordId", masterRecordId);
        }
        Set(fields, values, "LastModifiedDate", stamp);
        Set(fields, values, "LastModifiedById", context.UserId);
        Set(fields, values, "SystemModstamp", stamp);
        PutRecord(sobject, new StoredRecord(existing.Id, values));
        LogDeletion(sobject, existing.Id, stamp);
    }

    private void CascadeDelete(SObjectDefinition parent, string parentId, WriteContext context)
    {
        (string Child, string Field)[] links = parent.Name switch
        {
            "Lead" => [("CampaignMember", "LeadId")],
            "Contact" => [("CampaignMember", "ContactId"), ("OpportunityContactRole", "ContactId")],
            "Campaign" => [("CampaignMember", "CampaignId")],
            "Opportunity" => [("OpportunityContactRole", "OpportunityId")],
            _ => [],
        };
        foreach (var (childName, fieldName) in links)
        {
            var child = _definitions[childName];
            if (child.Field(fieldName) is not { } link)
            {
                continue;
            }
            foreach (var row in _tables[childName].Snapshot())
            {
                if (row.Get(link) as string == parentId && !IsDeleted(child, row))
                {
                    MarkDeleted(child, row, context, null);
                }
            }
        }
    }

    /// <summary>Upserts on an External ID field (or Id): creates, updates, or reports several matches.</summary>
    public WriteOutcome Upsert(SObjectDefinition sobject, FieldDefinition keyField, string keyValue, IReadOnlyDictionary<string, object?> input, WriteContext context)
    {
        lock (Sync)
        {
            var body = input.Where(p => !string.Equals(p.Key, keyField.Name, StringComparison.OrdinalIgnoreCase)
                                        && !string.Equals(p.Key, "attributes", StringComparison.OrdinalIgnoreCase)
                                        && !(keyField.Type != FieldType.Id && string.Equals(p.Key, "Id", StringComparison.OrdinalIgnoreCase)))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
            if (keyField.Type == FieldType.Id)
            {
                if (!SalesforceId.TryNormalize(keyValue, out var normalized))
                {
                    return WriteOutcome.Fail(null, new SaveError("MALFORMED_ID", $"Record ID: id value of incorrect type: {keyValue}", ["Id"]));
                }
                var found = _tables[sobject.Name].Find(normalized);
                if (found is null || IsDeleted(sobject, found))
                {
                    return WriteOutcome.Fail(normalized, new SaveError("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + keyValue));
                }
                var updated = Update(sobject, normalized, body, context);
                return updated with { Created = false };
            }
            var matches = FindByExternalId(sobject, keyField, keyValue);
            if (matches.Count > 1)
            {
                return new WriteOutcome(null, [], null, matches);
            }
            if (matches.Count == 1)
            {
                return Update(sobject, matches[0], body, context) with { Created = false };
            }
            body[keyField.Name] = keyValue;
            return Create(sobject, body, context) with { Created = true };
        }
    }

    private void Derive(SObjectDefinition sobject, FieldSet fields, object?[] values)
    {
        switch (sobject.Name)
        {
            case "CampaignMember":
                bool responded = Get(fields, values, "Status") as string == "Responded";
                Set(fields, values, "HasResponded", responded ? BoxedTrue : BoxedFalse);
                if (responded && Get(fields, values, "FirstRespondedDate") is null)
                {
                    Set(fields, values, "FirstRespondedDate", Today);
                }
                break;
            case "Opportunity":
                var stage = Get(fields, values, "StageName") as string;
                Set(fields, values, "IsClosed", stage is "Closed Won" or "Closed Lost" ? BoxedTrue : BoxedFalse);
                Set(fields, values, "IsWon", stage == "Closed Won" ? BoxedTrue : BoxedFalse);
                break;
            case "Task":
                Set(fields, values, "IsClosed", Get(fields, values, "Status") as string == "Completed" ? BoxedTrue : BoxedFalse);
                break;
        }
    }

    private List<SaveError> CheckRecord(SObjectDefinition sobject, FieldSet fields, object?[] values, string id, HashSet<string> given, bool isCreate)
    {
        var errors = new List<SaveError>();
        var missing = fields.Fields
            .Where(f => !f.Nillable && f.Createable && !f.Calculated && f.Type != FieldType.Boolean && Get(values, f) is null && (isCreate || given.Contains(f.Name)))
            .Select(f => f.Name)
            .ToList();
        if (missing.Count > 0)
        {
            errors.Add(new SaveError("REQUIRED_FIELD_MISSING", $"Required fields are missing: [{string.Join(", ", missing)}]", missing));
            return errors;
        }
        foreach (var field in fields.Fields)
        {
            if (!given.Contains(field.Name) || Get(values, field) is not { } value)
            {
                continue;
            }
            if (field.Type == FieldType.Reference && value is string target)
            {
                var targetType = DefinitionForId(target);
                if (targetType is null)
                {
                    if (field.ReferenceTo.Any(t => _definitions.ContainsKey(t)) && !field.ReferenceTo.Contains("Group"))
                    {
                        errors.Add(new SaveError("FIELD_INTEGRITY_EXCEPTION", $"{field.Label}: id value of incorrect type: {target}", [field.Name]));
                    }
                    continue;
                }
                if (!field.ReferenceTo.Contains(targetType.Name, StringComparer.Ordinal))
                {
                    errors.Add(new SaveError("FIELD_INTEGRITY_EXCEPTION", $"{field.Label}: id value of incorrect type: {target}", [field.Name]));
                    continue;
                }
                var referenced = _tables[targetType.Name].Find(target);
                if (referenced is null)
                {
                    errors.Add(new SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field.Name]));
                }
                else if (IsDeleted(targetType, referenced))
                {
                    errors.Add(new SaveError("ENTITY_IS_DELETED", "entity is deleted", [field.Name]));
                }
            }
            if (field.Unique && value is string key)
            {
                var clash = field.ExternalId
                    ? FindByExternalId(sobject, field, key).FirstOrDefault(other => other != id)
                    : null;
                if (clash is not null)
                {
                    errors.Add(new SaveError("DUPLICATE_VALUE", $"duplicate value found: {field.Name} duplicates value on record with id: {clash}", [field.Name]));
                }
            }
        }
        return errors;
    }

    private static object? Get(object?[] values, FieldDefinition field) => field.Ordinal < values.Length ? values[field.Ordinal] : null;

    private static object? Get(FieldSet fields, object?[] values, string name) => fields.Find(name) is { } f ? Get(values, f) : null;

    private static void Set(FieldSet fields, object?[] values, string name, object? value)
    {
        if (fields.Find(name) is { } field)
        {
            values[field.Ordinal] = value;
        }
    }

    // ---- lead conversion, merge and schema edits: their own types ----------------------------------------------

    /// <summary>Converts a lead as Salesforce records it (see <see cref="LeadConversion"/>).</summary>
    public LeadConvertResult ConvertLead(LeadConvertRequest request, WriteContext context) => new LeadConversion(this).Convert(request, context);

    /// <summary>Merges up to two records into a master (see <see cref="RecordMerge"/>).</summary>
    public MergeResult Merge(SObjectDefinition sobject, string masterId, IReadOnlyList<string> mergeIds, IReadOnlyDictionary<string, object?>? masterChanges, WriteContext context) =>
        new RecordMerge(this).Merge(sobject, masterId, mergeIds, masterChanges, context);

    /// <summary>Adds a field to an sObject (see <see cref="SchemaEditor"/>).</summary>
    public FieldDefinition AddField(SObjectDefinition sobject, FieldDefinition field) => new SchemaEditor(this).AddField(sobject, field);

    /// <summary>Removes a field; stored values disappear from every read.</summary>
    public void RemoveField(SObjectDefinition sobject, string name) => new SchemaEditor(this).RemoveField(sobject, name);

    /// <summary>Renames a field, keeping its values.</summary>
    public void RenameField(SObjectDefinition sobject, string name, string newName, string? newLabel) => new SchemaEditor(this).RenameField(sobject, name, newName, newLabel);

    /// <summary>Changes a field's type, converting stored values (values that do not convert become null).</summary>
    public void ChangeFieldType(SObjectDefinition sobject, string name, FieldType type, int? length) => new SchemaEditor(this).ChangeFieldType(sobject, name, type, length);

    /// <summary>
    /// Points the <paramref name="setField"/> of every live <paramref name="childName"/> record whose <paramref name="matchField"/>
    /// is <paramref name="oldId"/> at <paramref name="newId"/> (only where it is empty when <paramref name="onlyIfEmpty"/>). Returns the changed ids.
    /// </summary>
    internal List<string> Repoint(string childName, string matchField, string oldId, string setField, string newId, WriteContext context, bool onlyIfEmpty)
    {
        var changed = new List<string>();
        var child = _definitions[childName];
        if (child.Field(matchField) is not { } match || child.Field(setField) is not { } set)
        {
            return changed;
        }
        foreach (var row in _tables[childName].Snapshot())
        {
            if (row.Get(match) as string != oldId || IsDeleted(child, row) || (onlyIfEmpty && row.Get(set) is not null))
            {
                continue;
            }
            if (Update(child, row.Id, new Dictionary<string, object?> { [set.Name] = newId }, context).Success)
            {
                changed.Add(row.Id);
            }
        }
        return changed;
    }


    /// <summary>Publishes a schema change of <paramref name="sobject"/>: version bumped, indexes reset, journal rewritten.</summary>
    internal void SchemaChanged(SObjectDefinition sobject)
    {
        Interlocked.Increment(ref _schemaVersion);
        _tables[sobject.Name].ResetIndexes();
        if (_journal is null)
        {
            return;
        }
        _journal.SetMeta("schema." + sobject.Name, JsonSerializer.Serialize(new PersistedSchema(sobject.FieldSet.Fields.ToList(), sobject.FieldSet.SlotCount)));
        _journal.Truncate(sobject.Name);
        _journal.Upsert(sobject.Name, _tables[sobject.Name].Snapshot().Select(r => ToRow(sobject, r)));
    }

    private static void RestoreSchema(SObjectDefinition sobject, string json)
    {
        var persisted = JsonSerializer.Deserialize<PersistedSchema>(json);
        if (persisted is null)
        {
            return;
        }
        var fields = persisted.Fields.Select(f => f with { DefaultValue = ValueCoercion.Unwrap(f.DefaultValue) }).ToList();
        sobject.RestoreFieldSet(fields, persisted.SlotCount);
    }

    private sealed record PersistedSchema(List<FieldDefinition> Fields, int SlotCount);
}
