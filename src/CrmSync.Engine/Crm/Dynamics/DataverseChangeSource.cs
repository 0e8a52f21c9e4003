using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Reads entity rows by Dataverse change tracking (use-change-tracking-synchronize-data-external-systems.md).
/// <list type="bullet">
/// <item>A full read is the first track-changes query, <c>GET {set}?$select=…</c> with <c>Prefer: odata.track-changes,
/// odata.maxpagesize=N</c>: every current row, in pages linked by <c>@odata.nextLink</c> (followed unchanged, with the same
/// Prefer), and on the last page an <c>@odata.deltaLink</c>, which is the <see cref="CrmWatermark"/>. An entity without change
/// tracking is read the same way without the preference and has no watermark.</item>
/// <item>An incremental read GETs the delta link: created and changed rows, then <c>$deletedEntity</c> rows
/// (<see cref="CrmRecord.IsDeleted"/>), and a new delta link. <see cref="CrmChangeReadRequest.Overlap"/> does not apply.</item>
/// <item>A page's <see cref="CrmRecordPage.Cursor"/> is <c>next:{nextLink}</c> while rows remain and <c>delta:{deltaLink}</c>
/// (or <c>done:</c> without change tracking) on the last page; give it back as ResumeCursor after a crash.</item>
/// <item>A delta token older than the org's ExpireChangeTrackingInDays (7 by default) fails with
/// <see cref="ErrorIds.CrmChangeTokenExpired"/>: read the entity in full again.</item>
/// </list>
/// Dataverse has no bulk query API: <see cref="CrmFullReadRequest.Strategy"/> and the bulk settings do not apply.
/// Page size: <see cref="CrmFullReadRequest.PageSize"/> / <see cref="CrmChangeReadRequest.PageSize"/> up to
/// <see cref="MaxPageSize"/> (Dataverse's maximum; the pull should ask for it). Values: lookups are keyed by the attribute's
/// logical name with the referenced id; where the entity has <c>masterid</c> it is always read and a merged row carries the
/// winner as <see cref="CrmRecord.MergedIntoId"/> (Dataverse keeps the loser, deactivated); option sets carry their value as text ("3"; labels are in the schema's picklist values,
/// not on each record); multi-select option sets ';'-separated ("1;3"); Two Options (e.g. the sync filter
/// <c>new_synctomkto</c>) as <see cref="bool"/> or null; datetimes UTC.
/// <para>Neutral facts filled here: <c>modifiedby</c> is always read where the entity has it, and a row last changed by the
/// session's WhoAmI user is <see cref="CrmRecord.ModifiedBySyncUser"/> (no echo). On lead, <c>statecode</c> is always read;
/// a lead read Qualified (1) gets <see cref="CrmRecord.ConvertedIntoId"/> = the contact whose <c>originatingleadid</c> names
/// it, found for the whole page in one <c>$batch</c> (see <see cref="FindConvertedContactsAsync"/>). On contact,
/// <c>originatingleadid</c> is always read and becomes <see cref="CrmRecord.ConvertedFromId"/>.</para>
/// </summary>
public sealed class DataverseChangeSource : ICrmChangeSource
{
    /// <summary>Dataverse's largest page (odata.maxpagesize).</summary>
    public const int MaxPageSize = 5000;

    /// <summary>
    /// Reads per <c>$batch</c>: Dataverse now allows 1000 requests in a batch, older versions 100; CrmSync syncs a handful of
    /// entities, so 100 keeps an idle cycle at one request everywhere.
    /// </summary>
    public const int MaxReadsPerBatch = 100;

    internal const string NextPrefix = "next:";
    internal const string DeltaPrefix = "delta:";
    internal const string DonePrefix = "done:";

    private readonly DataverseSession _session;
    private readonly DataverseSchemaReader _schema;

    internal DataverseChangeSource(DataverseSession session, DataverseSchemaReader schema)
    {
        _session = session;
        _schema = schema;
    }

    public IAsyncEnumerable<CrmRecordPage> ReadAllAsync(CrmFullReadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ReadAsync(request.Object, request.Fields, since: null, request.ResumeCursor, request.PageSize, includeDeleted: false,
            tracked: request.Object.SupportsChangeTracking, cancellationToken);
    }

