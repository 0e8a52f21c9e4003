using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Bulk;
using CrmSync.Emulator.Salesforce.Soql;

namespace CrmSync.Emulator.Salesforce.Rest;

public sealed partial class SalesforceRestApi
{
    private static readonly Dictionary<string, char> Delimiters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["COMMA"] = ',', ["TAB"] = '\t', ["SEMICOLON"] = ';', ["PIPE"] = '|', ["CARET"] = '^', ["BACKQUOTE"] = '`',
    };

    private ApiResponse BulkQuery(ApiRequest request)
    {
        var s = request.Segments;
        var jobs = _org.BulkJobs;
        if (s.Count == 2)
        {
            if (request.Method == "POST")
            {
                return CreateBulkJob(request);
            }
            if (request.Method == "GET")
            {
                var mine = jobs.All.Where(j => j.OwnerUserId == request.Session.User.Id).Select(j => (JsonNode?)JobInfo(j, full: true)).ToArray();
                return ApiResponse.Ok(new JsonObject { ["done"] = true, ["records"] = new JsonArray(mine), ["nextRecordsUrl"] = null });
            }
            return MethodNotAllowed(request);
        }
        var job = jobs.Find(s[2]);
        if (job is null)
        {
            return ApiResponse.Error(404, "NOT_FOUND", "The requested resource does not exist");
        }
        if (s.Count == 3)
        {
            switch (request.Method)
            {
                case "GET":
                    jobs.Poll(job);
                    return ApiResponse.Ok(JobInfo(job, full: true));
                case "PATCH":
                    if (request.Body?["state"]?.GetValue<string>() != "Aborted")
                    {
                        return ApiResponse.Error(400, "INVALIDJOBSTATE", "Invalid state transition requested. Only Aborted is supported for query jobs.");
                    }
                    jobs.Abort(job);
                    return ApiResponse.Ok(JobInfo(job, full: false));
                case "DELETE":
                    jobs.Delete(job);
                    return ApiResponse.NoContent();
                default:
                    return MethodNotAllowed(request);
            }
        }
        if (s.Count == 4 && s[3].Equals("results", StringComparison.OrdinalIgnoreCase) && request.Method == "GET")
        {
            return BulkResults(request, job);
        }
        return ApiResponse.NotFound();
    }

    private ApiResponse CreateBulkJob(ApiRequest request)
    {
        if (request.Body is not JsonObject body)
        {
            return ApiResponse.Error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.");
        }
        string operation = body["operation"]?.GetValue<string>() ?? "";
        string? soql = body["query"]?.GetValue<string>();
        string delimiter = body["columnDelimiter"]?.GetValue<string>() ?? "COMMA";
        string lineEnding = body["lineEnding"]?.GetValue<string>() ?? "LF";
        if (operation is not ("query" or "queryAll"))
        {
            return ApiResponse.Error(400, "INVALIDJOB", $"Invalid operation: {operation}. Query jobs support query and queryAll.");
        }
        if (string.IsNullOrWhiteSpace(soql))
        {
            return ApiResponse.Error(400, "INVALIDJOB", "The query field is required.");
        }
        if (!Delimiters.ContainsKey(delimiter) || lineEnding is not ("LF" or "CRLF"))
        {
            return ApiResponse.Error(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding.");
        }
        try
        {
            var job = _org.BulkJobs.Create(operation, soql, request.Session.User.Id, request.Session.User.Restricted, request.Version, delimiter.ToUpperInvariant(), lineEnding);
            return ApiResponse.Ok(JobInfo(job, full: false));
        }
        catch (SoqlException ex)
        {
            return ApiResponse.Error(400, "INVALIDJOB", ex.Message);
        }
    }

    private static JsonObject JobInfo(BulkQueryJob job, bool full)
    {
        var info = new JsonObject
        {
            ["id"] = job.Id,
            ["operation"] = job.Operation,
            ["object"] = job.Object,
            ["createdById"] = job.CreatedById,
            ["createdDate"] = SalesforceFormat.DateTime(job.CreatedDate),
            ["systemModstamp"] = SalesforceFormat.DateTime(job.SystemModstamp),
            ["state"] = job.State.ToString(),
            ["concurrencyMode"] = "Parallel",
            ["contentType"] = "CSV",
            ["apiVersion"] = decimal.Parse(job.ApiVersion, CultureInfo.InvariantCulture),
        };
        if (full)
        {
            info["jobType"] = "V2Query";
        }
        info["lineEnding"] = job.LineEnding;
        info["columnDelimiter"] = job.ColumnDelimiter;
        if (full)
        {
            bool complete = job.State == BulkJobState.JobComplete;
            info["numberRecordsProcessed"] = complete ? job.Execution.RecordCount : 0;
            info["retries"] = 0;
            info["totalProcessingTime"] = complete ? 1 + job.Execution.RecordCount / 1000 : 0;
        }
        return info;
    }

    private static string StateCode(BulkJobState state) => state switch
    {
        BulkJobState.UploadComplete => "UPLOAD_COMPLETE",
        BulkJobState.InProgress => "IN_PROGRESS",
        BulkJobState.JobComplete => "JOB_COMPLETE",
        BulkJobState.Aborted => "ABORTED",
        _ => "FAILED",
    };

    private ApiResponse BulkResults(ApiRequest request, BulkQueryJob job)
    {
        _org.BulkJobs.Advance(job);
        if (job.State != BulkJobState.JobComplete)
        {
            return ApiResponse.Error(412, "JOB_NOT_COMPLETE",
                $"can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: {StateCode(job.State)}");
        }
        int start = 0;
        if (request.Query.TryGetValue("locator", out var locator) && !string.IsNullOrEmpty(locator) && locator != "null")
        {
            if (!TryDecodeLocator(locator, out start) || start > job.Execution.RecordCount)
            {
                return ApiResponse.Error(400, "INVALIDLOCATOR", "Invalid locator: " + locator);
            }
        }
        int max = int.MaxValue;
        if (request.Query.TryGetValue("maxRecords", out var maxText))
        {
            if (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max <= 0)
            {
                return ApiResponse.Error(400, "INVALIDPARAMETER", "maxRecords must be a positive integer");
            }
        }
        var execution = job.Execution;
        int end = (int)Math.Min(execution.RecordCount, (long)start + max);
        char delimiter = Delimiters[job.ColumnDelimiter];
        string newline = job.LineEnding == "CRLF" ? "\r\n" : "\n";
        var columns = execution.Plan.SelectedPaths;
        // Each selected path split once per request, not once per cell.
        var paths = columns.Select(c => c.Split('.')).ToArray();
        var response = new ApiResponse
        {
            Status = 200,
            ContentType = "text/csv",
            Stream = async (stream, ct) =>
            {
                // UTF-8 written straight into one reused buffer, flushed every 64 KB: no string per cell or per line.
                var csv = new BulkCsvWriter((byte)delimiter, newline);
                for (int c = 0; c < columns.Count; c++)
                {
                    csv.Cell(columns[c], c == 0);
                }
                csv.EndLine();
                // A flat SELECT list (every column a field of the object itself) is read straight into one reused array.
                var values = execution.HasFlatValues ? new object?[columns.Count] : null;
                for (int i = start; i < end;)
                {
                    i = WriteRows(csv, execution, values, paths, i, end);
                    await csv.FlushAsync(stream, ct).ConfigureAwait(false);
                }
                await csv.FlushAsync(stream, ct).ConfigureAwait(false);
            },
        };
        response.Headers["Sforce-NumberOfRecords"] = (end - start).ToString(CultureInfo.InvariantCulture);
        response.Headers["Sforce-Locator"] = end >= execution.RecordCount ? "null" : EncodeLocator(end);
        return response;
    }

    /// <summary>
    /// Writes the rows from <paramref name="from"/> until 64 KB are buffered or <paramref name="end"/>; returns the next row.
    /// Compiled optimized at once: the first chunk of a bulk job is otherwise served by unoptimized code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WriteRows(BulkCsvWriter csv, Querying.QueryExecution execution, object?[]? values, string[][] paths, int from, int end)
    {
        int i = from;
        for (; i < end && csv.Length < 1 << 16; i++)
        {
            if (values is not null)
            {
                execution.ValuesAt(i, values);
                for (int c = 0; c < values.Length; c++)
                {
                    csv.Cell(values[c], c == 0);
                }
            }
            else
            {
                var record = execution.RecordAt(i);
                for (int c = 0; c < paths.Length; c++)
                {
                    csv.Cell(CellValue(record, paths[c], c), c == 0);
                }
            }
            csv.EndLine();
        }
        return i;
    }

    /// <summary>
    /// The value of column <paramref name="column"/>: a plain field is the record's field at the same position (the record
    /// is projected in SELECT order), without a lookup by name per cell; a relationship path is looked up.
    /// </summary>
    private static object? CellValue(SoqlRecord record, string[] path, int column)
    {
        if (path.Length == 1 && column < record.Fields.Count && string.Equals(record.Fields[column].Key, path[0], StringComparison.OrdinalIgnoreCase))
        {
            return record.Fields[column].Value;
        }
        return PathValue(record, path);
    }

    private static object? PathValue(SoqlRecord record, string[] path)
    {
        object? current = record;
        foreach (var part in path)
        {
            current = current is SoqlRecord r ? r[part] : null;
        }
        return current;
    }

    private static string EncodeLocator(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(offset.ToString(CultureInfo.InvariantCulture))).TrimEnd('=');

    private static bool TryDecodeLocator(string locator, out int offset)
    {
        offset = 0;
        try
        {
            string padded = locator.PadRight(locator.Length + (4 - locator.Length % 4) % 4, '=');
            return int.TryParse(Encoding.ASCII.GetString(Convert.FromBase64String(padded)), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
