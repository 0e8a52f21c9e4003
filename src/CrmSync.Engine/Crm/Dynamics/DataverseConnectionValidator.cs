using System.Net;
using System.Runtime.CompilerServices;
using CrmSync.Engine.Shell;
using static CrmSync.Engine.Crm.CrmConnectionCheck;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Test-CrmSyncConnection's checks for Dynamics 365 and the read-access check of a new connection: the org answers as a
/// Dataverse Web API, the sync user can read each synced entity (one <c>$batch</c> of <c>$top=1</c> reads), change tracking
/// is enabled on each (the standard entities first, in the catalog's order, then the custom entities by name: the ones the
/// sync picks up and the ones the profile already syncs), the sync filter field (default <c>new_synctomkto</c>) is a Two Options field where present, the
/// CrmSync alternate key on <c>new_crmsynckey</c> exists and is Active on the pushed entities, and the service protection
/// headroom of the <c>x-ms-ratelimit-*</c> headers.
/// </summary>
internal sealed class DataverseConnectionValidator : ICrmConnectionValidator
{
    /// <summary>The standard entities the Dynamics sync reads (the provider's catalog), persons first; custom entities are added per org and profile (<see cref="EntitiesToCheckAsync"/>).</summary>
    internal static IReadOnlyList<string> SyncedEntities => CrmProviders.Dynamics.SyncedObjects.StandardObjects.Select(o => o.ObjectName).ToList();

    /// <summary>The person entities the sync creates records in: they need the CrmSync alternate key for idempotent creates.</summary>
    internal static IReadOnlyList<string> PushedEntities => CrmProviders.Dynamics.SyncedObjects.PersonObjects;

    /// <summary>The entities Marketo's sync filter applies to.</summary>
    internal static readonly string[] FilteredEntities = ["lead", "contact", "account", "opportunity"];

    /// <summary>Marketo's sync filter field (DYNAMICS.md §2.3).</summary>
    public const string DefaultSyncFilterField = CrmSync.Engine.Sync.SyncFilterRules.DefaultField;

    /// <summary>The column of the CrmSync alternate key (one text column, key index Active).</summary>
    public const string KeyAttribute = DynamicsProvider.ExternalIdFieldName;

    /// <summary>Below this share of the service protection allowance left, the API limits check warns.</summary>
    private const double HeadroomWarning = 0.2;

    public Task<CrmConnectionCheck> CheckEndpointAsync(CrmEndpoints endpoints, CrmClientOptions options, CancellationToken cancellationToken)
    {
        var api = "/api/data/v" + DataverseLogin.ApiVersion + "/";
        return EndpointProbe.CheckAsync(endpoints.OrganizationUrl ?? endpoints.Shown,
            org => DataverseLogin.ResolveOrganizationUrl(new CrmConnectionSettings { Kind = CrmKind.Dynamics, OrganizationUrl = org }),
            api, options, (org, answer) =>
                // A Dataverse org answers an anonymous Web API call with 401 and a Bearer challenge naming its Entra authority.
                answer.Status == HttpStatusCode.Unauthorized && answer.Authenticate?.Contains("authorization_uri", StringComparison.OrdinalIgnoreCase) == true
                    ? new EndpointProbe.Verdict(true,
                        $"{org.Host} answers as a Dynamics 365 (Dataverse) organization (Web API v{DataverseLogin.ApiVersion}, {answer.Authenticate}).")
                    : new EndpointProbe.Verdict(false,
                        $"{org.Host} answered, but not as a Dynamics 365 (Dataverse) organization: GET {api} gave HTTP {(int?)answer.Status}" +
                        $"{(answer.MediaType is null ? "" : ", " + answer.MediaType)} instead of 401 with a Bearer challenge.",
                        $"Use the organization URL from the Power Platform admin center (https://<org>.crm.dynamics.com): {ShellAction.Connect.With(ActionParameter.Profile, "<profile>")} with the right URL."),
            cancellationToken);
    }

