using System.Net;
using System.Runtime.CompilerServices;
using CrmSync.Engine.Shell;
using static CrmSync.Engine.Crm.CrmConnectionCheck;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// Test-CrmSyncConnection's checks for Salesforce: the login host answers as Salesforce, the sync user can see and query
/// each synced object, each is replicateable (the getUpdated/getDeleted change reads), the CrmSync_Key__c External ID field
/// exists on Lead and Contact (idempotent creates), and the daily API allowance left (Sforce-Limit-Info).
/// </summary>
internal sealed class SalesforceConnectionValidator : ICrmConnectionValidator
{
    /// <summary>The standard objects the Salesforce sync reads (the provider's catalog), persons first.</summary>
    internal static IReadOnlyList<string> SyncedObjects => CrmProviders.Salesforce.SyncedObjects.StandardObjects.Select(o => o.ObjectName).ToList();

    /// <summary>The person objects the sync creates records in: they need the External ID field for idempotent creates.</summary>
    internal static IReadOnlyList<string> PushedObjects => CrmProviders.Salesforce.SyncedObjects.PersonObjects;

    /// <summary>The External ID text field CrmSync upserts on.</summary>
    public const string ExternalKeyField = SalesforceProvider.ExternalIdFieldName;

    /// <summary>Below this share of the daily allowance left, the API limits check warns.</summary>
    private const double HeadroomWarning = 0.1;

    public Task<CrmConnectionCheck> CheckEndpointAsync(CrmEndpoints endpoints, CrmClientOptions options, CancellationToken cancellationToken) =>
        EndpointProbe.CheckAsync(endpoints.LoginUrl ?? endpoints.Shown,
            login => SalesforceLogin.ResolveLoginUrl(new CrmConnectionSettings { Kind = CrmKind.Salesforce, LoginUrl = login }),
            "/services/data/", options, (login, answer) =>
                answer.Status == HttpStatusCode.OK && answer.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
                    && answer.Body.TrimStart().StartsWith('[')
                    ? new EndpointProbe.Verdict(true, $"{login.Host} answers as Salesforce (GET /services/data/ lists the API versions).")
                    : new EndpointProbe.Verdict(false,
                        $"{login.Host} answered, but not as Salesforce: GET /services/data/ gave HTTP {(int?)answer.Status}{(answer.MediaType is null ? "" : ", " + answer.MediaType)}.",
                        $"Use https://login.salesforce.com, https://test.salesforce.com or the org's My Domain: {ShellAction.Connect.With(ActionParameter.LoginUrl)}."),
            cancellationToken);

    /// <summary>Nothing beyond the login: objects the user cannot see are reported by the field sync and by the checks.</summary>
    public Task EnsureReadAccessAsync(ICrmClient client, CancellationToken cancellationToken) => Task.CompletedTask;

    public async IAsyncEnumerable<CrmConnectionCheck> CheckAsync(ICrmClient client, ConnectionCheckOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var described = new Dictionary<string, CrmObjectSchema>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in SyncedObjects)
        {
            CrmObjectSchema? schema = null;
            CrmSyncException? error = null;
            try
            {
                schema = await client.Schema.DescribeAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (CrmSyncException e) when (e.ErrorId is ErrorIds.CrmObjectNotFound or ErrorIds.CrmPermissionDenied)
            {
                error = e;
            }
            if (schema is null)
                yield return Row(CrmConnectionCheck.Names.ReadAccess, name,
                    PushedObjects.Contains(name) ? ConnectionCheckResult.Failed : ConnectionCheckResult.Warning,
                    $"The sync user cannot see {name} ({error!.Message}): it will not sync.",
                    $"Give the sync user's profile or a permission set Read on {name}.");
            else if (!schema.Queryable)
                yield return Row(CrmConnectionCheck.Names.ReadAccess, name, ConnectionCheckResult.Failed,
                    $"{name} is visible but not queryable for the sync user.", $"Give the sync user's profile or a permission set Read on {name}.");
            else
            {
                described[name] = schema;
                yield return Row(CrmConnectionCheck.Names.ReadAccess, name, ConnectionCheckResult.Passed, $"The sync user can query {name}.");
            }
        }

        foreach (var name in SyncedObjects.Where(described.ContainsKey))
            yield return described[name].SupportsChangeTracking
                ? Row(CrmConnectionCheck.Names.ChangeTracking, name, ConnectionCheckResult.Passed, $"{name} is replicateable: its changes and deletions can be read incrementally.")
                : Row(CrmConnectionCheck.Names.ChangeTracking, name, ConnectionCheckResult.Failed,
                    $"{name} is not replicateable for the sync user: its changes cannot be read incrementally.",
                    "Check the sync user's API Enabled and View All permissions on the object.");

        foreach (var name in PushedObjects)
        {
            if (!described.TryGetValue(name, out var schema))
            {
                yield return Row(CrmConnectionCheck.Names.CrmSyncKey, name, ConnectionCheckResult.Skipped, $"{name} could not be described (see Read access).");
                continue;
            }
            var field = schema.FindField(ExternalKeyField);
            yield return field is null
                ? Row(CrmConnectionCheck.Names.CrmSyncKey, $"{name}.{ExternalKeyField}", ConnectionCheckResult.Failed,
                    $"{name} has no field {ExternalKeyField} (or the sync user cannot see it): records created by the sync could be created twice after a crash.",
                    $"Create a Text(100) field {ExternalKeyField} on {name} with 'External ID' and 'Unique' ticked, visible and editable for the sync user.")
                : !field.ExternalId
                    ? Row(CrmConnectionCheck.Names.CrmSyncKey, $"{name}.{ExternalKeyField}", ConnectionCheckResult.Failed,
                        $"{name}.{ExternalKeyField} exists but is not an External ID: the sync cannot upsert on it.",
                        $"Edit {name}.{ExternalKeyField} in Setup and tick 'External ID' (and 'Unique').")
                    : Row(CrmConnectionCheck.Names.CrmSyncKey, $"{name}.{ExternalKeyField}", ConnectionCheckResult.Passed,
                        $"{name}.{ExternalKeyField} is an External ID: creates are upserts on it and never duplicate.");
        }

        var usage = await client.GetApiUsageAsync(cancellationToken).ConfigureAwait(false);
        if (usage is null)
            yield return Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Skipped, "Salesforce reported no API usage.");
        else
        {
            var text = $"{usage.Remaining:N0} of {usage.Max:N0} daily API requests left ({usage.RemainingFraction:P0}, Sforce-Limit-Info api-usage={usage.Used}/{usage.Max}).";
            yield return usage.Remaining == 0
                ? Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Failed, "The daily API allowance is spent: " + text,
                    "Wait until the rolling 24-hour window frees requests, or ask Salesforce for a higher allowance.")
                : usage.RemainingFraction < HeadroomWarning
                    ? Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Warning, "Little headroom: " + text,
                        "The sync pauses when the reserve is reached; run the first sync when other integrations are quiet, or raise the allowance.")
                    : Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Passed, text);
        }
    }
}
