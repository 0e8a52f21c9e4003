using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Writes rows in <c>$batch</c> requests of up to <see cref="MaxBatchSize"/> independent parts with
/// <c>Prefer: odata.continue-on-error</c>, so one rejected row never stops the others; the results come back in request order
/// with Dataverse's hex code and message. Every part is safe to send twice, so a whole batch is retried by the resilience
/// pipeline (429 with Retry-After, 5xx, transport failures) without creating or changing anything twice:
/// <list type="bullet">
/// <item>Create: <c>PATCH {set}({new id})</c> with <c>If-None-Match: *</c>; the id is chosen here (or taken from the primary key
/// column among the values), and a 412 on a replay means our earlier attempt created it.</item>
/// <item>Upsert by an alternate key column: <c>PATCH {set}({key}='value')?$select={primary key}</c> with <c>If-None-Match: *</c>
/// and <c>Prefer: return=representation</c> (201 with the new id). A 412 means a row with that key already exists, which for
/// CrmSync's own key is a create that already happened: a success (<see cref="CrmWriteResult.Created"/> false) whose values are
/// not applied; its id is looked up in one more <c>$batch</c>. Changes to known rows go through <see cref="UpdateAsync"/>.</item>
/// <item>Update: <c>PATCH {set}({id})</c> with <c>If-Match: *</c> (never creates) and only the given columns; 404 is a
/// per-row error (the row is gone).</item>
/// <item>Delete: <c>DELETE {set}({id})</c>; 404 counts as done (already deleted, e.g. by our earlier attempt).</item>
/// </list>
/// Lookups are written as <c>{navigation property}@odata.bind: "{target set}(id)"</c> (null clears). A lookup with several
/// target entities (Customer, Owner) is written only when the value names the target as <c>{entity}:{id}</c>; a bare id is
/// refused for that row. Per-row transient failures (429 parts, service-protection codes, 502/503/504) are marked
/// <see cref="CrmWriteError.IsTransient"/>, and a throttled part's Retry-After is the error's
/// <see cref="CrmWriteError.RetryAfter"/> (the row was not written: send it again after that wait).
/// On the <c>listmember</c> entity, creates add and deletes remove marketing-list members (<see cref="DataverseListMembership"/>).
/// </summary>
public sealed partial class DataverseRecordWriter : ICrmRecordWriter
{
    /// <summary>
    /// 100 rows per <c>$batch</c> (Dataverse allows 1000). A batch counts as one request against the 6000-per-5-minutes
    /// limit but all its execution time counts, and Microsoft advises small batches; 100 keeps one batch well inside the
    /// attempt timeout while a push of 10,000 rows costs 100 requests.
    /// </summary>
    public const int DefaultMaxBatchSize = 100;

    private readonly DataverseSession _session;
    private readonly DataverseSchemaReader _schema;
    private readonly DataverseListMembership _members;

    internal DataverseRecordWriter(DataverseSession session, DataverseSchemaReader schema, int maxBatchSize = DefaultMaxBatchSize)
    {
        _session = session;
        _schema = schema;
        _members = new DataverseListMembership(session, schema);
        MaxBatchSize = Math.Clamp(maxBatchSize, 1, 1000);
    }

    public int MaxBatchSize { get; }

    private enum Operation { Create, Update, Upsert, Delete }

    /// <summary>A row's prepared part, or the reason it was not sent.</summary>
    private sealed record Prepared(int Index, DataverseBatchRequest? Request, string? Id, CrmWriteError? LocalError);