    public async Task EnsureReadAccessAsync(ICrmClient client, CancellationToken cancellationToken)
    {
        var dataverse = Dataverse(client);
        var summaries = await dataverse.Schema.ListObjectsAsync(cancellationToken).ConfigureAwait(false);
        var present = SyncedEntities.Where(e => summaries.Any(s => s.Name.Equals(e, StringComparison.OrdinalIgnoreCase))).ToList();
        var reads = await ReadOneRowEachAsync(dataverse, present, cancellationToken).ConfigureAwait(false);
        var denied = reads.Where(r => r.Value is { } error && error.ErrorId == ErrorIds.CrmPermissionDenied).ToList();
        if (denied.Count == 0)
        {
            var other = reads.Select(r => r.Value).FirstOrDefault(e => e is not null);
            if (other is not null) throw other;
            return;
        }
        var user = dataverse.Session.Identity?.UserName ?? dataverse.Session.Identity?.UserId ?? "the sync user";
        throw new CrmSyncException(ErrorIds.CrmPermissionDenied, ErrorKind.PermissionDenied,
            $"The sign-in worked, but {user} cannot read {string.Join(", ", denied.Select(d => d.Key))} in Dynamics 365 ({dataverse.Session.OrganizationUrl.Host}): " +
            $"{denied[0].Value!.Message} Nothing was saved.",
            $"Give the sync user's security role (for example Marketo Sync User) organization-level Read on {string.Join(", ", denied.Select(d => d.Key))}, " +
            $"then run {ShellAction.Connect} again.",
            string.Join(",", denied.Select(d => d.Key)));
    }

