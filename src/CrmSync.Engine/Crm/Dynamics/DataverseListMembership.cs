using System.Globalization;
using System.Net;
using System.Text.Json;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Marketing-list membership writes, reached through <see cref="ICrmRecordWriter"/> on the <c>listmember</c> entity the way
/// Salesforce campaign members are written: <see cref="ICrmRecordWriter.CreateAsync"/> adds members,
/// <see cref="ICrmRecordWriter.DeleteAsync"/> removes them by listmember id. Dataverse does not create or delete listmember
/// rows directly, so:
/// <list type="bullet">
/// <item>Add: <c>POST lists({listid})/Microsoft.Dynamics.CRM.AddMemberList {"EntityId": "{member id}"}</c>, which answers the
/// listmember id (<c>{"id": …}</c>). Values: <c>listid</c> (the list's id) and <c>entityid</c> (the lead, contact or account
/// id, bare or as <c>contact:{id}</c>; the list's "Targeted At" decides the type). Adding a member twice is a success: the
/// action answers the existing membership, and a duplicate-key answer (<c>0x80040237</c>, 412) is a success whose id is
/// looked up in one more <c>$batch</c>.</item>
/// <item>Remove: one <c>$batch</c> of <c>GET listmembers({id})?$select=_listid_value,_entityid_value</c> (with the lookup's
/// logical name annotation) finds each membership's list and member, then one <c>$batch</c> of the N:N disassociate
/// <c>DELETE lists({listid})/list{lead|contact|account}_association({member id})/$ref</c> (the Web API has no
/// RemoveMemberList action in every org). A membership that is already gone (404 at either step) is a success.</item>
/// </list>
/// Every part is safe to send twice, so whole batches are retried by the pipeline; each row's failure is its own result
/// (continue-on-error), with <see cref="CrmWriteError.RetryAfter"/> for a throttled part. Updates and upserts of a
/// membership are refused per row (remove it and add it again).
/// </summary>
internal sealed class DataverseListMembership
{
    /// <summary>The marketing-list member entity.</summary>
    public const string MemberEntity = "listmember";

    /// <summary>The marketing-list entity.</summary>
    public const string ListEntity = "list";

    /// <summary>The entity types a static marketing list can hold (its <c>createdfromcode</c>: 1 account, 2 contact, 4 lead).</summary>
    private static readonly string[] MemberTypes = ["account", "contact", "lead"];

    private const string LookupLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname";

    private readonly DataverseSession _session;
    private readonly DataverseSchemaReader _schema;

    public DataverseListMembership(DataverseSession session, DataverseSchemaReader schema)
    {
        _session = session;
        _schema = schema;
    }

    public static bool IsMembership(string objectName) => string.Equals(objectName, MemberEntity, StringComparison.OrdinalIgnoreCase);

    private string ListSet => _schema.SetNameOf(ListEntity) ?? "lists";

    private string MemberSet => _schema.SetNameOf(MemberEntity) ?? "listmembers";

    private string Root => _session.ApiBase.AbsolutePath;

    /// <summary>Refuses each row: a membership has nothing to update.</summary>
    public static IReadOnlyList<CrmWriteResult> RefuseChanges(IReadOnlyList<CrmRecordChange> records) =>
        records.Select((r, i) => new CrmWriteResult(i, r.Id, false, null, [new CrmWriteError("NotSupported",
            "A marketing-list membership cannot be updated: remove it and add it again.", [], IsTransient: false)])).ToList();

