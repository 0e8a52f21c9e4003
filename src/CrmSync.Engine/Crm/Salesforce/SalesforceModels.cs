namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>One entry of a Salesforce REST error array (<c>errorCode</c>) or save result (<c>statusCode</c>).</summary>
public sealed record SalesforceError(string Code, string Message, IReadOnlyList<string> Fields);

/// <summary>The body of /sobjects/{Object}/updated.</summary>
public sealed record SalesforceUpdatedIds(IReadOnlyList<string> Ids, DateTimeOffset? LatestDateCovered);

/// <summary>One entry of /limits (e.g. DailyApiRequests).</summary>
public sealed record SalesforceLimit(string Name, long Max, long Remaining);

/// <summary>A Bulk API 2.0 query job.</summary>
public sealed record SalesforceBulkJob(
    string Id,
    string Operation,
    string? Object,
    string State,
    string? ErrorMessage,
    long? NumberRecordsProcessed,
    string? ApiVersion)
{
    public bool IsComplete => State == "JobComplete";

    public bool IsFinishedUnsuccessfully => State is "Failed" or "Aborted";
}

/// <summary>One page of a SOQL query result.</summary>
internal sealed record SalesforceQueryResult(long TotalSize, bool Done, string? NextRecordsUrl, IReadOnlyList<CrmRecord> Records);

/// <summary>What a successful login returned.</summary>
internal sealed record SalesforceLoginResult(
    string AccessToken,
    Uri InstanceUrl,
    string UserId,
    string OrganizationId,
    string? UserName,
    bool? Sandbox,
    TimeSpan? SessionValidFor);
