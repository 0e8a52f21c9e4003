using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Query;
using CrmSync.Emulator.Dynamics.Schema;
using CrmSync.Emulator.Faults;

namespace CrmSync.Emulator.Dynamics.Web;

/// <summary>
/// The Dataverse Web API v9.2 resources: WhoAmI, EntityDefinitions (with Attributes, typed casts, OptionSet, Keys,
/// ManyToOneRelationships),
/// entity-set queries with paging and change tracking, single-row reads, create/update/upsert/delete by id or
/// alternate key with conditional headers, QualifyLead, Merge, AddMemberList and marketing-list $ref associations.
/// Synchronous, so $batch change sets run atomically inside one store scope.
/// </summary>
public sealed class DataverseApi
{
    private const int MaxPageSize = 5000;
    private readonly DynamicsOrg _org;

    public DataverseApi(DynamicsOrg org) => _org = org;

    private DataverseStore Store => _org.Store;
    private DataverseWriter Writer => _org.Writer;

    /// <summary>The <c>Prefer</c> preferences of a request.</summary>
    public sealed record Preferences(int? MaxPageSize, bool Annotations, bool ReturnRepresentation, bool TrackChanges, bool ContinueOnError, string? AnnotationText)
    {
        /// <summary>Whether an annotation (e.g. <c>OData.Community.Display.V1.FormattedValue</c>) was asked for: <c>*</c>, its name, or a <c>prefix.*</c> pattern.</summary>
        public bool Wants(string annotation) =>
            AnnotationText is { } text && text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Any(p =>
                p == "*" || p == annotation || (p.EndsWith(".*", StringComparison.Ordinal) && annotation.StartsWith(p[..^1], StringComparison.Ordinal)));
    }

    public static Preferences ParsePrefer(string header)
    {
        int? max = null;
        bool annotations = false, representation = false, track = false, cont = false;
        string? annotationText = null;
        foreach (var raw in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = raw.Split('=', 2, StringSplitOptions.TrimEntries);
            string name = kv[0].ToLowerInvariant();
            string value = kv.Length > 1 ? kv[1].Trim('"') : "";
            switch (name)
            {
                case "odata.maxpagesize" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0:
                    max = n;
                    break;
                case "odata.include-annotations":
                    annotationText = value;
                    annotations = value.Length > 0;
                    break;
                case "return" when value == "representation":
                    representation = true;
                    break;
                case "odata.track-changes":
                    track = true;
                    break;
                case "odata.continue-on-error":
                    cont = true;
                    break;
            }
        }
        return new Preferences(max, annotations, representation, track, cont, annotationText);
    }

    /// <summary>Handles one request.</summary>
    public DvResponse Handle(DvRequest request)
    {
        try
        {
            return Route(request);
        }
        catch (DataverseException ex)
        {
            return DvResponse.From(ex);
        }
        catch (ODataSyntaxException ex)
        {
            return DvResponse.Error(400, "0x80060888", ex.Message);
        }
        catch (JsonException ex)
        {
            return DvResponse.Error(400, "0x80060891", "Invalid JSON. " + ex.Message);
        }
    }

    private DvResponse Route(DvRequest r)
    {
        string path = r.Path.Trim('/');
        string method = r.Method.ToUpperInvariant();
        if (path.Length == 0)
        {
            return method == "GET" ? ServiceDocument(r) : MethodNotAllowed(method);
        }
        if (path is "WhoAmI" or "WhoAmI()")
        {
            return method == "GET" ? WhoAmI(r) : MethodNotAllowed(method);
        }
        if (path is "RetrieveVersion" or "RetrieveVersion()")
        {
            return method == "GET" ? DvResponse.Json(200, new JsonObject
            {
                ["@odata.context"] = r.ApiRoot + "$metadata#Microsoft.Dynamics.CRM.RetrieveVersionResponse",
                ["Version"] = OrganizationVersion,
            }) : MethodNotAllowed(method);
        }
        if (path.StartsWith("RetrieveCurrentOrganization(", StringComparison.Ordinal))
        {
            return method == "GET" ? CurrentOrganization(r) : MethodNotAllowed(method);
        }
        if (path == "$metadata")
        {
            return method == "GET" ? new DvResponse { Status = 200, Body = Csdl.Document(Store), ContentType = "application/xml" } : MethodNotAllowed(method);
        }
        if (path.StartsWith("EntityDefinitions", StringComparison.Ordinal))
        {
            return method == "GET" ? Metadata(r, path) : DvResponse.Error(405, "0x80060888", "The emulator serves metadata read-only; change the schema through the admin API.");
        }
        if (path is "Merge" or "Microsoft.Dynamics.CRM.Merge")
        {
            return method == "POST" ? Merge(r) : MethodNotAllowed(method);
        }
        var segments = SplitPath(path);
        string first = segments[0];
        int paren = first.IndexOf('(');
        string set = paren < 0 ? first : first[..paren];
        var def = Store.EntityBySet(set) ?? throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{set}'.");
        if (method == "GET" && _org.Settings.ReadDeniedTables.Contains(def.LogicalName) && r.Caller != _org.SecondUser.Id)
        {
            // Dataverse's answer when the caller's security roles lack the table's Read privilege.
            throw new DataverseException(403, "0x80040220",
                $"Principal user (Id={r.Caller}, type=8, roleCount=1, privilegeCount=0, accessMode=0), is missing prvRead{def.SchemaName} privilege " +
                $"(Id={DataverseCatalog.StableGuid("prvRead" + def.LogicalName)}) on OTC={def.ObjectTypeCode} for entity '{def.LogicalName}'. context.Caller={r.Caller}");
        }
        if (paren < 0)
        {
            if (segments.Count == 2 && segments[1] == "$count" && method == "GET")
            {
                return Count(r, def);
            }
            if (segments.Count == 2 && segments[1] is "Microsoft.Dynamics.CRM.CreateMultiple" or "Microsoft.Dynamics.CRM.UpdateMultiple")
            {
                return method == "POST" ? Multiple(r, def, segments[1].EndsWith("CreateMultiple", StringComparison.Ordinal)) : MethodNotAllowed(method);
            }
            if (segments.Count > 1)
            {
                throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{segments[1]}'.");
            }
            return method switch
            {
                "GET" => QuerySet(r, def),
                "POST" => Create(r, def),
                _ => MethodNotAllowed(method),
            };
        }
        if (!first.EndsWith(')'))
        {
            throw new DataverseException(400, "0x80060888", $"Bad Request - Error in query syntax.");
        }
        string keyText = first[(paren + 1)..^1];
        if (segments.Count == 1)
        {
            return method switch
            {
                "GET" => Retrieve(r, def, keyText),
                "PATCH" => Patch(r, def, keyText),
                "DELETE" => Delete(r, def, keyText),
                _ => MethodNotAllowed(method),
            };
        }
        string second = segments[1];
        if (second is "Microsoft.Dynamics.CRM.QualifyLead" && def.LogicalName == "lead")
        {
            return method == "POST" ? Qualify(r, def, keyText) : MethodNotAllowed(method);
        }
        if (second is "Microsoft.Dynamics.CRM.AddMemberList" && def.LogicalName == "list")
        {
            return method == "POST" ? AddMemberList(r, keyText) : MethodNotAllowed(method);
        }
        if (def.LogicalName == "list" && ListNavigation(second.Split('(')[0]) is { } member)
        {
            return ListAssociation(r, keyText, member, segments);
        }
        if (segments.Count == 2 && def.Attribute(second) is { IsLookup: false } single && method is "PUT" or "DELETE")
        {
            // Single-property update (PUT {"value": …}) or clear (DELETE).
            var target = Resolve(def, keyText) ?? throw NotFoundFor(def, keyText);
            var body = method == "PUT" ? ParseBody(r) : new JsonObject { ["value"] = null };
            if (!body.ContainsKey("value"))
            {
                throw new DataverseException(400, "0x80060888", "A single-property PUT needs a body {\"value\": …}.");
            }
            var values = Writer.Parse(def, new JsonObject { [single.LogicalName] = body["value"]?.DeepClone() });
            RecordFault(r, target.Id);
            Writer.Update(def, target.Id, values, r.Caller);
            return DvResponse.NoContent();
        }
        if (segments.Count == 2 && def.ByWebName(second) is { } column && method == "GET")
        {
            var record = Resolve(def, keyText) ?? throw DataverseWriter.NotFound(def, KeyId(keyText));
            return DvResponse.Json(200, new JsonObject
            {
                ["@odata.context"] = $"{r.ApiRoot}$metadata#{def.EntitySetName}({record.Id})/{second}",
                ["value"] = RecordJson.Value(column, record.Get(column.LogicalName) is EntityRef er ? er.Id : record.Get(column.LogicalName)),
            });
        }
        throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{second}'.");
    }