    public async Task<IReadOnlyList<CrmWriteResult>> AddAsync(IReadOnlyList<CrmRecordChange> records, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var results = new CrmWriteResult[records.Count];
        for (var start = 0; start < records.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, records.Count - start);
            var sent = new List<(int Index, Guid List, Guid Member)>();
            for (var i = start; i < start + count; i++)
            {
                var values = records[i].Values;
                if (IdOf(values.GetValueOrDefault("listid"), ListEntity) is not { } list)
                    results[i] = Local(i, "InvalidLookup", "The membership needs the list's id in 'listid'.", "listid");
                else if (IdOf(values.GetValueOrDefault("entityid"), null) is not { } member)
                    results[i] = Local(i, "InvalidLookup", "The membership needs the member's id in 'entityid' (a lead, contact or account id, or entity:id).", "entityid");
                else
                    sent.Add((i, list, member));
            }
            if (sent.Count == 0) continue;

            var parts = sent.Select(s => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Post,
                $"{Root}{ListSet}({s.List:D})/Microsoft.Dynamics.CRM.AddMemberList", [],
                "{\"EntityId\":\"" + s.Member.ToString("D", CultureInfo.InvariantCulture) + "\"}"))).ToList();
            var (status, responses) = await _session.SendBatchAsync(parts, idempotent: true, $"adding {sent.Count} marketing list member(s)", cancellationToken)
                .ConfigureAwait(false);
            if (responses.Count != sent.Count)
            {
                StoppedEarly(results, sent.Select(s => s.Index), responses, status);
                continue;
            }
            var lookups = new List<(int Index, Guid List, Guid Member)>();
            for (var j = 0; j < sent.Count; j++)
            {
                var (index, list, member) = sent[j];
                var r = responses[j];
                if (r.IsSuccess && IdFrom(r.Body, "id") is { } id)
                    results[index] = new CrmWriteResult(index, id, true, true, []);
                else if (r.IsSuccess || IsDuplicate(r))
                    lookups.Add(sent[j]);
                else
                    results[index] = DataverseRecordWriter.Failure(index, null, r, _session.UtcNow);
            }
            if (lookups.Count > 0) await LookUpMembershipsAsync(lookups, results, cancellationToken).ConfigureAwait(false);
        }
        return results;
    }

    /// <summary>The listmember ids of memberships that exist (added twice, or added without an id in the answer), in one $batch.</summary>
    private async Task LookUpMembershipsAsync(List<(int Index, Guid List, Guid Member)> lookups, CrmWriteResult[] results, CancellationToken cancellationToken)
    {
        var parts = lookups.Select(l => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get,
            $"{Root}{MemberSet}?$select=listmemberid&$filter=" + Uri.EscapeDataString($"_listid_value eq {l.List:D} and _entityid_value eq {l.Member:D}"), [], null))).ToList();
        var (_, responses) = await _session.SendBatchAsync(parts, idempotent: true, $"the ids of {lookups.Count} marketing list member(s)", cancellationToken)
            .ConfigureAwait(false);
        for (var i = 0; i < lookups.Count; i++)
        {
            var index = lookups[i].Index;
            var r = i < responses.Count ? responses[i] : null;
            // The member is in the list either way: without its listmember id the row still succeeded.
            results[index] = new CrmWriteResult(index, r is { IsSuccess: true } ? FirstId(r.Body) : null, true, false, []);
        }
    }

    public async Task<IReadOnlyList<CrmWriteResult>> RemoveAsync(IReadOnlyList<string> ids, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var results = new CrmWriteResult[ids.Count];
        for (var start = 0; start < ids.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, ids.Count - start);
            var sent = new List<(int Index, Guid Id)>();
            for (var i = start; i < start + count; i++)
            {
                if (Guid.TryParse(ids[i], out var id)) sent.Add((i, id));
                else results[i] = new CrmWriteResult(i, ids[i], false, null, [new CrmWriteError("InvalidId", $"'{ids[i]}' is not a Dataverse id (a GUID).", [], false)]);
            }
            if (sent.Count == 0) continue;

            // 1. Which list and member each membership joins.
            var prefer = new KeyValuePair<string, string>("Prefer", "odata.include-annotations=\"" + LookupLogicalName + "\"");
            var reads = sent.Select(s => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get,
                $"{Root}{MemberSet}({s.Id:D})?$select=_listid_value,_entityid_value", [prefer], null))).ToList();
            var (readStatus, found) = await _session.SendBatchAsync(reads, idempotent: true, $"the lists of {sent.Count} marketing list member(s)", cancellationToken)
                .ConfigureAwait(false);
            if (found.Count != sent.Count)
            {
                StoppedEarly(results, sent.Select(s => s.Index), found, readStatus);
                continue;
            }
            var removals = new List<(int Index, Guid Id, Guid List, string Type, Guid Member)>();
            for (var j = 0; j < sent.Count; j++)
            {
                var (index, id) = sent[j];
                var r = found[j];
                if (r.Status == 404)
                {
                    results[index] = Done(index, id);
                    continue;
                }
                if (!r.IsSuccess)
                {
                    results[index] = DataverseRecordWriter.Failure(index, id.ToString("D", CultureInfo.InvariantCulture), r, _session.UtcNow);
                    continue;
                }
                var membership = ReadMembership(r.Body);
                if (membership is not { } m)
                {
                    results[index] = new CrmWriteResult(index, id.ToString("D", CultureInfo.InvariantCulture), false, null,
                        [new CrmWriteError("CrmProtocolError", "Dynamics 365 did not say which list and member the membership joins.", [], IsTransient: true)]);
                    continue;
                }
                removals.Add((index, id, m.List, m.Type, m.Member));
            }
            if (removals.Count == 0) continue;

            // 2. The N:N disassociate.
            var parts = removals.Select(x => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Delete,
                $"{Root}{ListSet}({x.List:D})/list{x.Type}_association({x.Member:D})/$ref", [], null))).ToList();
            var (status, responses) = await _session.SendBatchAsync(parts, idempotent: true, $"removing {removals.Count} marketing list member(s)", cancellationToken)
                .ConfigureAwait(false);
            if (responses.Count != removals.Count)
            {
                StoppedEarly(results, removals.Select(x => x.Index), responses, status);
                continue;
            }
            for (var j = 0; j < removals.Count; j++)
            {
                var x = removals[j];
                var r = responses[j];
                results[x.Index] = r.IsSuccess || r.Status == 404
                    ? Done(x.Index, x.Id)
                    : DataverseRecordWriter.Failure(x.Index, x.Id.ToString("D", CultureInfo.InvariantCulture), r, _session.UtcNow);
            }
        }
        return results;
    }

    private static CrmWriteResult Done(int index, Guid id) => new(index, id.ToString("D", CultureInfo.InvariantCulture), true, null, []);

    private static CrmWriteResult Local(int index, string code, string message, string field) =>
        new(index, null, false, null, [new CrmWriteError(code, message, [field], IsTransient: false)]);

    /// <summary>Without continue-on-error honoured the batch stopped at a failure: every row of it is retried (all parts are idempotent).</summary>
    private void StoppedEarly(CrmWriteResult[] results, IEnumerable<int> indexes, IReadOnlyList<DataverseBatchResponse> responses, HttpStatusCode status)
    {
        var cause = responses.LastOrDefault(r => !r.IsSuccess);
        var error = cause is null ? new DataverseError("", $"HTTP {(int)status}") : DataverseJson.ParseError(cause.Body) ?? new DataverseError("", $"HTTP {cause.Status}");
        var retryAfter = DataverseRecordWriter.RetryAfterOf(cause, _session.UtcNow);
        foreach (var i in indexes)
            results[i] = new CrmWriteResult(i, null, false, null,
                [new CrmWriteError(error.Code.Length > 0 ? error.Code : $"HTTP {cause?.Status ?? (int)status}", "The batch stopped early: " + error.Message, [], IsTransient: true) { RetryAfter = retryAfter }]);
    }

    /// <summary>A duplicate-key answer: the member is already in the list.</summary>
    private static bool IsDuplicate(DataverseBatchResponse r) =>
        r.Status == 412 || DataverseJson.ParseError(r.Body)?.Code.Equals("0x80040237", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>An id value: a GUID, or <c>entity:GUID</c> (the entity must be <paramref name="entity"/> when given, else a member type).</summary>
    internal static Guid? IdOf(object? value, string? entity)
    {
        var text = value switch
        {
            null => null,
            Guid g => g.ToString("D", CultureInfo.InvariantCulture),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        };
        if (string.IsNullOrWhiteSpace(text)) return null;
        var colon = text.IndexOf(':');
        if (colon > 0)
        {
            var named = text[..colon];
            if (entity is not null ? !named.Equals(entity, StringComparison.OrdinalIgnoreCase) : !MemberTypes.Contains(named, StringComparer.OrdinalIgnoreCase))
                return null;
            text = text[(colon + 1)..];
        }
        return Guid.TryParse(text, out var id) ? id : null;
    }

    private static (Guid List, string Type, Guid Member)? ReadMembership(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var type = DataverseJson.GetString(root, "_entityid_value@" + LookupLogicalName);
            return Guid.TryParse(DataverseJson.GetString(root, "_listid_value"), out var list)
                   && Guid.TryParse(DataverseJson.GetString(root, "_entityid_value"), out var member)
                   && type is not null && MemberTypes.Contains(type, StringComparer.OrdinalIgnoreCase)
                ? (list, type.ToLowerInvariant(), member)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? IdFrom(string body, string property)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            return DataverseJson.GetString(doc.RootElement, property);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? FirstId(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("value", out var rows) && rows.ValueKind == JsonValueKind.Array && rows.GetArrayLength() > 0
                ? DataverseJson.GetString(rows[0], "listmemberid")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
