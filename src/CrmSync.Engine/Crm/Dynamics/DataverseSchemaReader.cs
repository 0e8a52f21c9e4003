using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Entity and attribute metadata (EntityDefinitions): the entity list, and one entity with its readable attributes, option
/// sets, string lengths and formats, alternate keys and lookup targets. A describe costs two requests: the entity with
/// Attributes, Keys and ManyToOneRelationships expanded, then one <c>$batch</c> of the typed attribute casts (String, Memo,
/// Picklist, State, Status, MultiSelectPicklist; plus the entity-set names of lookup targets the first time). Results are
/// cached per client: the change source and the writer need the entity set name, the primary key and the lookups.
/// </summary>
public sealed class DataverseSchemaReader : ICrmSchemaReader
{
    private static readonly (string Cast, string Query)[] Casts =
    [
        ("StringAttributeMetadata", "$select=LogicalName,MaxLength,FormatName"),
        ("MemoAttributeMetadata", "$select=LogicalName,MaxLength"),
        ("PicklistAttributeMetadata", "$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"),
        ("StateAttributeMetadata", "$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options)"),
        ("StatusAttributeMetadata", "$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options)"),
        ("MultiSelectPicklistAttributeMetadata", "$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"),
    ];

    private readonly DataverseSession _session;
    private readonly ConcurrentDictionary<string, DataverseEntityMetadata> _entities = new(StringComparer.OrdinalIgnoreCase);
    private IReadOnlyDictionary<string, string>? _setNames;

    internal DataverseSchemaReader(DataverseSession session) => _session = session;

    public async Task<IReadOnlyList<CrmObjectSummary>> ListObjectsAsync(CancellationToken cancellationToken)
    {
        using var doc = await _session.SendForJsonAsync(
            () => new HttpRequestMessage(HttpMethod.Get, _session.ApiUri("EntityDefinitions?$select=" + DataverseMetadataParser.EntitySelect)),
            "the entity list", cancellationToken).ConfigureAwait(false);
        return DataverseJson.Read(() =>
        {
            var list = doc.RootElement.GetProperty("value").EnumerateArray().ToList();
            _setNames = SetNames(list);
            return list.Where(e => DataverseJson.GetString(e, "EntitySetName") is not null)
                .Select(DataverseMetadataParser.ParseSummary).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        }, "the entity list");
    }

    public async Task<CrmObjectSchema> DescribeAsync(string objectName, CancellationToken cancellationToken) =>
        (await DescribeEntityAsync(objectName, cancellationToken).ConfigureAwait(false)).Schema;

    /// <summary>The entity as last described by this client, or a fresh describe.</summary>
    public async Task<DataverseEntityMetadata> GetEntityAsync(string logicalName, CancellationToken cancellationToken) =>
        _entities.TryGetValue(logicalName, out var cached) ? cached : await DescribeEntityAsync(logicalName, cancellationToken).ConfigureAwait(false);