    private static List<string> SplitPath(string path)
    {
        // Split on '/' outside parentheses and quotes (key values may contain '/').
        var list = new List<string>();
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == '/')
            {
                list.Add(path[start..i]);
                start = i + 1;
            }
        }
        list.Add(path[start..]);
        return list;
    }

    private static DvResponse MethodNotAllowed(string method) =>
        DvResponse.Error(405, "0x80060888", $"The HTTP method '{method}' is not allowed for this resource.");

    private static Guid KeyId(string keyText) => Guid.TryParse(keyText, out var g) ? g : Guid.Empty;

    private DvRecord? Resolve(EntityDef def, string keyText)
    {
        if (Guid.TryParse(keyText, out var id))
        {
            return Store.Find(def.LogicalName, id);
        }
        if (keyText.StartsWith(def.PrimaryIdAttribute + "=", StringComparison.Ordinal) && Guid.TryParse(keyText[(def.PrimaryIdAttribute.Length + 1)..], out id))
        {
            return Store.Find(def.LogicalName, id);
        }
        return Writer.FindByKeyText(def, keyText);
    }

    // ---- service document, WhoAmI -----------------------------------------------------------------------------------

    private DvResponse ServiceDocument(DvRequest r) => DvResponse.Json(200, new JsonObject
    {
        ["@odata.context"] = r.ApiRoot + "$metadata",
        ["value"] = new JsonArray(Store.Entities.Select(e => (JsonNode)new JsonObject
        {
            ["name"] = e.EntitySetName, ["kind"] = "EntitySet", ["url"] = e.EntitySetName,
        }).Append(new JsonObject { ["name"] = "EntityDefinitions", ["kind"] = "EntitySet", ["url"] = "EntityDefinitions" }).ToArray()),
    });

    private DvResponse WhoAmI(DvRequest r) => DvResponse.Json(200, new JsonObject
    {
        ["@odata.context"] = r.ApiRoot + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
        ["BusinessUnitId"] = _org.BusinessUnitId.ToString(),
        ["UserId"] = r.Caller.ToString(),
        ["OrganizationId"] = Store.OrganizationId.ToString(),
    });

    /// <summary>The Dataverse version the emulator reports (RetrieveVersion, RetrieveCurrentOrganization).</summary>
    public const string OrganizationVersion = "9.2.24101.00192";

    private DvResponse CurrentOrganization(DvRequest r)
    {
        return DvResponse.Json(200, new JsonObject
        {
            ["@odata.context"] = r.ApiRoot + "$metadata#Microsoft.Dynamics.CRM.RetrieveCurrentOrganizationResponse",
            ["Detail"] = new JsonObject
            {
                ["OrganizationId"] = Store.OrganizationId.ToString(),
                ["FriendlyName"] = "CrmSync Emulator",
                ["OrganizationVersion"] = OrganizationVersion,
                ["EnvironmentId"] = Schema.DataverseCatalog.StableGuid("environment:" + Store.OrganizationId).ToString(),
                ["DatacenterId"] = Guid.Empty.ToString(),
                ["Geo"] = "NA",
                ["TenantId"] = _org.Credentials.TenantId,
                ["UrlName"] = "crmsync",
                ["UniqueName"] = "crmsync" + Store.OrganizationId.ToString("N")[..8],
                ["State"] = "Enabled",
                ["OrganizationType"] = "Customer",
                ["SchemaType"] = "Standard",
                ["Endpoints"] = new JsonObject
                {
                    ["Count"] = 3,
                    ["IsReadOnly"] = false,
                    ["Keys"] = new JsonArray("WebApplication", "OrganizationService", "OrganizationDataService"),
                    ["Values"] = new JsonArray(r.OrgUrl + "/", r.OrgUrl + "/XRMServices/2011/Organization.svc", r.OrgUrl + "/XRMServices/2011/OrganizationData.svc"),
                },
            },
        });
    }

    // ---- metadata -----------------------------------------------------------------------------------------------------

    private static HashSet<string>? SelectList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>Parses <c>$expand=Attributes($select=a,b;$filter=…),Keys</c> into name → nested options.</summary>
    private static Dictionary<string, Dictionary<string, string>> ParseExpand(string? text)
    {
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }
        int depth = 0, start = 0;
        var parts = new List<string>();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        foreach (var part in parts.Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            int open = part.IndexOf('(');
            string name = open < 0 ? part : part[..open];
            var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (open >= 0)
            {
                foreach (var o in part[(open + 1)..^1].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var kv = o.Split('=', 2);
                    options[kv[0]] = kv.Length > 1 ? kv[1] : "";
                }
            }
            result[name] = options;
        }
        return result;
    }

    private DvResponse Metadata(DvRequest r, string path)
    {
        var segments = SplitPath(path);
        string first = segments[0];
        var select = SelectList(r.Query.GetValueOrDefault("$select"));
        var expand = ParseExpand(r.Query.GetValueOrDefault("$expand"));
        string? filterText = r.Query.GetValueOrDefault("$filter");
        if (first == "EntityDefinitions")
        {
            if (segments.Count > 1)
            {
                throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{segments[1]}'.");
            }
            var filter = string.IsNullOrWhiteSpace(filterText) ? null : ODataFilter.Parse(filterText);
            var items = new JsonArray();
            foreach (var e in Store.Entities)
            {
                var full = MetadataJson.Entity(e);
                if (filter is not null && !ODataFilter.Evaluate(filter, p => MetadataJson.PathValue(full, p)))
                {
                    continue;
                }
                items.Add(EntityWithExpand(e, full, select, expand));
            }
            string ctx = select is null ? "EntityDefinitions" : $"EntityDefinitions({string.Join(",", select)})";
            return DvResponse.Json(200, new JsonObject { ["@odata.context"] = r.ApiRoot + "$metadata#" + ctx, ["value"] = items });
        }
        string key = first["EntityDefinitions(".Length..^1];
        var def = MetadataEntity(key);
        if (segments.Count == 1)
        {
            var o = EntityWithExpand(def, MetadataJson.Entity(def), select, expand);
            var result = new JsonObject { ["@odata.context"] = $"{r.ApiRoot}$metadata#EntityDefinitions{(select is null ? "" : "(" + string.Join(",", select) + ")")}/$entity" };
            foreach (var (k, v) in o)
            {
                result[k] = v?.DeepClone();
            }
            return DvResponse.Json(200, result);
        }
        string second = segments[1];
        if (second == "Keys")
        {
            var keys = new JsonArray(def.Keys.Select(k => (JsonNode)MetadataJson.Select(MetadataJson.Key(def, k), select, [])).ToArray());
            return DvResponse.Json(200, new JsonObject { ["@odata.context"] = $"{r.ApiRoot}$metadata#EntityDefinitions('{def.LogicalName}')/Keys", ["value"] = keys });
        }
        if (second == "Attributes" || second.StartsWith("Attributes(", StringComparison.Ordinal))
        {
            string? cast = segments.Count > 2 ? segments[2] : null;
            string? typeFilter = null;
            if (cast is not null)
            {
                if (!cast.StartsWith("Microsoft.Dynamics.CRM.", StringComparison.Ordinal))
                {
                    throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{cast}'.");
                }
                typeFilter = cast["Microsoft.Dynamics.CRM.".Length..];
            }
            bool withOptions = expand.ContainsKey("OptionSet") || expand.ContainsKey("GlobalOptionSet");
            if (second.StartsWith("Attributes(", StringComparison.Ordinal))
            {
                string attrKey = second["Attributes(".Length..^1];
                var attr = MetadataAttribute(def, attrKey);
                if (typeFilter is not null && attr.MetadataType != typeFilter)
                {
                    throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{cast}'.");
                }
                var o = MetadataJson.Select(MetadataJson.Attribute(def, attr, withOptions), select, expand.Keys);
                var result = new JsonObject { ["@odata.context"] = $"{r.ApiRoot}$metadata#EntityDefinitions('{def.LogicalName}')/Attributes{(typeFilter is null ? "" : "/Microsoft.Dynamics.CRM." + typeFilter)}/$entity" };
                foreach (var (k, v) in o)
                {
                    result[k] = v?.DeepClone();
                }
                return DvResponse.Json(200, result);
            }
            var attrs = Attributes(def, typeFilter, select, filterText, withOptions, expand.Keys);
            return DvResponse.Json(200, new JsonObject
            {
                ["@odata.context"] = $"{r.ApiRoot}$metadata#EntityDefinitions('{def.LogicalName}')/Attributes{(typeFilter is null ? "" : "/Microsoft.Dynamics.CRM." + typeFilter)}",
                ["value"] = attrs,
            });
        }
        throw new DataverseException(404, "0x8006088a", $"Resource not found for the segment '{second}'.");
    }

    private JsonArray Attributes(EntityDef def, string? typeFilter, IReadOnlyCollection<string>? select, string? filterText, bool withOptions, IReadOnlyCollection<string> keep)
    {
        var filter = string.IsNullOrWhiteSpace(filterText) ? null : ODataFilter.Parse(filterText);
        var list = new JsonArray();
        foreach (var a in def.Attributes)
        {
            if (typeFilter is not null && a.MetadataType != typeFilter && !(typeFilter == "EnumAttributeMetadata" && a.Kind is AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status))
            {
                continue;
            }
            var full = MetadataJson.Attribute(def, a, withOptions);
            if (filter is not null && !ODataFilter.Evaluate(filter, p => MetadataJson.PathValue(full, p)))
            {
                continue;
            }
            list.Add(MetadataJson.Select(full, select, keep));
        }
        return list;
    }

    private JsonObject EntityWithExpand(EntityDef def, JsonObject full, IReadOnlyCollection<string>? select, Dictionary<string, Dictionary<string, string>> expand)
    {
        var o = MetadataJson.Select(full, select, []);
        foreach (var (name, options) in expand)
        {
            var nestedSelect = SelectList(options.GetValueOrDefault("$select"));
            switch (name)
            {
                case "Attributes":
                    o["Attributes"] = Attributes(def, null, nestedSelect, options.GetValueOrDefault("$filter"), false, []);
                    break;
                case "Keys":
                    o["Keys"] = new JsonArray(def.Keys.Select(k => (JsonNode)MetadataJson.Select(MetadataJson.Key(def, k), nestedSelect, [])).ToArray());
                    break;
                case "ManyToOneRelationships":
                    o["ManyToOneRelationships"] = new JsonArray(MetadataJson.ManyToOne(Store, def).Select(m => (JsonNode)MetadataJson.Select(m, nestedSelect, [])).ToArray());
                    break;
                default:
                    throw new DataverseException(400, "0x80060888", $"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.");
            }
        }
        return o;
    }

    private EntityDef MetadataEntity(string key)
    {
        EntityDef? def = null;
        if (key.StartsWith("LogicalName=", StringComparison.Ordinal))
        {
            string name = key["LogicalName=".Length..].Trim('\'');
            def = Store.Entity(name);
            if (def is null)
            {
                throw new DataverseException(404, "0x80040217", $"Could not find entity with logical name '{name}'.");
            }
        }
        else if (Guid.TryParse(key, out var id))
        {
            def = Store.Entities.FirstOrDefault(e => e.MetadataId == id) ?? throw new DataverseException(404, "0x80040217", $"Could not find entity with MetadataId '{id}'.");
        }
        return def ?? throw new DataverseException(400, "0x80060888", "Bad Request - Error in query syntax.");
    }

    private static AttributeDef MetadataAttribute(EntityDef def, string key)
    {
        if (key.StartsWith("LogicalName=", StringComparison.Ordinal))
        {
            string name = key["LogicalName=".Length..].Trim('\'');
            return def.Attribute(name) ?? throw new DataverseException(404, "0x80040217", $"Could not find attribute with logical name '{name}' on entity '{def.LogicalName}'.");
        }
        if (Guid.TryParse(key, out var id))
        {
            return def.Attributes.FirstOrDefault(a => a.MetadataId == id) ?? throw new DataverseException(404, "0x80040217", $"Could not find attribute with MetadataId '{id}'.");
        }
        throw new DataverseException(400, "0x80060888", "Bad Request - Error in query syntax.");
    }

    // ---- queries --------------------------------------------------------------------------------------------------------

    private static List<AttributeDef>? Columns(EntityDef def, string? select)
    {
        if (string.IsNullOrWhiteSpace(select))
        {
            return null;
        }
        var list = new List<AttributeDef>();
        foreach (var name in select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var attr = def.ByWebName(name) ?? def.Attribute(name)
                ?? throw new DataverseException(400, "0x80060888", $"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{def.LogicalName}'.");
            if (!list.Contains(attr))
            {
                list.Add(attr);
            }
        }
        return list;
    }

    private static string ContextColumns(List<AttributeDef>? columns) =>
        columns is null ? "" : "(" + string.Join(",", columns.Select(c => c.WebName)) + ")";

    private static void CheckProperties(EntityDef def, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (def.ByWebName(name) is null)
            {
                throw new DataverseException(400, "0x80060888", $"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{def.LogicalName}'.");
            }
        }
    }

    private static string DeltaToken(long version, DateTime at) =>
        version.ToString(CultureInfo.InvariantCulture) + "!" + at.ToString("MM/dd/yyyy HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Dataverse's paging cookie (<c>$skiptoken</c>), carrying the page number, the last key and, for change tracking, the versions.</summary>
    private static string SkipToken(int page, string entityKey, string last, string first, bool tracking, long? bound, long? from)
    {
        string inner = $"<cookie page=\"{page - 1}\"><{entityKey} last=\"{{{last.ToUpperInvariant()}}}\" first=\"{{{first.ToUpperInvariant()}}}\" />"
                       + (bound is { } b ? $"<version bound=\"{b}\" from=\"{from ?? 0}\" />" : "") + "</cookie>";
        return $"<cookie pagenumber=\"{page}\" pagingcookie=\"{Uri.EscapeDataString(inner).ToLowerInvariant()}\" istracking=\"{(tracking ? "True" : "False")}\" />";
    }

    private sealed record Cookie(int Page, string? Last, long? Bound, long? From, bool Tracking);

    private static Cookie ParseSkipToken(string token)
    {
        try
        {
            var outer = System.Xml.Linq.XElement.Parse(token);
            int page = int.Parse(outer.Attribute("pagenumber")!.Value, CultureInfo.InvariantCulture);
            bool tracking = string.Equals(outer.Attribute("istracking")?.Value, "True", StringComparison.OrdinalIgnoreCase);
            string? cookieText = outer.Attribute("pagingcookie")?.Value;
            string? last = null;
            long? bound = null, from = null;
            if (!string.IsNullOrEmpty(cookieText))
            {
                var inner = System.Xml.Linq.XElement.Parse(Uri.UnescapeDataString(cookieText));
                var keyElement = inner.Elements().FirstOrDefault(e => e.Name.LocalName != "version");
                last = keyElement?.Attribute("last")?.Value.Trim('{', '}');
                if (inner.Element("version") is { } v)
                {
                    bound = long.Parse(v.Attribute("bound")!.Value, CultureInfo.InvariantCulture);
                    from = long.Parse(v.Attribute("from")!.Value, CultureInfo.InvariantCulture);
                }
            }
            return new Cookie(page, last, bound, from, tracking);
        }
        catch (Exception ex) when (ex is System.Xml.XmlException or FormatException or NullReferenceException or OverflowException)
        {
            throw new DataverseException(400, "0x80060888", "The $skiptoken is not valid: " + ex.Message);
        }
    }

    // Dataverse leaves '/' unescaped in a $skiptoken (…%20/%3E) but escapes it in a $deltatoken (…%2f22%2f2017…).
    private static string QueryString(Dictionary<string, string> options) =>
        string.Join("&", options.Select(kv => kv.Key + "=" + (kv.Key == "$skiptoken" ? Escape(kv.Value).Replace("%2F", "/", StringComparison.Ordinal) : Escape(kv.Value))));

    private static string Escape(string value) =>
        Uri.EscapeDataString(value).Replace("%2C", ",", StringComparison.Ordinal).Replace("%3D", "=", StringComparison.Ordinal);

    private DvResponse QuerySet(DvRequest r, EntityDef def)
    {
        var prefer = ParsePrefer(r.Header("Prefer"));
        var q = r.Query;
        if (q.ContainsKey("$skip"))
        {
            throw new DataverseException(400, "0x80060888", "The query parameter $skip is not supported");
        }
        if (q.ContainsKey("$apply") || q.ContainsKey("fetchXml") || q.ContainsKey("savedQuery") || q.ContainsKey("userQuery"))
        {
            throw new DataverseException(400, "0x80060888", "The CrmSync emulator does not serve $apply, fetchXml or saved queries.");
        }
        bool delta = q.ContainsKey("$deltatoken");
        bool tracking = prefer.TrackChanges || delta;
        if (tracking)
        {
            foreach (var option in new[] { "$filter", "$orderby", "$expand", "$top" })
            {
                if (q.ContainsKey(option))
                {
                    throw new DataverseException(400, "0x80060888", $"The \"{option}\" query parameter isn't supported when Change Tracking is enabled.");
                }
            }
            if (!def.ChangeTrackingEnabled)
            {
                throw new DataverseException(400, "0x80060888", $"Change tracking is not enabled for the entity {def.LogicalName}.");
            }
        }
        var expand = Expansions(def, q.GetValueOrDefault("$expand"));
        var columns = Columns(def, q.GetValueOrDefault("$select"));
        var filter = q.TryGetValue("$filter", out var ft) && !string.IsNullOrWhiteSpace(ft) ? ODataFilter.Parse(ft) : null;
        if (filter is not null)
        {
            CheckProperties(def, ODataFilter.Properties(filter));
        }
        var orderBy = q.TryGetValue("$orderby", out var ob) && !string.IsNullOrWhiteSpace(ob) ? ODataFilter.ParseOrderBy(ob) : [];
        CheckProperties(def, orderBy.Select(o => o.Property));
        int? top = null;
        if (q.TryGetValue("$top", out var topText))
        {
            if (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out int t))
            {
                throw new DataverseException(400, "0x80060888", $"Invalid value '{topText}' for $top query option found.");
            }
            top = t;
        }
        int pageSize = Math.Min(prefer.MaxPageSize ?? MaxPageSize, MaxPageSize);
        if (prefer.MaxPageSize is not null)
        {
            top = null; // $top is ignored when odata.maxpagesize is present
        }
        var cookie = q.TryGetValue("$skiptoken", out var skipText) ? ParseSkipToken(skipText) : null;
        var now = _org.Clock.GetUtcNow().UtcDateTime;
        var body = new JsonObject();
        string context = $"{r.ApiRoot}$metadata#{def.EntitySetName}{ContextColumns(columns)}";
        var passOn = new Dictionary<string, string>(StringComparer.Ordinal);
        if (q.TryGetValue("$select", out var sel))
        {
            passOn["$select"] = sel;
        }
        List<DvRecord> rows;
        long bound;
        long from = 0;
        lock (Store.Sync)
        {
            if (delta)
            {
                string token = q["$deltatoken"];
                var parts = token.Split('!', 2);
                if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out from)
                    || !DateTime.TryParseExact(parts[1], "MM/dd/yyyy HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var issued))
                {
                    throw new DataverseException(400, "0x80060888", $"The delta token '{token}' is not valid.");
                }
                if (issued < now.AddDays(-_org.Settings.ExpireChangeTrackingInDays))
                {
                    throw new DataverseException(400, "0x80044352", "Version stamp associated with the client has expired. Please perform a full sync.");
                }
                // Deleted-row tracking is kept only as long as delta tokens are valid.
                Store.PurgeTombstones(now.AddDays(-_org.Settings.ExpireChangeTrackingInDays));
                context += "/$delta";
            }
            bound = cookie?.Bound ?? Store.CurrentVersion;
            if (cookie?.From is { } cf)
            {
                from = cf;
            }
            if (delta)
            {
                // New and changed rows (by version), then deletions, both within (from, bound].
                var changed = Store.Snapshot(def.LogicalName).Where(x => x.Version > from && x.Version <= bound).OrderBy(x => x.Version).ToList();
                var tombs = Store.Tombstones(def.LogicalName).Where(t => t.Version > from && t.Version <= bound).OrderBy(t => t.Version).ToList();
                // Page over the combined sequence (changed rows first, then deletes), keyed by phase and version.
                var combined = changed.Select(x => (Version: x.Version, Row: (DvRecord?)x, Tomb: (Tombstone?)null))
                    .Concat(tombs.Select(t => (Version: t.Version, Row: (DvRecord?)null, Tomb: (Tombstone?)t))).ToList();
                int startIndex = 0;
                if (cookie?.Last is not null)
                {
                    int phase = cookie.Last.StartsWith("d", StringComparison.Ordinal) ? 1 : 0;
                    long lastVersion = long.Parse(cookie.Last.TrimStart('d', 'r'), CultureInfo.InvariantCulture);
                    startIndex = combined.FindIndex(c => (c.Row is null ? 1 : 0) > phase || ((c.Row is null ? 1 : 0) == phase && c.Version > lastVersion));
                    if (startIndex < 0)
                    {
                        startIndex = combined.Count;
                    }
                }
                var page = combined.Skip(startIndex).Take(pageSize).ToList();
                var values = new JsonArray();
                foreach (var item in page)
                {
                    if (item.Row is { } row)
                    {
                        values.Add(RecordJson.Write(Store, def, row, columns, prefer.Wants));
                    }
                    else
                    {
                        values.Add(new JsonObject
                        {
                            ["@odata.context"] = $"{r.ApiRoot}$metadata#{def.EntitySetName}/$deletedEntity",
                            ["id"] = item.Tomb!.Id.ToString(),
                            ["reason"] = "deleted",
                        });
                    }
                }
                body["@odata.context"] = context;
                body["value"] = values;
                if (startIndex + page.Count < combined.Count)
                {
                    var lastItem = page[^1];
                    string lastKey = (lastItem.Row is null ? "d" : "r") + lastItem.Version.ToString(CultureInfo.InvariantCulture);
                    var next = new Dictionary<string, string>(passOn) { ["$deltatoken"] = q["$deltatoken"] };
                    next["$skiptoken"] = DeltaSkipToken((cookie?.Page ?? 1) + 1, lastKey, bound, from);
                    body["@odata.nextLink"] = $"{r.ApiRoot}{def.EntitySetName}?{QueryString(next)}";
                }
                else
                {
                    var link = new Dictionary<string, string>(passOn) { ["$deltatoken"] = DeltaToken(bound, now) };
                    body["@odata.deltaLink"] = $"{r.ApiRoot}{def.EntitySetName}?{QueryString(link)}";
                }
                return Finish(r, prefer, body, pageSize, tracking: true);
            }
            rows = Store.Snapshot(def.LogicalName);
        }
        if (filter is not null)
        {
            rows = rows.Where(x => ODataFilter.Evaluate(filter, p => RecordJson.FilterValue(def, x, p))).ToList();
        }
        if (orderBy.Count > 0)
        {
            IOrderedEnumerable<DvRecord>? ordered = null;
            foreach (var (property, descending) in orderBy)
            {
                var comparer = Comparer<DvRecord>.Create((a, b) => CompareNullable(RecordJson.FilterValue(def, a, property), RecordJson.FilterValue(def, b, property)));
                ordered = ordered is null
                    ? (descending ? rows.OrderByDescending(x => x, comparer) : rows.OrderBy(x => x, comparer))
                    : (descending ? ordered.ThenByDescending(x => x, comparer) : ordered.ThenBy(x => x, comparer));
            }
            rows = ordered!.ThenBy(x => x.Id).ToList();
        }
        int total = rows.Count;
        if (top is { } limit)
        {
            rows = rows.Take(limit).ToList();
        }
        int skip = 0;
        if (cookie is not null)
        {
            if (orderBy.Count == 0 && cookie.Last is { } last && Guid.TryParse(last, out var lastId))
            {
                rows = rows.Where(x => x.Id.CompareTo(lastId) > 0).ToList();
            }
            else
            {
                skip = (cookie.Page - 1) * pageSize;
                rows = rows.Skip(skip).ToList();
            }
        }
        var pageRows = rows.Take(pageSize).ToList();
        var array = new JsonArray(pageRows.Select(x => (JsonNode)Expand(RecordJson.Write(Store, def, x, columns, prefer.Wants), x, expand, prefer)).ToArray());
        body["@odata.context"] = context;
        if (q.TryGetValue("$count", out var countText) && countText.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            body["@odata.count"] = Math.Min(total, MaxPageSize);
            if (prefer.Wants("Microsoft.Dynamics.CRM.totalrecordcount"))
            {
                body["@Microsoft.Dynamics.CRM.totalrecordcount"] = -1;
                body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] = total > MaxPageSize;
            }
        }
        body["value"] = array;
        if (rows.Count > pageSize)
        {
            int page = (cookie?.Page ?? 1) + 1;
            var next = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in q)
            {
                if (k != "$skiptoken")
                {
                    next[k] = v;
                }
            }
            next["$skiptoken"] = SkipToken(page, def.PrimaryIdAttribute, pageRows[^1].Id.ToString(), pageRows[0].Id.ToString(), tracking, tracking ? bound : null, tracking ? 0 : null);
            body["@odata.nextLink"] = $"{r.ApiRoot}{def.EntitySetName}?{QueryString(next)}";
        }
        else if (tracking)
        {
            var link = new Dictionary<string, string>(passOn) { ["$deltatoken"] = DeltaToken(bound, now) };
            body["@odata.deltaLink"] = $"{r.ApiRoot}{def.EntitySetName}?{QueryString(link)}";
        }
        return Finish(r, prefer, body, pageSize, tracking);
    }

    private static string DeltaSkipToken(int page, string lastKey, long bound, long from)
    {
        string inner = $"<cookie page=\"{page - 1}\"><changes last=\"{lastKey}\" /><version bound=\"{bound}\" from=\"{from}\" /></cookie>";
        return $"<cookie pagenumber=\"{page}\" pagingcookie=\"{Uri.EscapeDataString(inner).ToLowerInvariant()}\" istracking=\"True\" />";
    }

    private static DvResponse Finish(DvRequest r, Preferences prefer, JsonObject body, int pageSize, bool tracking)
    {
        var response = DvResponse.Json(200, body);
        var applied = new List<string>();
        if (prefer.MaxPageSize is not null)
        {
            applied.Add("odata.maxpagesize=" + pageSize.ToString(CultureInfo.InvariantCulture));
        }
        if (prefer.AnnotationText is not null)
        {
            applied.Add($"odata.include-annotations=\"{prefer.AnnotationText}\"");
        }
        if (tracking && ParsePrefer(r.Header("Prefer")).TrackChanges)
        {
            applied.Add("odata.track-changes");
        }
        if (applied.Count > 0)
        {
            response.Headers["Preference-Applied"] = string.Join(",", applied);
        }
        return response;
    }

    private static int CompareNullable(object? a, object? b)
    {
        if (a is null)
        {
            return b is null ? 0 : -1;
        }
        if (b is null)
        {
            return 1;
        }
        return ODataFilter.CompareValues(a, b) ?? 0;
    }

    private DvResponse Count(DvRequest r, EntityDef def)
    {
        int count;
        if (r.Query.TryGetValue("$deltatoken", out var token))
        {
            var parts = token.Split('!', 2);
            long from = long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var f) ? f : throw new DataverseException(400, "0x80060888", $"The delta token '{token}' is not valid.");
            lock (Store.Sync)
            {
                count = Store.Snapshot(def.LogicalName).Count(x => x.Version > from) + Store.Tombstones(def.LogicalName).Count(t => t.Version > from);
            }
        }
        else
        {
            count = Store.Count(def.LogicalName);
        }
        return new DvResponse { Status = 200, Body = Math.Min(count, MaxPageSize).ToString(CultureInfo.InvariantCulture), ContentType = "text/plain" };
    }

    /// <summary>One <c>$expand</c> of a single-valued navigation property.</summary>
    private sealed record Expansion(string Name, AttributeDef Lookup, string? Target, Dictionary<string, string> Options);

    /// <summary>Parses <c>$expand=parentcustomerid_account($select=name),ownerid</c> (single-valued navigation properties only).</summary>
    private List<Expansion> Expansions(EntityDef def, string? text)
    {
        var list = new List<Expansion>();
        foreach (var (name, options) in ParseExpand(text))
        {
            var (lookup, target) = DataverseWriter.Navigation(def, name) ?? throw new DataverseException(400, "0x80060888",
                $"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{def.LogicalName}'. (The CrmSync emulator expands single-valued navigation properties only.)");
            foreach (var option in options.Keys.Where(k => !k.Equals("$select", StringComparison.OrdinalIgnoreCase)))
            {
                throw new DataverseException(400, "0x80060888", $"The query option '{option}' is not supported inside $expand of a single-valued navigation property.");
            }
            if (target is not null && options.TryGetValue("$select", out var nested))
            {
                Columns(Store.Entity(target)!, nested);
            }
            list.Add(new Expansion(name, lookup, target, options));
        }
        return list;
    }

    private JsonObject Expand(JsonObject row, DvRecord record, List<Expansion> expansions, Preferences prefer)
    {
        foreach (var e in expansions)
        {
            JsonObject? related = null;
            if (record.Get(e.Lookup.LogicalName) is EntityRef reference && (e.Target is null || e.Target == reference.LogicalName)
                && Store.Entity(reference.LogicalName) is { } targetDef && Store.Find(reference.LogicalName, reference.Id) is { } target)
            {
                related = RecordJson.Write(Store, targetDef, target, Columns(targetDef, e.Options.GetValueOrDefault("$select")), prefer.Wants);
            }
            row[e.Name] = related;
        }
        return row;
    }

    // ---- single rows ---------------------------------------------------------------------------------------------------

    private DvResponse Retrieve(DvRequest r, EntityDef def, string keyText)
    {
        var prefer = ParsePrefer(r.Header("Prefer"));
        var expand = Expansions(def, r.Query.GetValueOrDefault("$expand"));
        var columns = Columns(def, r.Query.GetValueOrDefault("$select"));
        var record = Resolve(def, keyText) ?? throw NotFoundFor(def, keyText);
        string ifNoneMatch = r.Header("If-None-Match");
        // Never 304 with $expand or with annotations (as documented).
        if (ifNoneMatch.Length > 0 && ifNoneMatch != "null" && !prefer.Annotations && expand.Count == 0 && ifNoneMatch == RecordJson.Etag(record.Version))
        {
            return new DvResponse { Status = 304 };
        }
        var o = Expand(RecordJson.Write(Store, def, record, columns, prefer.Wants, $"{r.ApiRoot}$metadata#{def.EntitySetName}{ContextColumns(columns)}/$entity"), record, expand, prefer);
        return Finish(r, prefer, o, MaxPageSize, false);
    }

    private static DataverseException NotFoundFor(EntityDef def, string keyText) =>
        Guid.TryParse(keyText, out var id)
            ? new DataverseException(404, "0x80040217", $"Entity '{def.LogicalName}' With Id = {id} Does Not Exist")
            : new DataverseException(404, "0x80040217", $"A record with the specified key values does not exist in {def.LogicalName} entity");

    private string EntityUrl(DvRequest r, EntityDef def, Guid id) => $"{r.ApiRoot}{def.EntitySetName}({id})";

    private void RecordFault(DvRequest r, Guid? id)
    {
        if (_org.Faults.ForRecordRule(r.Method, "/api/data/v9.2/" + r.Path, id?.ToString()) is { } hit)
        {
            var rule = hit.Rule;
            string code = rule.ErrorCode.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? rule.ErrorCode : "0x80044150";
            string message = rule.Message ?? (code switch
            {
                "0x80072322" => $"Number of requests exceeded the limit of {_org.Settings.RequestLimit} over time window of {(int)_org.Settings.Window.TotalSeconds} seconds.",
                "0x80044150" => "Generic SQL error.",
                _ => hit.Message,
            });
            int status = rule.StatusCode;
            throw new DataverseException(status, code, message) { RetryAfter = rule.RetryAfterSeconds ?? (status == 429 ? 1 : null) };
        }
    }

    private DvResponse Create(DvRequest r, EntityDef def)
    {
        var prefer = ParsePrefer(r.Header("Prefer"));
        var body = ParseBody(r);
        var values = Writer.Parse(def, body, r.ResolveReference);
        Guid? id = values.GetValueOrDefault(def.PrimaryIdAttribute) as Guid?;
        RecordFault(r, id);
        var record = Writer.Create(def, values, r.Caller, id);
        return WriteResult(r, def, record, prefer, created: true);
    }

    private DvResponse WriteResult(DvRequest r, EntityDef def, DvRecord record, Preferences prefer, bool created)
    {
        if (prefer.ReturnRepresentation)
        {
            var columns = Columns(def, r.Query.GetValueOrDefault("$select"));
            var o = RecordJson.Write(Store, def, record, columns, prefer.Wants, $"{r.ApiRoot}$metadata#{def.EntitySetName}{ContextColumns(columns)}/$entity");
            var response = DvResponse.Json(created ? 201 : 200, o);
            response.Headers["Preference-Applied"] = "return=representation";
            response.Headers["OData-EntityId"] = EntityUrl(r, def, record.Id);
            return response;
        }
        var noContent = DvResponse.NoContent();
        noContent.Headers["OData-EntityId"] = EntityUrl(r, def, record.Id);
        if (created)
        {
            noContent.Headers["Location"] = EntityUrl(r, def, record.Id);
        }
        return noContent;
    }

    private static JsonObject ParseBody(DvRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Body))
        {
            return new JsonObject();
        }
        return JsonNode.Parse(r.Body) as JsonObject ?? throw new DataverseException(400, "0x80060891", "The request body must be a JSON object.");
    }

    private DvResponse Patch(DvRequest r, EntityDef def, string keyText)
    {
        var prefer = ParsePrefer(r.Header("Prefer"));
        string ifMatch = r.Header("If-Match");
        string ifNoneMatch = r.Header("If-None-Match");
        var body = ParseBody(r);
        var values = Writer.Parse(def, body, r.ResolveReference);
        Guid? urlId = Guid.TryParse(keyText, out var g) ? g : null;
        Dictionary<string, object?>? keyValues = urlId is null ? DataverseWriter.ParseKey(def, keyText) : null;
        lock (Store.Sync)
        {
            var existing = urlId is { } id ? Store.Find(def.LogicalName, id) : Writer.FindByKey(def, keyValues!);
            if (ifMatch.Length > 0)
            {
                if (existing is null)
                {
                    string idText = urlId?.ToString() ?? keyText;
                    throw new DataverseException(404, "", $"{def.LogicalName} With Id = {idText} Does Not Exist");
                }
                if (ifMatch != "*" && ifMatch != RecordJson.Etag(existing.Version))
                {
                    throw new DataverseException(412, "", "The version of the existing record doesn't match the RowVersion property provided.");
                }
            }
            if (ifNoneMatch == "*" && existing is not null)
            {
                throw new DataverseException(412, "", "A record with matching key values already exists.");
            }
            if (existing is not null)
            {
                if (keyValues is not null)
                {
                    foreach (var k in keyValues.Keys)
                    {
                        values.Remove(k);
                    }
                }
                RecordFault(r, existing.Id);
                var updated = Writer.Update(def, existing.Id, values, r.Caller);
                return EchoKey(WriteResult(r, def, updated, prefer, created: false), r, def, keyValues is null ? null : keyText);
            }
            // Upsert: create with the id from the URL, or with the key values (body values win).
            if (keyValues is not null)
            {
                foreach (var (k, v) in keyValues)
                {
                    if (!values.ContainsKey(k))
                    {
                        values[k] = v is decimal d && def.Attribute(k)?.Kind is AttributeKind.Integer or AttributeKind.Picklist ? (int)d : v;
                    }
                }
            }
            RecordFault(r, urlId);
            var created = Writer.Create(def, values, r.Caller, urlId);
            var result = WriteResult(r, def, created, prefer, created: true);
            if (!prefer.ReturnRepresentation)
            {
                result.Headers.Remove("Location");
            }
            return EchoKey(result, r, def, keyValues is null ? null : keyText);
        }
    }

    /// <summary>An upsert by alternate key answers with the key URL in OData-EntityId (as the Dataverse docs show).</summary>
    private static DvResponse EchoKey(DvResponse response, DvRequest r, EntityDef def, string? keyText)
    {
        if (keyText is not null)
        {
            response.Headers["OData-EntityId"] = $"{r.ApiRoot}{def.EntitySetName}({keyText})";
        }
        return response;
    }

    private DvResponse Delete(DvRequest r, EntityDef def, string keyText)
    {
        lock (Store.Sync)
        {
            var record = Resolve(def, keyText) ?? throw NotFoundFor(def, keyText);
            string ifMatch = r.Header("If-Match");
            if (ifMatch.Length > 0 && ifMatch != "*" && ifMatch != RecordJson.Etag(record.Version))
            {
                throw new DataverseException(412, "", "The version of the existing record doesn't match the RowVersion property provided.");
            }
            RecordFault(r, record.Id);
            Writer.Delete(def, record.Id, r.Caller);
            return DvResponse.NoContent();
        }
    }

    // ---- actions --------------------------------------------------------------------------------------------------------

    private static bool Bool(JsonObject body, string name, bool fallback) =>
        body[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : fallback;

    private DvResponse Qualify(DvRequest r, EntityDef def, string keyText)
    {
        var lead = Resolve(def, keyText) ?? throw NotFoundFor(def, keyText);
        var body = ParseBody(r);
        if (body["Status"] is not JsonValue sv || !sv.TryGetValue<int>(out int status))
        {
            throw new DataverseException(400, "0x80060888", "Required parameter 'Status' is missing for the operation 'QualifyLead'.");
        }
        foreach (var required in new[] { "CreateAccount", "CreateContact", "CreateOpportunity" })
        {
            if (body[required] is null)
            {
                throw new DataverseException(400, "0x80060888", $"Required parameter '{required}' is missing for the operation 'QualifyLead'.");
            }
        }
        RecordFault(r, lead.Id);
        var created = Writer.QualifyLead(lead.Id, Bool(body, "CreateAccount", false), Bool(body, "CreateContact", false), Bool(body, "CreateOpportunity", false), status, r.Caller);
        var array = new JsonArray(created.Select(c => (JsonNode)new JsonObject
        {
            ["@odata.type"] = "#Microsoft.Dynamics.CRM." + c.Def.LogicalName,
            [c.Def.PrimaryIdAttribute] = c.Record.Id.ToString(),
        }).ToArray());
        return DvResponse.Json(200, new JsonObject
        {
            ["@odata.context"] = r.ApiRoot + "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)",
            ["value"] = array,
        });
    }

    private (EntityDef Def, Guid Id) EntityReference(JsonObject body, string parameter)
    {
        if (body[parameter] is not JsonObject o)
        {
            throw new DataverseException(400, "0x80060888", $"Required parameter '{parameter}' is missing for the operation 'Merge'.");
        }
        string type = o["@odata.type"]?.GetValue<string>() ?? throw new DataverseException(400, "0x80060888", $"The '{parameter}' parameter needs an @odata.type annotation.");
        string logical = type.TrimStart('#').Replace("Microsoft.Dynamics.CRM.", "", StringComparison.Ordinal);
        var def = Store.Entity(logical) ?? throw new DataverseException(400, "0x80060888", $"A type named '{type}' could not be resolved by the model.");
        if (o[def.PrimaryIdAttribute] is not JsonValue idValue || !Guid.TryParse(idValue.GetValue<string>(), out var id))
        {
            throw new DataverseException(400, "0x80060888", $"The '{parameter}' parameter needs its '{def.PrimaryIdAttribute}'.");
        }
        return (def, id);
    }

    private DvResponse Merge(DvRequest r)
    {
        var body = ParseBody(r);
        var target = EntityReference(body, "Target");
        var sub = EntityReference(body, "Subordinate");
        if (target.Def != sub.Def)
        {
            throw new DataverseException(400, "0x80040203", "The target and the subordinate must be of the same entity type.");
        }
        var update = body["UpdateContent"] is JsonObject u ? Writer.Parse(target.Def, u, r.ResolveReference) : [];
        update.Remove(target.Def.PrimaryIdAttribute);
        RecordFault(r, sub.Id);
        Writer.Merge(target.Def, target.Id, sub.Id, update, r.Caller);
        return DvResponse.NoContent();
    }

    /// <summary>CreateMultiple / UpdateMultiple: all targets in one transaction (any failure rolls back all).</summary>
    private DvResponse Multiple(DvRequest r, EntityDef def, bool create)
    {
        var body = ParseBody(r);
        if (body["Targets"] is not JsonArray targets || targets.Count == 0)
        {
            throw new DataverseException(400, "0x80060888", $"Required parameter 'Targets' is missing for the operation '{(create ? "CreateMultiple" : "UpdateMultiple")}'.");
        }
        var ids = new JsonArray();
        using (var scope = Store.BeginScope())
        {
            foreach (var node in targets)
            {
                if (node is not JsonObject target)
                {
                    throw new DataverseException(400, "0x80060888", "Every element of 'Targets' must be an entity.");
                }
                if (target["@odata.type"]?.GetValue<string>() is { } type && type.TrimStart('#') != "Microsoft.Dynamics.CRM." + def.LogicalName)
                {
                    throw new DataverseException(400, "0x80060888", $"All targets must be of type Microsoft.Dynamics.CRM.{def.LogicalName} (found '{type}').");
                }
                var values = Writer.Parse(def, target, r.ResolveReference);
                var id = values.GetValueOrDefault(def.PrimaryIdAttribute) as Guid?;
                RecordFault(r, id);
                if (create)
                {
                    ids.Add(Writer.Create(def, values, r.Caller, id).Id.ToString());
                }
                else
                {
                    Writer.Update(def, id ?? throw new DataverseException(400, "0x80040203", $"Every target of UpdateMultiple needs its '{def.PrimaryIdAttribute}'."), values, r.Caller);
                }
            }
            scope.Complete();
        }
        return create
            ? DvResponse.Json(200, new JsonObject { ["@odata.context"] = r.ApiRoot + "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", ["Ids"] = ids })
            : DvResponse.NoContent();
    }

    private static string? ListNavigation(string segment) => segment switch
    {
        "listlead_association" => "lead",
        "listcontact_association" => "contact",
        "listaccount_association" => "account",
        _ => null,
    };

    private DvResponse AddMemberList(DvRequest r, string keyText)
    {
        var listDef = Store.Entity("list")!;
        var list = Resolve(listDef, keyText) ?? throw NotFoundFor(listDef, keyText);
        var body = ParseBody(r);
        if (body["EntityId"] is not JsonValue v || !Guid.TryParse(v.GetValue<string>(), out var entityId))
        {
            throw new DataverseException(400, "0x80060888", "Required parameter 'EntityId' is missing for the operation 'AddMemberList'.");
        }
        string type = list.Get("createdfromcode") switch { 1 => "account", 2 => "contact", _ => "lead" };
        RecordFault(r, entityId);
        var member = Writer.AddListMember(list.Id, new EntityRef(entityId, type), r.Caller);
        return DvResponse.Json(200, new JsonObject
        {
            ["@odata.context"] = r.ApiRoot + "$metadata#Microsoft.Dynamics.CRM.AddMemberListResponse",
            ["id"] = member.Id.ToString(),
        });
    }

    private DvResponse ListAssociation(DvRequest r, string keyText, string memberType, List<string> segments)
    {
        var listDef = Store.Entity("list")!;
        var memberDef = Store.Entity(memberType)!;
        var list = Resolve(listDef, keyText) ?? throw NotFoundFor(listDef, keyText);
        string method = r.Method.ToUpperInvariant();
        bool isRef = segments[^1] == "$ref";
        if (!isRef && segments.Count == 2 && method == "GET")
        {
            var columns = Columns(memberDef, r.Query.GetValueOrDefault("$select"));
            var ids = Store.Snapshot("listmember").Where(m => m.Get("listid") is EntityRef l && l.Id == list.Id && m.Get("entityid") is EntityRef e && e.LogicalName == memberType)
                .Select(m => ((EntityRef)m.Get("entityid")!).Id).ToHashSet();
            var rows = Store.Snapshot(memberType).Where(x => ids.Contains(x.Id));
            return DvResponse.Json(200, new JsonObject
            {
                ["@odata.context"] = $"{r.ApiRoot}$metadata#{memberDef.EntitySetName}{ContextColumns(columns)}",
                ["value"] = new JsonArray(rows.Select(x => (JsonNode)RecordJson.Write(Store, memberDef, x, columns, null)).ToArray()),
            });
        }
        if (!isRef)
        {
            throw new DataverseException(405, "0x80060888", "Use $ref to associate or disassociate list members.");
        }
        if (method == "POST" && segments.Count == 3)
        {
            var body = ParseBody(r);
            string target = body["@odata.id"]?.GetValue<string>() ?? throw new DataverseException(400, "0x80060888", "The payload must contain '@odata.id'.");
            if (r.ResolveReference?.Invoke(target) is { } resolved)
            {
                target = resolved;
            }
            var id = ReferencedId(target, memberDef);
            RecordFault(r, id);
            Writer.AddListMember(list.Id, new EntityRef(id, memberType), r.Caller);
            return DvResponse.NoContent();
        }
        if (method == "DELETE")
        {
            Guid memberId;
            if (segments.Count == 3 && segments[1].Contains('(', StringComparison.Ordinal))
            {
                string inner = segments[1][(segments[1].IndexOf('(') + 1)..^1];
                memberId = Guid.TryParse(inner, out var m) ? m : throw new DataverseException(400, "0x80060888", "Bad Request - Error in query syntax.");
            }
            else if (r.Query.TryGetValue("$id", out var idUrl))
            {
                memberId = ReferencedId(idUrl, memberDef);
            }
            else
            {
                throw new DataverseException(400, "0x80060888", "The $ref DELETE needs the member's key or $id.");
            }
            RecordFault(r, memberId);
            if (!Writer.RemoveListMember(list.Id, memberId, r.Caller))
            {
                throw new DataverseException(404, "0x80040217", $"{memberType} With Id = {memberId} is not a member of list {list.Id}");
            }
            return DvResponse.NoContent();
        }
        return MethodNotAllowed(method);
    }

    private Guid ReferencedId(string url, EntityDef expected)
    {
        string tail = url.TrimEnd('/');
        int slash = tail.LastIndexOf('/');
        if (slash >= 0)
        {
            tail = tail[(slash + 1)..];
        }
        int open = tail.IndexOf('(');
        if (open <= 0 || !tail.EndsWith(')') || tail[..open] != expected.EntitySetName || !Guid.TryParse(tail[(open + 1)..^1], out var id))
        {
            throw new DataverseException(400, "0x80060888", $"The reference '{url}' is not a {expected.EntitySetName}(id) URL.");
        }
        return id;
    }

    /// <summary>Decodes a Web API query string into options.</summary>
    public static Dictionary<string, string> ParseQuery(string? query)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(query))
        {
            return result;
        }
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string key = WebUtility.UrlDecode(eq < 0 ? part : part[..eq]);
            string value = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
            result[key] = value;
        }
        return result;
    }
}