    public async IAsyncEnumerable<CrmConnectionCheck> CheckAsync(ICrmClient client, ConnectionCheckOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataverse = Dataverse(client);
        var entities = await EntitiesToCheckAsync(dataverse, options, cancellationToken).ConfigureAwait(false);
        var described = new Dictionary<string, DataverseEntityMetadata>(StringComparer.OrdinalIgnoreCase);
        var missing = new Dictionary<string, CrmSyncException>(StringComparer.OrdinalIgnoreCase);
        foreach (var entity in entities)
        {
            try
            {
                described[entity] = await dataverse.Schema.DescribeEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }
            catch (CrmSyncException error) when (error.ErrorId is ErrorIds.CrmObjectNotFound or ErrorIds.CrmPermissionDenied)
            {
                missing[entity] = error;
            }
        }

        var reads = await ReadOneRowEachAsync(dataverse, entities.Where(described.ContainsKey).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var entity in entities)
        {
            if (missing.TryGetValue(entity, out var notDescribed))
            {
                var required = PushedEntities.Contains(entity);
                yield return Row(CrmConnectionCheck.Names.ReadAccess, entity,
                    notDescribed.ErrorId == ErrorIds.CrmObjectNotFound && !required ? ConnectionCheckResult.Warning : ConnectionCheckResult.Failed,
                    notDescribed.ErrorId == ErrorIds.CrmObjectNotFound ? $"The org has no entity '{entity}' (or the sync user cannot see it): it will not sync." : notDescribed.Message,
                    $"Give the sync user's security role organization-level Read on {entity}.");
                continue;
            }
            var error = reads[entity];
            yield return error is null
                ? Row(CrmConnectionCheck.Names.ReadAccess, entity, ConnectionCheckResult.Passed, $"The sync user can read {described[entity].EntitySetName}.")
                : Row(CrmConnectionCheck.Names.ReadAccess, entity, ConnectionCheckResult.Failed, error.Message,
                    error.ErrorId == ErrorIds.CrmPermissionDenied
                        ? $"Give the sync user's security role (for example Marketo Sync User) organization-level Read on {entity}."
                        : error.RecommendedAction);
        }

        foreach (var (entity, metadata) in Ordered(entities, described))
            yield return metadata.Schema.SupportsChangeTracking
                ? Row(CrmConnectionCheck.Names.ChangeTracking, entity, ConnectionCheckResult.Passed, $"Change tracking is enabled on {entity}.")
                : Row(CrmConnectionCheck.Names.ChangeTracking, entity, ConnectionCheckResult.Failed,
                    $"Change tracking is not enabled on {entity}: the sync reads changes by change tracking, so {entity} cannot sync incrementally.",
                    $"In the Power Apps maker portal open the {entity} table's properties, tick 'Track changes' under Advanced options, and save (it cannot be turned off again).");

        var filter = string.IsNullOrWhiteSpace(options.SyncFilterField) ? DefaultSyncFilterField : options.SyncFilterField.Trim();
        foreach (var (entity, metadata) in Ordered(entities, described).Where(d => FilteredEntities.Contains(d.Key)))
        {
            var field = metadata.Schema.FindField(filter);
            if (field is null)
                yield return Row(CrmConnectionCheck.Names.SyncFilterField, $"{entity}.{filter}",
                    options.SyncFilterFieldNamed ? ConnectionCheckResult.Warning : ConnectionCheckResult.Skipped,
                    $"{entity} has no field '{filter}': every {entity} record syncs.",
                    options.SyncFilterFieldNamed
                        ? $"To sync only some {entity} records, add a Two Options field named {filter} to {entity}; otherwise nothing needs doing."
                        : "");
            else if (field.Type != CrmFieldType.Boolean)
                yield return Row(CrmConnectionCheck.Names.SyncFilterField, $"{entity}.{filter}", ConnectionCheckResult.Failed,
                    $"{entity}.{filter} is a {field.NativeType} field; the sync filter must be a Two Options (Boolean) field, so it is ignored and every {entity} record syncs.",
                    $"Delete {entity}.{filter} and create it again as a Two Options field (Yes/No), or name another field with {ShellAction.TestConnection}'s sync filter option.");
            else
                yield return Row(CrmConnectionCheck.Names.SyncFilterField, $"{entity}.{filter}", ConnectionCheckResult.Passed,
                    $"{entity}.{filter} is a Two Options field: records where it is No do not sync; Yes or empty sync.");
        }

        foreach (var entity in PushedEntities)
        {
            if (!described.TryGetValue(entity, out var metadata))
            {
                yield return Row(CrmConnectionCheck.Names.CrmSyncKey, $"{entity}.{KeyAttribute}", ConnectionCheckResult.Skipped, $"{entity} could not be described (see Read access).");
                continue;
            }
            var key = metadata.Keys.FirstOrDefault(k => k.KeyAttributes.Count == 1 && k.KeyAttributes[0].Equals(KeyAttribute, StringComparison.OrdinalIgnoreCase));
            if (key is null)
                yield return Row(CrmConnectionCheck.Names.CrmSyncKey, $"{entity}.{KeyAttribute}", ConnectionCheckResult.Failed,
                    metadata.Schema.FindField(KeyAttribute) is null
                        ? $"{entity} has no column {KeyAttribute} and no alternate key on it: records created by the sync could be created twice after a crash."
                        : $"{entity}.{KeyAttribute} exists but is not an alternate key: records created by the sync could be created twice after a crash.",
                    $"Add a single-line text column {KeyAttribute} (100 characters) to {entity} and an alternate key on it, then wait until the key is Active.");
            else if (!key.IsActive)
                yield return Row(CrmConnectionCheck.Names.CrmSyncKey, $"{entity}.{KeyAttribute}", ConnectionCheckResult.Failed,
                    $"The alternate key {key.LogicalName} on {entity}.{KeyAttribute} is {key.Status}, not Active: Dataverse cannot address records by it yet.",
                    key.Status.Equals("Failed", StringComparison.OrdinalIgnoreCase)
                        ? $"Open the {entity} table's Keys in the maker portal and reactivate {key.LogicalName} (duplicate values make the index job fail: fix them first)."
                        : $"Wait until Dataverse has built the index of {key.LogicalName} (the key shows Active), then check again.");
            else
                yield return Row(CrmConnectionCheck.Names.CrmSyncKey, $"{entity}.{KeyAttribute}", ConnectionCheckResult.Passed,
                    $"The alternate key {key.LogicalName} on {entity}.{KeyAttribute} is Active: creates are upserts on it and never duplicate.");
        }

        yield return await ApiLimitsAsync(dataverse, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<CrmConnectionCheck> ApiLimitsAsync(DataverseClient client, CancellationToken cancellationToken)
    {
        var usage = await client.GetApiUsageAsync(cancellationToken).ConfigureAwait(false);
        if (usage is null)
            return Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Skipped,
                "Dynamics 365 sent no x-ms-ratelimit-* headers (they are informational and not always sent).");
        var text = $"{usage.Remaining:N0} of {usage.Max:N0} left in the current 5-minute service protection window ({usage.RemainingFraction:P0}).";
        return usage.Remaining == 0
            ? Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Failed, "The service protection limit is reached: " + text,
                "Wait five minutes (the limits are counted over a sliding 5-minute window) or stop other integrations that use this user.")
            : usage.RemainingFraction < HeadroomWarning
                ? Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Warning, "Little headroom: " + text,
                    "Other integrations share this user's limits: give the sync its own user, or let them finish before the first sync.")
                : Row(CrmConnectionCheck.Names.ApiLimits, "", ConnectionCheckResult.Passed, text);
    }

    /// <summary>
    /// One <c>$batch</c> of <c>GET {set}?$select={pk}&amp;$top=1</c>, one part per entity: null for a readable entity,
    /// else the mapped error (403 = CrmPermissionDenied naming the missing privilege).
    /// </summary>
    private static async Task<Dictionary<string, CrmSyncException?>> ReadOneRowEachAsync(DataverseClient client, IReadOnlyList<string> entities,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, CrmSyncException?>(StringComparer.OrdinalIgnoreCase);
        if (entities.Count == 0) return result;
        var parts = new List<DataverseBatchPart>();
        var names = new List<string>();
        foreach (var entity in entities)
        {
            var set = client.Schema.SetNameOf(entity) ?? (await client.Schema.GetEntityAsync(entity, cancellationToken).ConfigureAwait(false)).EntitySetName;
            var pk = await PrimaryKeyAsync(client, entity, cancellationToken).ConfigureAwait(false);
            parts.Add(DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get,
                $"{client.Session.ApiBase.AbsolutePath}{set}?$select={pk}&$top=1", [], null)));
            names.Add(entity);
        }
        var (_, responses) = await client.Session.SendBatchAsync(parts, idempotent: true, "the read-access check", cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < names.Count; i++)
        {
            var part = i < responses.Count ? responses[i] : null;
            result[names[i]] = part is null
                ? new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError, $"Dynamics 365 did not answer the read of {names[i]}.", "Retry.", names[i])
                : part.IsSuccess ? null : DataverseSession.ToException((HttpStatusCode)part.Status, part.Body, "reading " + names[i]);
        }
        return result;
    }

    // Entity primary keys follow the "{logicalname}id" rule for the synced entities except list members; a described entity knows its own.
    private static async Task<string> PrimaryKeyAsync(DataverseClient client, string entity, CancellationToken cancellationToken)
    {
        if (client.Schema.IsDescribed(entity))
            return (await client.Schema.GetEntityAsync(entity, cancellationToken).ConfigureAwait(false)).Schema.PrimaryIdField;
        return entity + "id";
    }

    private static IEnumerable<KeyValuePair<string, DataverseEntityMetadata>> Ordered(IReadOnlyList<string> entities, Dictionary<string, DataverseEntityMetadata> described) =>
        entities.Where(described.ContainsKey).Select(e => new KeyValuePair<string, DataverseEntityMetadata>(e, described[e]));

    /// <summary>
    /// The entities the checks cover: the standard ones (<see cref="SyncedEntities"/>), then, by name, every custom entity the
    /// sync picks up from the org's list (custom, queryable, change tracking on: the provider's rule) and every custom entity
    /// the profile already syncs (<see cref="ConnectionCheckOptions.SyncedObjects"/>), which is checked even when the org no
    /// longer offers it (change tracking turned off, read access or the entity gone).
    /// </summary>
    internal static async Task<IReadOnlyList<string>> EntitiesToCheckAsync(DataverseClient client, ConnectionCheckOptions options, CancellationToken cancellationToken)
    {
        var catalog = CrmProviders.Dynamics.SyncedObjects;
        var custom = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var summary in await client.Schema.ListObjectsAsync(cancellationToken).ConfigureAwait(false))
            if (catalog.FindStandard(summary.Name) is null && catalog.Resolve(summary) is not null)
                custom.TryAdd(summary.Name, summary.Name);
        foreach (var name in options.SyncedObjects)
            if (!string.IsNullOrWhiteSpace(name) && catalog.FindStandard(name) is null)
                custom.TryAdd(name, name);
        return SyncedEntities.Concat(custom.Values.Order(StringComparer.Ordinal)).ToList();
    }

    private static DataverseClient Dataverse(ICrmClient client) => client as DataverseClient
        ?? throw new ArgumentException("The Dynamics 365 checks need a Dataverse client.", nameof(client));
}