    /// <summary>Describes the entity (always asks Dataverse) with its keys (EntityKeyIndexStatus) and lookup navigation properties.</summary>
    /// <exception cref="CrmSyncException">CrmObjectNotFound when the entity does not exist; CrmPermissionDenied without metadata read access.</exception>
    public async Task<DataverseEntityMetadata> DescribeEntityAsync(string logicalName, CancellationToken cancellationToken)
    {
        CheckLogicalName(logicalName);
        var target = "entity " + logicalName;
        var entityPath = $"EntityDefinitions(LogicalName='{logicalName}')";
        JsonDocument entity;
        using (var response = await _session.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.ApiUri(entityPath
                   + "?$select=" + DataverseMetadataParser.EntitySelect + ",PrimaryNameAttribute"
                   + "&$expand=Attributes($select=" + DataverseMetadataParser.AttributeSelect + ")"
                   + ",Keys($select=LogicalName,KeyAttributes,EntityKeyIndexStatus)"
                   + ",ManyToOneRelationships($select=ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName)")),
                   cancellationToken).ConfigureAwait(false))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.ObjectNotFound,
                    $"Dynamics 365 has no entity '{logicalName}' ({DataverseJson.ParseError(text)?.ToString() ?? "HTTP 404"}).",
                    "Check the entity's logical name (lower case, e.g. lead, contact, new_project).", logicalName);
            if (!response.IsSuccessStatusCode) throw DataverseSession.ToException(response.StatusCode, text, target);
            entity = DataverseJson.Parse(text, target);
        }

        using (entity)
        {
            var needSetNames = _setNames is null;
            var parts = Casts.Select(c => DataverseBatchPart.Single(Get($"{_session.ApiBase.AbsolutePath}{entityPath}/Attributes/Microsoft.Dynamics.CRM.{c.Cast}?{c.Query}"))).ToList();
            if (needSetNames) parts.Add(DataverseBatchPart.Single(Get(_session.ApiBase.AbsolutePath + "EntityDefinitions?$select=LogicalName,EntitySetName")));
            var (_, responses) = await _session.SendBatchAsync(parts, idempotent: true, target + " (attribute details)", cancellationToken).ConfigureAwait(false);
            if (responses.Count != parts.Count)
                throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                    $"Dynamics 365 answered {responses.Count} of {parts.Count} metadata queries for {target}.", "Retry; if it persists, report it to the CrmSync maintainers.", target);
            var details = new DataverseMetadataParser.AttributeDetails();
            for (var i = 0; i < Casts.Length; i++)
            {
                var part = responses[i];
                if (!part.IsSuccess) throw DataverseSession.ToException((HttpStatusCode)part.Status, part.Body, $"{target} ({Casts[i].Cast})");
                using var cast = DataverseJson.Parse(part.Body, target);
                DataverseJson.Read(() => { details.Add(cast.RootElement); return true; }, target);
            }
            if (needSetNames)
            {
                var part = responses[^1];
                if (!part.IsSuccess) throw DataverseSession.ToException((HttpStatusCode)part.Status, part.Body, "the entity list");
                using var list = DataverseJson.Parse(part.Body, "the entity list");
                _setNames = DataverseJson.Read(() => SetNames(list.RootElement.GetProperty("value").EnumerateArray().ToList()), "the entity list");
            }
            var metadata = DataverseJson.Read(() => DataverseMetadataParser.ParseEntity(entity.RootElement, details), target);
            _entities[logicalName] = metadata;
            return metadata;
        }
    }

    /// <summary>The entity set name (URL name) of an entity, from the entity list this client read; null when unknown.</summary>
    internal string? SetNameOf(string logicalName) =>
        _entities.TryGetValue(logicalName, out var e) ? e.EntitySetName : _setNames?.GetValueOrDefault(logicalName);

    /// <summary>True when this client has described <paramref name="logicalName"/>.</summary>
    internal bool IsDescribed(string logicalName) => _entities.ContainsKey(logicalName);

    /// <summary>Adds an entity (and entity-set names) to the cache as if described: for tests that script only the calls they are about.</summary>
    internal void Remember(DataverseEntityMetadata entity, IReadOnlyDictionary<string, string>? setNames = null)
    {
        _entities[entity.LogicalName] = entity;
        if (setNames is not null) _setNames = setNames;
    }

    private static Dictionary<string, string> SetNames(IEnumerable<JsonElement> entities)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in entities)
            if (DataverseJson.GetString(e, "LogicalName") is { } n && DataverseJson.GetString(e, "EntitySetName") is { } s) map[n] = s;
        return map;
    }

    private static DataverseBatchRequest Get(string pathAndQuery) => new(HttpMethod.Get, pathAndQuery, [], null);

    /// <summary>Logical names are lower-case letters, digits and underscores; anything else never reaches a URL.</summary>
    internal static void CheckLogicalName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or (>= 'A' and <= 'Z')))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{name}' is not a Dataverse logical name.", "Use the logical name (letters, digits and underscores), e.g. lead or new_project.", name);
    }
}
