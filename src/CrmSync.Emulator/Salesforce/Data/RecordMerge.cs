using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>
/// A merge as Salesforce records it (SOAP merge and the admin endpoint): the master updated (or touched), up to two losers
/// soft-deleted with MasterRecordId, and every updateable reference to a loser re-pointed at the master; all or nothing.
/// </summary>
internal sealed class RecordMerge(SalesforceStore store)
{
    private readonly SalesforceStore _store = store;

    /// <summary>Merges up to two records into a master: losers are deleted with MasterRecordId, children re-pointed.</summary>
    public MergeResult Merge(SObjectDefinition sobject, string masterId, IReadOnlyList<string> mergeIds, IReadOnlyDictionary<string, object?>? masterChanges, WriteContext context)
    {
        MergeResult? result = null;
        _store.RunAtomically(() =>
        {
            result = MergeCore(sobject, masterId, mergeIds, masterChanges, context);
            return result.Success;
        });
        return result!;
    }

    private MergeResult MergeCore(SObjectDefinition sobject, string masterId, IReadOnlyList<string> mergeIds, IReadOnlyDictionary<string, object?>? masterChanges, WriteContext context)
    {
        MergeResult Fail(string code, string message) => new(masterId, [], [], [new SaveError(code, message)]);
        if (!sobject.Mergeable)
        {
            return Fail("INVALID_TYPE_FOR_OPERATION", $"entity type {sobject.Name} does not support merge");
        }
        if (mergeIds.Count is < 1 or > 2)
        {
            return Fail("INVALID_OPERATION", "A single merge request must contain at least one record to merge, and at most two");
        }
        if (!SalesforceId.TryNormalize(masterId, out var master) || _store.Find(sobject, master) is not { } masterRecord || SalesforceStore.IsDeleted(sobject, masterRecord))
        {
            return Fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
        }
        var losers = new List<string>();
        foreach (var raw in mergeIds)
        {
            if (!SalesforceId.TryNormalize(raw, out var loser) || _store.DefinitionForId(loser) != sobject)
            {
                return Fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
            }
            if (loser == master)
            {
                return Fail("INVALID_OPERATION", "Cannot merge a record with itself");
            }
            var record = _store.Find(sobject, loser);
            if (record is null || SalesforceStore.IsDeleted(sobject, record))
            {
                return Fail("ENTITY_IS_DELETED", "entity is deleted");
            }
            losers.Add(loser);
        }
        if (masterChanges is { Count: > 0 })
        {
            var update = _store.Update(sobject, master, masterChanges, context);
            if (!update.Success)
            {
                return new MergeResult(master, [], [], update.Errors);
            }
        }
        else
        {
            // The master is touched by the merge even when no field changes.
            _store.Update(sobject, master, new Dictionary<string, object?>(), context with { System = true });
        }
        var related = new List<string>();
        var system = context with { Restricted = false, System = true };
        foreach (var loser in losers)
        {
            foreach (var child in _store.Definitions)
            {
                foreach (var field in child.FieldSet.Fields)
                {
                    if (field.Type != FieldType.Reference || !field.ReferenceTo.Contains(sobject.Name) || !field.Updateable
                        || field.Name is "MasterRecordId")
                    {
                        continue;
                    }
                    related.AddRange(_store.Repoint(child.Name, field.Name, loser, field.Name, master, system, onlyIfEmpty: false));
                }
            }
            _store.MarkDeleted(sobject, _store.Find(sobject, loser)!, context, master);
        }
        return new MergeResult(master, losers, related.Distinct().ToList(), []);
    }
}