    public IAsyncEnumerable<CrmRecordPage> ReadChangesAsync(CrmChangeReadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireChangeTracking(request.Object);
        return ReadAsync(request.Object, request.Fields, request.Since, request.ResumeCursor, request.PageSize, request.IncludeDeleted,
            tracked: true, cancellationToken);
    }

    private async IAsyncEnumerable<CrmRecordPage> ReadAsync(CrmObjectSchema entity, IReadOnlyList<string> fields, CrmWatermark? since,
        string? resumeCursor, int pageSize, bool includeDeleted, bool tracked, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var plan = await PlanAsync(entity, fields, cancellationToken).ConfigureAwait(false);
        var size = Math.Clamp(pageSize, 1, MaxPageSize);
        Uri? next;
        if (resumeCursor is not null)
        {
            if (resumeCursor.StartsWith(DeltaPrefix, StringComparison.Ordinal) || resumeCursor.StartsWith(DonePrefix, StringComparison.Ordinal))
            {
                // The read had finished: nothing more to read, the watermark stands.
                var link = resumeCursor.StartsWith(DeltaPrefix, StringComparison.Ordinal) ? resumeCursor[DeltaPrefix.Length..] : null;
                if (link is not null) _session.OrganizationLink(link);
                yield return new CrmRecordPage(entity.Name, [], resumeCursor, link is null ? null : new CrmWatermark(link), HasMore: false, null);
                yield break;
            }
            if (!resumeCursor.StartsWith(NextPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"'{resumeCursor}' is not a Dataverse page cursor.", nameof(resumeCursor));
            next = _session.OrganizationLink(resumeCursor[NextPrefix.Length..]);
        }
        else
        {
            next = since is null ? plan.FirstQuery : _session.OrganizationLink(since.Value);
        }

        var target = "entity " + entity.Name;
        while (next is not null)
        {
            var uri = next;
            using var doc = await _session.SendForJsonAsync(() => Get(uri, size, tracked), target, cancellationToken).ConfigureAwait(false);
            var syncUser = _session.Identity?.UserId;
            var page = DataverseJson.Read(() => ParsePage(plan, doc.RootElement, includeDeleted, tracked, syncUser), target);
            page = await WithConversionsAsync(plan, page, cancellationToken).ConfigureAwait(false);
            next = page.HasMore ? _session.OrganizationLink(page.Cursor[NextPrefix.Length..]) : null;
            if (page.Watermark is { } w) _session.OrganizationLink(w.Value);
            yield return page;
        }
    }

    internal static HttpRequestMessage Get(Uri uri, int pageSize, bool tracked)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Prefer", PreferHeader(pageSize, tracked));
        return request;
    }

    internal static string PreferHeader(int pageSize, bool tracked) =>
        (tracked ? "odata.track-changes, " : "") + "odata.maxpagesize=" + pageSize.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The first page of each entity's changes, all in one <c>$batch</c> (up to <see cref="MaxReadsPerBatch"/> reads per batch): an idle cycle costs one
    /// request. An entity that cannot be read (no change tracking, an unknown column, an expired token, a refused privilege)
    /// gets its own <see cref="CrmChangeBatchItem.Error"/>; the items come back in request order.
    /// </summary>
    /// <inheritdoc />
    public int MaxObjectsPerBatchedRead => MaxReadsPerBatch;

    /// <summary>Deletions come in the delta (<c>$deletedEntity</c> rows), there is no delete log and no bulk query API.</summary>
    public CrmChangeCapabilities Capabilities { get; } = new(DeletionsInChanges: true, DeleteLogRetention: null, HasBulkReads: false,
        UsageHeader: "x-ms-ratelimit-burst-remaining-xrm-requests") { PreferredPageSize = MaxPageSize };