    /// <summary>Creates rows; on <c>listmember</c>, adds marketing-list members (see <see cref="DataverseListMembership"/>).</summary>
    public Task<IReadOnlyList<CrmWriteResult>> CreateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken) =>
        DataverseListMembership.IsMembership(objectName)
            ? _members.AddAsync(records, MaxBatchSize, cancellationToken)
            : WriteAsync(objectName, Operation.Create, null, records.Select(r => (r.Id, r.Values)).ToList(), cancellationToken);

    public Task<IReadOnlyList<CrmWriteResult>> UpdateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken) =>
        DataverseListMembership.IsMembership(objectName)
            ? Task.FromResult(DataverseListMembership.RefuseChanges(records))
            : WriteAsync(objectName, Operation.Update, null, records.Select(r => (r.Id, r.Values)).ToList(), cancellationToken);

    public Task<IReadOnlyList<CrmWriteResult>> UpsertAsync(string objectName, string externalIdField, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(externalIdField);
        if (DataverseListMembership.IsMembership(objectName)) return Task.FromResult(DataverseListMembership.RefuseChanges(records));
        return WriteAsync(objectName, Operation.Upsert, externalIdField, records.Select(r => (r.Id, r.Values)).ToList(), cancellationToken);
    }

    /// <summary>Deletes rows (404 = done); on <c>listmember</c>, removes marketing-list members by listmember id.</summary>
    public Task<IReadOnlyList<CrmWriteResult>> DeleteAsync(string objectName, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        DataverseListMembership.IsMembership(objectName)
            ? _members.RemoveAsync(ids, MaxBatchSize, cancellationToken)
            : WriteAsync(objectName, Operation.Delete, null,
                ids.Select(id => ((string?)id, (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>())).ToList(), cancellationToken);

    private async Task<IReadOnlyList<CrmWriteResult>> WriteAsync(string objectName, Operation operation, string? keyField,
        IReadOnlyList<(string? Id, IReadOnlyDictionary<string, object?> Values)> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var results = new CrmWriteResult[rows.Count];
        if (rows.Count == 0) return results;
        var entity = await _schema.GetEntityAsync(objectName, cancellationToken).ConfigureAwait(false);
        if (keyField is not null && entity.Schema.FindField(keyField) is null)
            throw new CrmSyncException(ErrorIds.ExternalIdFieldMissing, ErrorKind.InvalidArgument,
                $"The Dynamics 365 entity '{objectName}' has no column '{keyField}' to upsert by.",
                $"Create the CrmSync alternate key column on the entity (and its alternate key), then run {ShellAction.SyncFields} again.", keyField);

        for (var start = 0; start < rows.Count; start += MaxBatchSize)
        {
            var count = Math.Min(MaxBatchSize, rows.Count - start);
            var prepared = new List<Prepared>(count);
            for (var i = start; i < start + count; i++)
                prepared.Add(Prepare(entity, operation, keyField, i, rows[i].Id, rows[i].Values));
            var sent = prepared.Where(p => p.Request is not null).ToList();
            foreach (var p in prepared.Where(p => p.LocalError is not null))
                results[p.Index] = new CrmWriteResult(p.Index, p.Id, false, null, [p.LocalError!]);
            if (sent.Count == 0) continue;

            var target = $"{Verb(operation)} of {sent.Count} {objectName} row(s)";
            var (status, responses) = await _session.SendBatchAsync(sent.Select(p => DataverseBatchPart.Single(p.Request!)).ToList(),
                idempotent: true, target, cancellationToken).ConfigureAwait(false);
            if (responses.Count != sent.Count)
            {
                // Without continue-on-error honoured, Dataverse stops at the first failure and answers only that part: the
                // others' fate is unknown. Every part is idempotent, so all are reported as transient and retried.
                var cause = responses.LastOrDefault(r => !r.IsSuccess);
                var error = cause is null ? new DataverseError("", $"HTTP {(int)status}") : DataverseJson.ParseError(cause.Body) ?? new DataverseError("", $"HTTP {cause.Status}");
                var retryAfter = RetryAfterOf(cause, _session.UtcNow);
                foreach (var p in sent)
                    results[p.Index] = new CrmWriteResult(p.Index, p.Id, false, null,
                        [new CrmWriteError(CodeOf(error, cause?.Status ?? (int)status), "The batch stopped early: " + error.Message, [], IsTransient: true) { RetryAfter = retryAfter }]);
                continue;
            }

            var lookups = new List<(Prepared Row, string KeyPath, bool Created)>();
            for (var j = 0; j < sent.Count; j++)
            {
                var p = sent[j];
                var r = responses[j];
                switch (operation)
                {
                    case Operation.Create:
                        results[p.Index] = r.IsSuccess || r.Status == 412
                            ? new CrmWriteResult(p.Index, p.Id, true, true, [])
                            : Failure(p, r);
                        break;
                    case Operation.Update:
                        results[p.Index] = r.IsSuccess ? new CrmWriteResult(p.Index, p.Id, true, null, []) : Failure(p, r);
                        break;
                    case Operation.Delete:
                        results[p.Index] = r.IsSuccess || r.Status == 404 ? new CrmWriteResult(p.Index, p.Id, true, null, []) : Failure(p, r);
                        break;
                    case Operation.Upsert:
                        if (r.IsSuccess && (IdFromBody(r.Body, entity.Schema.PrimaryIdField) ?? IdFromEntityId(r.Header("OData-EntityId"))) is { } newId)
                            results[p.Index] = new CrmWriteResult(p.Index, newId, true, true, []);
                        else if (r.IsSuccess || r.Status == 412)
                            lookups.Add((p, KeyPathOf(p.Request!), Created: r.IsSuccess));
                        else
                            results[p.Index] = Failure(p, r);
                        break;
                }
            }
            if (lookups.Count > 0) await LookUpIdsAsync(entity, lookups, results, cancellationToken).ConfigureAwait(false);
        }
        return results;
    }

    /// <summary>
    /// Finds, in one $batch of GETs, the ids of rows known only by their alternate key: those that already existed (412 on a
    /// create-only upsert) and those created without a representation in the answer.
    /// </summary>
    private async Task LookUpIdsAsync(DataverseEntityMetadata entity, List<(Prepared Row, string KeyPath, bool Created)> lookups, CrmWriteResult[] results,
        CancellationToken cancellationToken)
    {
        var parts = lookups.Select(l => DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get,
            l.KeyPath + "?$select=" + entity.Schema.PrimaryIdField, [], null))).ToList();
        var (status, responses) = await _session.SendBatchAsync(parts, idempotent: true, $"the ids of {lookups.Count} existing {entity.LogicalName} row(s)", cancellationToken)
            .ConfigureAwait(false);
        for (var i = 0; i < lookups.Count; i++)
        {
            var p = lookups[i].Row;
            var r = i < responses.Count ? responses[i] : null;
            var id = r is { IsSuccess: true } ? IdFromBody(r.Body, entity.Schema.PrimaryIdField) : null;
            results[p.Index] = id is not null
                ? new CrmWriteResult(p.Index, id, true, lookups[i].Created, [])
                : new CrmWriteResult(p.Index, null, false, null, [new CrmWriteError(r is null ? $"HTTP {(int)status}" : $"HTTP {r.Status}",
                    "The row exists under its key, but its id could not be read: " + (r is null ? "the batch stopped early" : DataverseJson.ParseError(r.Body)?.Message ?? "no id returned"),
                    [], IsTransient: true)]);
        }
    }

    private static string Verb(Operation operation) => operation switch
    {
        Operation.Create => "create",
        Operation.Update => "update",
        Operation.Upsert => "upsert",
        _ => "delete",
    };

    private CrmWriteResult Failure(Prepared p, DataverseBatchResponse r) => Failure(p.Index, p.Id, r, _session.UtcNow);

    /// <summary>
    /// A failed part as the row's result: Dataverse's hex code and message, the columns the message names, transient for
    /// 429/502/503/504 and the service-protection codes, and <see cref="CrmWriteError.RetryAfter"/> from the part's
    /// Retry-After (a throttled part says when to come back; the push waits at least that long before sending the row again).
    /// </summary>
    internal static CrmWriteResult Failure(int index, string? id, DataverseBatchResponse r, DateTimeOffset now)
    {
        var error = DataverseJson.ParseError(r.Body) ?? new DataverseError("", string.IsNullOrWhiteSpace(r.Body) ? $"HTTP {r.Status}" : r.Body);
        var transient = r.Status is 429 or 502 or 503 or 504 || DataverseSession.IsServiceProtectionCode(error.Code);
        var retryAfter = RetryAfterOf(r, now);
        var message = r.Header("Retry-After") is { Length: > 0 } after ? $"{error.Message} (Retry-After: {after} s)" : error.Message;
        return new CrmWriteResult(index, id, false, null,
            [new CrmWriteError(CodeOf(error, r.Status), message, FieldsIn(error.Message), transient) { RetryAfter = retryAfter }]);
    }

    /// <summary>A part's Retry-After (delta seconds, as Dataverse sends it, or an HTTP date) as a wait; null when absent or unreadable.</summary>
    internal static TimeSpan? RetryAfterOf(DataverseBatchResponse? r, DateTimeOffset now)
    {
        var text = r?.Header("Retry-After")?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            return seconds <= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : null;
        if (DateTimeOffset.TryParseExact(text, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at > now ? at - now : TimeSpan.Zero;
        return null;
    }

    private static string CodeOf(DataverseError error, int status) => error.Code.Length > 0 ? error.Code : $"HTTP {status}";

    [GeneratedRegex(@"'([a-z0-9_]+)' attribute", RegexOptions.CultureInvariant)]
    private static partial Regex AttributeInMessage();

    /// <summary>The column a validation message names ("The length of the 'subject' attribute …").</summary>
    private static IReadOnlyList<string> FieldsIn(string message) =>
        AttributeInMessage().Matches(message).Select(m => m.Groups[1].Value).Distinct().ToList();

    private Prepared Prepare(DataverseEntityMetadata entity, Operation operation, string? keyField, int index, string? id, IReadOnlyDictionary<string, object?> values)
    {
        var schema = entity.Schema;
        var basePath = _session.ApiBase.AbsolutePath + entity.EntitySetName;
        var headers = new List<KeyValuePair<string, string>>();
        string path;
        switch (operation)
        {
            case Operation.Create:
                id ??= values.TryGetValue(schema.PrimaryIdField, out var given) && given is not null ? Convert.ToString(given, CultureInfo.InvariantCulture) : null;
                id ??= Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture);
                if (!Guid.TryParse(id, out _)) return Local(index, id, "InvalidId", $"'{id}' is not a Dataverse id (a GUID).");
                path = $"{basePath}({id})";
                headers.Add(new("If-None-Match", "*"));
                break;
            case Operation.Update:
            case Operation.Delete:
                if (id is null || !Guid.TryParse(id, out _)) return Local(index, id, "InvalidId", $"'{id}' is not a Dataverse id (a GUID).");
                path = $"{basePath}({id})";
                if (operation == Operation.Update) headers.Add(new("If-Match", "*"));
                break;
            default:
                if (!values.TryGetValue(keyField!, out var keyValue) || keyValue is null || keyValue is string { Length: 0 })
                    return Local(index, id, "MissingKey", $"The row has no value for its key column '{keyField}'.", keyField);
                if (KeyLiteral(keyValue) is not { } literal)
                    return Local(index, id, "InvalidKey", $"The key value of '{keyField}' contains a character Dataverse refuses in a key (< > * % & : / \\).", keyField);
                path = $"{basePath}({schema.FindField(keyField!)!.Name}={literal})";
                headers.Add(new("If-None-Match", "*"));
                headers.Add(new("Prefer", "return=representation"));
                break;
        }
        if (operation == Operation.Delete) return new Prepared(index, new DataverseBatchRequest(HttpMethod.Delete, path, headers, null), id, null);

        var (body, error) = BuildBody(entity, values, skip: operation == Operation.Create || operation == Operation.Update ? schema.PrimaryIdField : null);
        if (error is not null) return new Prepared(index, null, id, error);
        if (operation == Operation.Upsert) path += "?$select=" + schema.PrimaryIdField;
        return new Prepared(index, new DataverseBatchRequest(HttpMethod.Patch, path, headers, body), id, null);
    }

    private static Prepared Local(int index, string? id, string code, string message, string? field = null) =>
        new(index, null, id, new CrmWriteError(code, message, field is null ? [] : [field], IsTransient: false));

    /// <summary>A key value as an OData literal: numbers bare, text quoted (quotes doubled) and percent-encoded; null when Dataverse would refuse it.</summary>
    internal static string? KeyLiteral(object value)
    {
        switch (value)
        {
            case long or int or short or decimal:
                return Convert.ToString(value, CultureInfo.InvariantCulture);
            case Guid g:
                return g.ToString("D", CultureInfo.InvariantCulture);
        }
        var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        if (text.IndexOfAny(['<', '>', '*', '%', '&', ':', '/', '\\']) >= 0) return null;
        return "'" + Uri.EscapeDataString(text.Replace("'", "''", StringComparison.Ordinal)).Replace("%27", "'", StringComparison.Ordinal) + "'";
    }

    /// <summary>The JSON body of a row; a local error for a column the entity does not have or a value that cannot be written.</summary>
    private (string? Body, CrmWriteError? Error) BuildBody(DataverseEntityMetadata entity, IReadOnlyDictionary<string, object?> values, string? skip)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in values)
            {
                if (skip is not null && name.Equals(skip, StringComparison.OrdinalIgnoreCase)) continue;
                var field = entity.Schema.FindField(name);
                if (field is null)
                    return (null, new CrmWriteError("FieldNotFound", $"The entity '{entity.LogicalName}' has no column '{name}'.", [name], false));
                if (field.Type == CrmFieldType.Reference)
                {
                    if (BindLookup(entity, field, value) is not { } bind)
                        return (null, new CrmWriteError("InvalidLookup",
                            $"The lookup '{name}' can point to {string.Join(", ", field.ReferenceTo)}: give its value as entity:id.", [name], false));
                    writer.WritePropertyName(bind.Property);
                    if (bind.Value is null) writer.WriteNullValue(); else writer.WriteStringValue(bind.Value);
                    continue;
                }
                writer.WritePropertyName(field.Name);
                try
                {
                    WriteValue(writer, field.Type, value);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
                {
                    return (null, new CrmWriteError("InvalidValue", $"The value of '{name}' cannot be written as {field.NativeType}: {ex.Message}", [name], false));
                }
            }
            writer.WriteEndObject();
        }
        return (Encoding.UTF8.GetString(stream.ToArray()), null);
    }

    private (string Property, string? Value)? BindLookup(DataverseEntityMetadata entity, CrmFieldSchema field, object? value)
    {
        if (!entity.Lookups.TryGetValue(field.Name, out var targets) || targets.Count == 0) return null;
        var text = value is null ? null : Convert.ToString(value, CultureInfo.InvariantCulture);
        DataverseLookupTarget? target;
        string? id = text;
        if (text is not null && text.IndexOf(':') is var colon and > 0)
        {
            var named = text[..colon];
            target = targets.FirstOrDefault(t => t.Entity.Equals(named, StringComparison.OrdinalIgnoreCase));
            id = text[(colon + 1)..];
            if (target is null) return null;
        }
        else
        {
            if (text is not null && targets.Count > 1) return null;
            target = targets[0];
        }
        if (id is null) return (target.NavigationProperty + "@odata.bind", null);
        if (!Guid.TryParse(id, out var guid)) return null;
        var set = _schema.SetNameOf(target.Entity);
        if (set is null) return null;
        return (target.NavigationProperty + "@odata.bind", $"{set}({guid:D})");
    }

    /// <summary>A neutral value as the Web API expects it for the column type.</summary>
    internal static void WriteValue(Utf8JsonWriter writer, CrmFieldType type, object? value)
    {
        switch (type)
        {
            case CrmFieldType.Picklist when value is string s:
                if (s.Length == 0) writer.WriteNullValue();
                else writer.WriteNumberValue(long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
                return;
            case CrmFieldType.MultiPicklist when value is string m:
                if (m.Length == 0) { writer.WriteNullValue(); return; }
                foreach (var part in m.Split(';')) _ = long.Parse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                writer.WriteStringValue(m.Replace(';', ','));
                return;
            default:
                CrmValueConverter.WriteJson(writer, value);
                return;
        }
    }

    private static string KeyPathOf(DataverseBatchRequest request)
    {
        var q = request.PathAndQuery.IndexOf('?');
        return q < 0 ? request.PathAndQuery : request.PathAndQuery[..q];
    }

    private static string? IdFromBody(string body, string primaryId)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            return DataverseJson.GetString(doc.RootElement, primaryId);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"\(([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EntityIdRegex();

    /// <summary>The id in <c>OData-EntityId: …/leads(guid)</c>; null when the header echoes a key URL instead.</summary>
    internal static string? IdFromEntityId(string? header) =>
        header is not null && EntityIdRegex().Match(header) is { Success: true } m ? m.Groups[1].Value.ToLowerInvariant() : null;
}
