using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Rest;

public sealed partial class SalesforceRestApi
{
    /// <summary>Most records (across all levels) one sObject Tree call accepts.</summary>
    public const int MaxTreeRecords = 200;

    /// <summary>Deepest nesting (levels) of one sObject Tree call.</summary>
    public const int MaxTreeDepth = 5;

    private sealed record TreeNode(SObjectDefinition SObject, string ReferenceId, JsonObject Fields, FieldDefinition? ParentField, List<TreeNode> Children);

    /// <summary>
    /// <c>POST /composite/tree/{SObject}</c> (simple-salesforce <c>sf.composite.Account.tree_create</c>): creates record trees
    /// <c>{"records":[{"attributes":{"type","referenceId"}, fields…, "Contacts":{"records":[…]}}]}</c> in one transaction.
    /// 201 <c>{"hasErrors":false,"results":[{"referenceId","id"}]}</c>; any failure rolls everything back and answers 400
    /// <c>{"hasErrors":true,"results":[{"referenceId","errors":[{statusCode,message,fields}]}]}</c>.
    /// </summary>
    private ApiResponse SObjectTree(ApiRequest request, SObjectDefinition root)
    {
        if (request.Body is not JsonObject body || body["records"] is not JsonArray records)
        {
            return ApiResponse.Error(400, "JSON_PARSER_ERROR", "records is required");
        }
        var roots = new List<TreeNode>();
        var referenceIds = new HashSet<string>(StringComparer.Ordinal);
        int count = 0;
        string? problem = null;
        foreach (var record in records)
        {
            if (ParseTreeNode(record, root, null, 1, referenceIds, ref count, ref problem) is { } node)
            {
                roots.Add(node);
            }
            if (problem is not null)
            {
                return ApiResponse.Error(400, "INVALID_INPUT", problem);
            }
        }
        if (count > MaxTreeRecords)
        {
            return ApiResponse.Error(400, "LIMIT_EXCEEDED", $"A tree request can create at most {MaxTreeRecords} records; this one has {count}.");
        }
        var created = new JsonArray();
        var failed = new JsonArray();
        Store.RunAtomically(() =>
        {
            foreach (var node in roots)
            {
                CreateTreeNode(request, node, null, created, failed);
            }
            return failed.Count == 0;
        });
        return failed.Count == 0
            ? ApiResponse.Ok(new JsonObject { ["hasErrors"] = false, ["results"] = created }, 201)
            : ApiResponse.Ok(new JsonObject { ["hasErrors"] = true, ["results"] = failed }, 400);
    }

    private TreeNode? ParseTreeNode(JsonNode? record, SObjectDefinition expected, FieldDefinition? parentField, int depth, HashSet<string> referenceIds, ref int count, ref string? problem)
    {
        if (record is not JsonObject obj || obj["attributes"] is not JsonObject attributes)
        {
            problem = "Each record needs an attributes object with type and referenceId";
            return null;
        }
        string? type = attributes["type"] is JsonValue t && t.TryGetValue<string>(out var typeText) ? typeText : null;
        string? referenceId = attributes["referenceId"] is JsonValue r && r.TryGetValue<string>(out var refText) ? refText : null;
        if (type is null || !type.Equals(expected.Name, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"The record type {type ?? "(missing)"} does not match {expected.Name}";
            return null;
        }
        if (string.IsNullOrEmpty(referenceId) || !referenceIds.Add(referenceId))
        {
            problem = string.IsNullOrEmpty(referenceId) ? "Each record needs a referenceId" : $"Duplicate referenceId {referenceId}";
            return null;
        }
        if (depth > MaxTreeDepth)
        {
            problem = $"A tree can be at most {MaxTreeDepth} levels deep";
            return null;
        }
        count++;
        var fields = new JsonObject();
        var children = new List<TreeNode>();
        foreach (var (key, value) in obj)
        {
            if (key.Equals("attributes", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (value is JsonObject nested && nested["records"] is JsonArray childRecords)
            {
                if (DescribeWriter.FindChildRelationship(Store, expected, key) is not { } relationship)
                {
                    problem = $"INVALID_FIELD: No such child relationship '{key}' on entity '{expected.Name}'";
                    return null;
                }
                foreach (var child in childRecords)
                {
                    if (ParseTreeNode(child, relationship.Child, relationship.Field, depth + 1, referenceIds, ref count, ref problem) is not { } childNode)
                    {
                        return null;
                    }
                    children.Add(childNode);
                }
                continue;
            }
            fields[key] = value?.DeepClone();
        }
        return new TreeNode(expected, referenceId, fields, parentField, children);
    }

    private void CreateTreeNode(ApiRequest request, TreeNode node, string? parentId, JsonArray created, JsonArray failed)
    {
        var input = JsonValues.ToInput(node.Fields);
        if (node.ParentField is { } lookup && parentId is not null)
        {
            input[lookup.Name] = parentId;
        }
        var outcome = _org.Faults.ForRecord(request.Method, request.Path, null) is { } fault
            ? WriteOutcome.Fail(null, new SaveError(fault.Code, fault.Message))
            : Store.Create(node.SObject, input, request.WriteContext);
        if (!outcome.Success)
        {
            failed.Add(new JsonObject
            {
                ["referenceId"] = node.ReferenceId,
                ["errors"] = new JsonArray(outcome.Errors.Select(e => (JsonNode?)new JsonObject
                {
                    ["statusCode"] = e.StatusCode,
                    ["message"] = e.Message,
                    ["fields"] = new JsonArray(e.Fields.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
                }).ToArray()),
            });
            return;
        }
        created.Add(new JsonObject { ["referenceId"] = node.ReferenceId, ["id"] = outcome.Id });
        foreach (var child in node.Children)
        {
            CreateTreeNode(request, child, outcome.Id, created, failed);
        }
    }
}