    public async Task<IReadOnlyList<CrmChangeBatchItem>> ReadChangesBatchAsync(IReadOnlyList<CrmChangeReadRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new CrmChangeBatchItem?[requests.Count];
        var plans = new List<(int Index, CrmChangeReadRequest Request, ReadPlan Plan, int Size, Uri Uri)>();
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            try
            {
                RequireChangeTracking(request.Object);
                var plan = await PlanAsync(request.Object, request.Fields, cancellationToken).ConfigureAwait(false);
                var uri = request.ResumeCursor is { } c && c.StartsWith(NextPrefix, StringComparison.Ordinal) ? _session.OrganizationLink(c[NextPrefix.Length..])
                    : request.Since is { } since ? _session.OrganizationLink(since.Value)
                    : request.ResumeCursor is { } d && d.StartsWith(DeltaPrefix, StringComparison.Ordinal) ? _session.OrganizationLink(d[DeltaPrefix.Length..])
                    : plan.FirstQuery;
                plans.Add((i, request, plan, Math.Clamp(request.PageSize, 1, MaxPageSize), uri));
            }
            catch (CrmSyncException ex) when (ex.ErrorId is ErrorIds.CrmNotSupported or ErrorIds.CrmFieldNotFound or ErrorIds.CrmProtocolError or ErrorIds.CrmObjectNotFound)
            {
                results[i] = new CrmChangeBatchItem(request, null, ex);
            }
        }

        foreach (var chunk in plans.Chunk(MaxReadsPerBatch))
        {
            var parts = chunk.Select(p => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get, p.Uri.PathAndQuery,
                [new("Prefer", PreferHeader(p.Size, tracked: true))], null))).ToList();
            var (status, responses) = await _session.SendBatchAsync(parts, idempotent: true, "the change reads", cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                var (index, request, plan, _, _) = chunk[i];
                var target = "entity " + request.Object.Name;
                results[index] = i >= responses.Count
                    ? new CrmChangeBatchItem(request, null, new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                        $"Dynamics 365 stopped the batch (HTTP {(int)status}) before reading {target}.", "The next cycle reads it again.", target))
                    : ReadPart(request, plan, responses[i], target);
            }
        }

        // Qualified leads of every page: their contacts are found in one more $batch for the whole call.
        var leadItems = plans.Where(p => p.Plan.LeadStateSlot >= 0 && results[p.Index]?.Page is { } page && page.Records.Any(r => IsQualifiedLead(p.Plan, r))).ToList();
        if (leadItems.Count > 0)
        {
            var ids = leadItems.SelectMany(p => results[p.Index]!.Page!.Records.Where(r => IsQualifiedLead(p.Plan, r)).Select(r => r.Id)).ToList();
            try
            {
                var contacts = await FindConvertedContactsAsync(ids, cancellationToken).ConfigureAwait(false);
                foreach (var p in leadItems)
                    results[p.Index] = results[p.Index]! with { Page = WithConversions(p.Plan, results[p.Index]!.Page!, contacts) };
            }
            catch (CrmSyncException ex)
            {
                foreach (var p in leadItems) results[p.Index] = new CrmChangeBatchItem(p.Request, null, ex);
            }
        }
        return results.Select(r => r!).ToList();
    }

    /// <summary>Ids of leads per lookup query (a $filter of <c>or</c>-ed equalities, about 7 KB of URL; a $batch part may be 64 KB).</summary>
    internal const int ConvertedLookupChunk = 100;

    /// <summary>
    /// A QualifyLead leaves the lead Qualified (statecode 1) and creates a contact whose originatingleadid names it; the lead
    /// does not name the contact. So for the qualified leads of a page, this finds those contacts (one <c>$batch</c> of
    /// <c>GET contacts?$filter=_originatingleadid_value eq … or …</c>, <see cref="ConvertedLookupChunk"/> leads per query)
    /// and sets <see cref="CrmRecord.ConvertedIntoId"/>. A lead qualified without a contact (account or opportunity only)
    /// keeps null.
    /// </summary>
    private async Task<CrmRecordPage> WithConversionsAsync(ReadPlan plan, CrmRecordPage page, CancellationToken cancellationToken)
    {
        if (plan.LeadStateSlot < 0) return page;
        var ids = page.Records.Where(r => IsQualifiedLead(plan, r)).Select(r => r.Id).ToList();
        if (ids.Count == 0) return page;
        var contacts = await FindConvertedContactsAsync(ids, cancellationToken).ConfigureAwait(false);
        return WithConversions(plan, page, contacts);
    }

    private static CrmRecordPage WithConversions(ReadPlan plan, CrmRecordPage page, IReadOnlyDictionary<string, string> contacts) =>
        page with
        {
            Records = page.Records.Select(r => IsQualifiedLead(plan, r) && contacts.TryGetValue(r.Id, out var contact) ? r with { ConvertedIntoId = contact } : r).ToList(),
        };

    /// <summary>
    /// The contact made from each lead (by the contacts' originatingleadid), keyed by lead id (case-insensitive); where
    /// several contacts name the same lead, the earliest created. Leads without one are absent.
    /// </summary>
    internal async Task<IReadOnlyDictionary<string, string>> FindConvertedContactsAsync(IReadOnlyList<string> leadIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, (string Contact, DateTimeOffset? CreatedOn)>(StringComparer.OrdinalIgnoreCase);
        var ids = leadIds.Where(id => Guid.TryParse(id, out _)).Select(id => Guid.Parse(id).ToString("D", CultureInfo.InvariantCulture))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (ids.Count == 0) return new Dictionary<string, string>();
        var set = _schema.SetNameOf(ContactEntity)
                  ?? (await _schema.GetEntityAsync(ContactEntity, cancellationToken).ConfigureAwait(false)).EntitySetName;
        const string target = "the contacts of qualified leads";
        var origin = "_" + OriginatingLeadField + "_value";
        var parts = ids.Chunk(ConvertedLookupChunk).Select(chunk => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get,
            _session.ApiBase.AbsolutePath + set + "?$select=contactid," + origin + ",createdon&$filter="
            + Uri.EscapeDataString(string.Join(" or ", chunk.Select(id => origin + " eq " + id))),
            [new("Prefer", PreferHeader(MaxPageSize, tracked: false))], null))).ToList();
        var (status, responses) = await _session.SendBatchAsync(parts, idempotent: true, target, cancellationToken).ConfigureAwait(false);
        if (responses.Count != parts.Count)
            throw new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                $"Dynamics 365 stopped the batch (HTTP {(int)status}) before reading {target}.", "The next cycle reads them again.", target);

        void Collect(JsonElement root)
        {
            foreach (var row in root.GetProperty("value").EnumerateArray())
            {
                var lead = DataverseJson.GetString(row, origin);
                var contact = DataverseJson.GetString(row, "contactid");
                if (lead is null || contact is null) continue;
                var created = row.TryGetProperty("createdon", out var c) && c.ValueKind == JsonValueKind.String
                    ? CrmValueConverter.FromJson(c, CrmFieldType.DateTime) as DateTimeOffset? : null;
                if (!found.TryGetValue(lead, out var known) || Earlier(created, contact, known.CreatedOn, known.Contact))
                    found[lead] = (contact, created);
            }
        }

        foreach (var part in responses)
        {
            if (!part.IsSuccess) throw DataverseSession.ToException((HttpStatusCode)part.Status, part.Body, target);
            string? nextLink;
            using (var doc = DataverseJson.Parse(part.Body, target))
            {
                DataverseJson.Read(() => { Collect(doc.RootElement); return true; }, target);
                nextLink = DataverseJson.GetString(doc.RootElement, "@odata.nextLink");
            }
            while (nextLink is not null)
            {
                var uri = _session.OrganizationLink(nextLink);
                using var page = await _session.SendForJsonAsync(() => Get(uri, MaxPageSize, tracked: false), target, cancellationToken).ConfigureAwait(false);
                DataverseJson.Read(() => { Collect(page.RootElement); return true; }, target);
                nextLink = DataverseJson.GetString(page.RootElement, "@odata.nextLink");
            }
        }
        return found.ToDictionary(f => f.Key, f => f.Value.Contact, StringComparer.OrdinalIgnoreCase);
    }

    private static bool Earlier(DateTimeOffset? created, string id, DateTimeOffset? otherCreated, string otherId) =>
        (created, otherCreated) switch
        {
            ({ } a, { } b) when a != b => a < b,
            ({ }, null) => true,
            (null, { }) => false,
            _ => string.CompareOrdinal(id, otherId) < 0,
        };

    private CrmChangeBatchItem ReadPart(CrmChangeReadRequest request, ReadPlan plan, DataverseBatchResponse part, string target)
    {
        if (!part.IsSuccess)
            return new CrmChangeBatchItem(request, null, DataverseSession.ToException((HttpStatusCode)part.Status, part.Body, target));
        try
        {
            using var doc = DataverseJson.Parse(part.Body, target);
            var syncUser = _session.Identity?.UserId;
            var page = DataverseJson.Read(() => ParsePage(plan, doc.RootElement, request.IncludeDeleted, tracked: true, syncUser), target);
            if (page.HasMore) _session.OrganizationLink(page.Cursor[NextPrefix.Length..]);
            if (page.Watermark is { } w) _session.OrganizationLink(w.Value);
            return new CrmChangeBatchItem(request, page, null);
        }
        catch (CrmSyncException ex)
        {
            return new CrmChangeBatchItem(request, null, ex);
        }
    }

    /// <summary>
    /// Dataverse has no deletion log to query by time: deleted rows come in the delta (<see cref="ReadChangesAsync"/>,
    /// <c>$deletedEntity</c>). This returns no records, covers nothing (<see cref="CrmDeletionResult.LatestCovered"/> is
    /// <paramref name="since"/>) and costs no request.
    /// </summary>
    public Task<CrmDeletionResult> ReadDeletionsAsync(string objectName, DateTimeOffset since, CancellationToken cancellationToken) =>
        Task.FromResult(new CrmDeletionResult(objectName, [], EarliestAvailable: null, LatestCovered: since, RequestedStart: since));

    /// <summary>
    /// <c>GET {set}/$count</c>, which Dataverse caps at 5000; at the cap, the larger of that and the
    /// <c>RetrieveTotalRecordCount</c> snapshot (refreshed by Dataverse about every 24 hours, so an estimate).
    /// </summary>
    public async Task<long> EstimateCountAsync(string objectName, CancellationToken cancellationToken)
    {
        var entity = await _schema.GetEntityAsync(objectName, cancellationToken).ConfigureAwait(false);
        var target = "the row count of " + objectName;
        long count;
        using (var response = await _session.SendAsync(() =>
               {
                   var r = new HttpRequestMessage(HttpMethod.Get, _session.ApiUri(entity.EntitySetName + "/$count"));
                   r.Headers.Accept.ParseAdd("text/plain");
                   return r;
               }, cancellationToken).ConfigureAwait(false))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw DataverseSession.ToException(response.StatusCode, text, target);
            count = DataverseJson.Read(() => long.Parse(text.Trim().TrimStart('\uFEFF'), NumberStyles.None, CultureInfo.InvariantCulture), target);
        }
        if (count < MaxPageSize) return count;

        var names = Uri.EscapeDataString("[\"" + objectName + "\"]");
        using var doc = await _session.SendForJsonAsync(
            () => new HttpRequestMessage(HttpMethod.Get, _session.ApiUri("RetrieveTotalRecordCount(EntityNames=@p)?@p=" + names)), target, cancellationToken)
            .ConfigureAwait(false);
        var snapshot = DataverseJson.Read(() =>
        {
            var collection = doc.RootElement.GetProperty("EntityRecordCountCollection");
            var keys = collection.GetProperty("Keys").EnumerateArray().Select(k => k.GetString()).ToList();
            var values = collection.GetProperty("Values").EnumerateArray().Select(v => v.GetInt64()).ToList();
            var at = keys.FindIndex(k => string.Equals(k, objectName, StringComparison.OrdinalIgnoreCase));
            return at >= 0 && at < values.Count ? values[at] : 0;
        }, target);
        return Math.Max(count, snapshot);
    }

    private static void RequireChangeTracking(CrmObjectSchema entity)
    {
        if (!entity.SupportsChangeTracking)
            throw new CrmSyncException(ErrorIds.CrmNotSupported, ErrorKind.InvalidOperation,
                $"Change tracking is not enabled on the Dynamics 365 entity '{entity.Name}', so its changes cannot be read incrementally.",
                $"Enable 'Track changes' on the table in Power Apps (Table properties > Advanced options), then run {ShellAction.SyncFields} again.", entity.Name);
    }

    /// <summary>The columns of a read and how each is found in a row.</summary>
    internal sealed record ReadPlan(string EntityName, string PrimaryId, string? StampField, CrmRecordLayout Layout, string[] WireNames, CrmFieldType[] Types, Uri FirstQuery)
    {
        /// <summary>The slot of the merged-into lookup (masterid), or -1.</summary>
        public int MergedIntoSlot { get; init; } = -1;

        /// <summary>The slot of modifiedby (compared with the sync user), or -1.</summary>
        public int ModifiedBySlot { get; init; } = -1;

        /// <summary>On lead: the slot of statecode (1 = Qualified), or -1.</summary>
        public int LeadStateSlot { get; init; } = -1;

        /// <summary>On contact: the slot of originatingleadid (the lead a QualifyLead made it from), or -1.</summary>
        public int OriginatingLeadSlot { get; init; } = -1;
    }

    /// <summary>The lead state a QualifyLead leaves (statecode 1, Qualified; statuscode 3).</summary>
    internal const string QualifiedLeadState = "1";

    /// <summary>The columns every read adds where the entity has them (besides the primary key, modifiedon and masterid).</summary>
    internal const string ModifiedByField = "modifiedby";
    internal const string StateField = "statecode";
    internal const string OriginatingLeadField = "originatingleadid";
    internal const string LeadEntity = "lead";
    internal const string ContactEntity = "contact";

    private async Task<ReadPlan> PlanAsync(CrmObjectSchema entity, IReadOnlyList<string> fields, CancellationToken cancellationToken)
    {
        var metadata = await _schema.GetEntityAsync(entity.Name, cancellationToken).ConfigureAwait(false);
        return BuildPlan(entity, fields, metadata.EntitySetName, _session.ApiBase);
    }

    internal static ReadPlan BuildPlan(CrmObjectSchema entity, IReadOnlyList<string> fields, string entitySetName, Uri apiBase)
    {
        var names = new List<string> { entity.PrimaryIdField };
        if (entity.ModificationStampField is { } stamp) names.Add(stamp);
        names.AddRange(fields);
        // The loser of a merge stays (inactive) with masterid naming the winner: always read it where the entity has it.
        if (entity.MergedIntoField is { } merged) names.Add(merged);
        // Who made the last change (no echo of the sync user's own writes), and the two ends of a QualifyLead: the lead's
        // state (Qualified) and the contact's originating lead.
        var modifiedBy = entity.FindField(ModifiedByField)?.Name;
        if (modifiedBy is not null) names.Add(modifiedBy);
        var leadState = entity.Name.Equals(LeadEntity, StringComparison.OrdinalIgnoreCase) ? entity.FindField(StateField)?.Name : null;
        if (leadState is not null) names.Add(leadState);
        var origin = entity.Name.Equals(ContactEntity, StringComparison.OrdinalIgnoreCase) ? entity.FindField(OriginatingLeadField)?.Name : null;
        if (origin is not null) names.Add(origin);
        var layout = new CrmRecordLayout(names);
        var wire = new string[layout.Names.Count];
        var types = new CrmFieldType[layout.Names.Count];
        for (var i = 0; i < layout.Names.Count; i++)
        {
            var field = entity.FindField(layout.Names[i]) ?? throw new CrmSyncException(ErrorIds.CrmFieldNotFound, ErrorKind.ObjectNotFound,
                $"The Dynamics 365 entity '{entity.Name}' has no readable column '{layout.Names[i]}'.", $"Run {ShellAction.SyncFields} to refresh the fields.", layout.Names[i]);
            wire[i] = DataverseEntityMetadata.WireName(field);
            types[i] = field.Type;
        }
        var first = new Uri(apiBase, entitySetName + "?$select=" + string.Join(",", wire));
        return new ReadPlan(entity.Name, entity.PrimaryIdField, entity.ModificationStampField, layout, wire, types, first)
        {
            MergedIntoSlot = entity.MergedIntoField is { } m ? layout.SlotOf(m) : -1,
            ModifiedBySlot = modifiedBy is null ? -1 : layout.SlotOf(modifiedBy),
            LeadStateSlot = leadState is null ? -1 : layout.SlotOf(leadState),
            OriginatingLeadSlot = origin is null ? -1 : layout.SlotOf(origin),
        };
    }

    /// <summary>One response page (<c>{"value":[…], "@odata.nextLink"|"@odata.deltaLink"}</c>) as records.</summary>
    /// <param name="syncUserId">The WhoAmI UserId of the session: a row whose modifiedby is that user is
    /// <see cref="CrmRecord.ModifiedBySyncUser"/>.</param>
    internal static CrmRecordPage ParsePage(ReadPlan plan, JsonElement root, bool includeDeleted, bool tracked, string? syncUserId = null)
    {
        var records = new List<CrmRecord>();
        foreach (var row in root.GetProperty("value").EnumerateArray())
        {
            if (IsDeletedEntity(row))
            {
                if (!includeDeleted) continue;
                var id = DataverseJson.GetString(row, "id") ?? throw new FormatException("A deleted row has no id.");
                var values = new object?[plan.Layout.Names.Count];
                values[0] = id;
                records.Add(new CrmRecord(plan.EntityName, id, null, IsDeleted: true, MergedIntoId: null, new CrmRecordValues(plan.Layout, values)));
                continue;
            }
            var slots = new object?[plan.WireNames.Length];
            for (var i = 0; i < slots.Length; i++)
                slots[i] = row.TryGetProperty(plan.WireNames[i], out var v) ? FromWire(v, plan.Types[i]) : null;
            var recordId = slots[0] as string ?? throw new FormatException($"A row has no {plan.PrimaryId}.");
            var stamp = plan.StampField is null ? null : slots[1] as DateTimeOffset?;
            var mergedInto = plan.MergedIntoSlot >= 0 ? slots[plan.MergedIntoSlot] as string : null;
            records.Add(new CrmRecord(plan.EntityName, recordId, stamp, IsDeleted: false, mergedInto, new CrmRecordValues(plan.Layout, slots))
            {
                ModifiedBySyncUser = plan.ModifiedBySlot >= 0 && SameId(slots[plan.ModifiedBySlot] as string, syncUserId),
                ConvertedFromId = plan.OriginatingLeadSlot >= 0 ? slots[plan.OriginatingLeadSlot] as string : null,
            });
        }
        var nextLink = DataverseJson.GetString(root, "@odata.nextLink");
        var deltaLink = DataverseJson.GetString(root, "@odata.deltaLink");
        if (nextLink is not null)
            return new CrmRecordPage(plan.EntityName, records, NextPrefix + nextLink, null, HasMore: true, null);
        if (tracked && deltaLink is null)
            throw new FormatException("The last page of a change-tracking read has no @odata.deltaLink (is change tracking enabled on the entity?).");
        return deltaLink is null
            ? new CrmRecordPage(plan.EntityName, records, DonePrefix, null, HasMore: false, null)
            : new CrmRecordPage(plan.EntityName, records, DeltaPrefix + deltaLink, new CrmWatermark(deltaLink), HasMore: false, null);
    }

    /// <summary>Two Dataverse ids (GUID text, any case or format) naming the same row.</summary>
    internal static bool SameId(string? a, string? b) =>
        a is not null && b is not null && (string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || (Guid.TryParse(a, out var ga) && Guid.TryParse(b, out var gb) && ga == gb));

    /// <summary>True for a lead row read as Qualified (statecode 1).</summary>
    internal static bool IsQualifiedLead(ReadPlan plan, CrmRecord record) =>
        plan.LeadStateSlot >= 0 && !record.IsDeleted && record.Values.TryGetValue(plan.Layout.Names[plan.LeadStateSlot], out var state)
        && string.Equals(state as string, QualifiedLeadState, StringComparison.Ordinal);

    private static bool IsDeletedEntity(JsonElement row) =>
        DataverseJson.GetString(row, "@odata.context") is { } context && context.EndsWith("/$deletedEntity", StringComparison.Ordinal)
        || (DataverseJson.GetString(row, "reason") is "deleted" or "changed" && row.TryGetProperty("id", out _) && !row.TryGetProperty("@odata.etag", out _));

    /// <summary>A Web API value as a neutral value: option sets as text, multi-select option sets ';'-separated.</summary>
    internal static object? FromWire(JsonElement value, CrmFieldType type)
    {
        if (type == CrmFieldType.MultiPicklist && value.ValueKind == JsonValueKind.String)
            return value.GetString()!.Replace(',', ';');
        return CrmValueConverter.FromJson(value, type);
    }
}
