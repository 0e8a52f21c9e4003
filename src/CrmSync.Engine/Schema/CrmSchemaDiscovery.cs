using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>A synced object and its fields as the sync user sees them.</summary>
public sealed record DescribedObject(SyncedObject Object, CrmObjectSchema Schema);

/// <summary>A synced object that was not described, and why (not visible to the sync user, not queryable, ...).</summary>
public sealed record SkippedObject(string ObjectName, string Reason);

/// <summary>What the CRM showed the sync user: the described synced objects, in processing order, and the skipped ones.</summary>
public sealed record CrmSchemaSnapshot(IReadOnlyList<DescribedObject> Objects, IReadOnlyList<SkippedObject> Skipped);

/// <summary>Progress of describing the synced objects: <paramref name="Done"/> of <paramref name="Total"/>, now <paramref name="ObjectName"/>.</summary>
public sealed record SchemaDiscoveryProgress(string ObjectName, int Done, int Total);

/// <summary>
/// Lists the CRM's objects, picks the synced ones (<see cref="SyncedObjectCatalog"/>) and describes each. Objects the
/// sync user cannot see are skipped (reported, not an error), except that at least one person object (Lead, Contact)
/// must be visible. Reads only; never touches the local database.
/// </summary>
public sealed class CrmSchemaDiscovery
{
    private readonly ICrmSchemaReader _reader;
    private readonly SyncedObjectCatalog _objects;

    /// <summary>Discovery through <paramref name="reader"/> of the objects in <paramref name="objects"/>.</summary>
    public CrmSchemaDiscovery(ICrmSchemaReader reader, SyncedObjectCatalog objects)
    {
        _reader = reader ?? throw new ArgumentNullException(nameof(reader));
        _objects = objects ?? throw new ArgumentNullException(nameof(objects));
    }

    /// <summary>Describes every synced object the sync user can see.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.CrmObjectNotFound"/> when neither person object is visible;
    /// any error of the reader (login, network) as it comes.</exception>
    public async Task<CrmSchemaSnapshot> DiscoverAsync(IProgress<SchemaDiscoveryProgress>? progress, CancellationToken cancellationToken)
    {
        var listed = await _reader.ListObjectsAsync(cancellationToken).ConfigureAwait(false);
        var byName = new Dictionary<string, CrmObjectSummary>(StringComparer.OrdinalIgnoreCase);
        foreach (var summary in listed)
            byName.TryAdd(summary.Name, summary);

        var skipped = new List<SkippedObject>();
        var toDescribe = new List<SyncedObject>();
        foreach (var standard in _objects.StandardObjects)
        {
            if (!byName.TryGetValue(standard.ObjectName, out var summary))
                skipped.Add(new SkippedObject(standard.ObjectName, "the sync user cannot see this object"));
            else if (!summary.Queryable)
                skipped.Add(new SkippedObject(summary.Name, "the sync user cannot query this object"));
            else
                toDescribe.Add(_objects.Resolve(summary)!);
        }
        var standardTables = new HashSet<string>(_objects.StandardObjects.Select(o => o.TableName), StringComparer.OrdinalIgnoreCase);
        foreach (var summary in listed.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (_objects.FindStandard(summary.Name) is not null)
                continue;
            var custom = _objects.Resolve(summary);
            if (custom is null)
                continue;
            if (!SqlIdentifier.IsValid(custom.TableName) || custom.TableName.StartsWith("crmsync_", StringComparison.OrdinalIgnoreCase) ||
                standardTables.Contains(custom.TableName) || toDescribe.Any(o => string.Equals(o.TableName, custom.TableName, StringComparison.OrdinalIgnoreCase)))
            {
                skipped.Add(new SkippedObject(summary.Name, $"its name cannot be used as a local table name"));
                continue;
            }
            toDescribe.Add(custom);
        }

        var described = new List<DescribedObject>();
        for (var i = 0; i < toDescribe.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var syncedObject = toDescribe[i];
            progress?.Report(new SchemaDiscoveryProgress(syncedObject.ObjectName, i, toDescribe.Count));
            try
            {
                var schema = await _reader.DescribeAsync(syncedObject.ObjectName, cancellationToken).ConfigureAwait(false);
                described.Add(new DescribedObject(syncedObject, schema));
            }
            catch (CrmSyncException e) when (e.ErrorId == ErrorIds.CrmObjectNotFound)
            {
                skipped.Add(new SkippedObject(syncedObject.ObjectName, "the sync user cannot see this object (describe: not found)"));
            }
        }
        progress?.Report(new SchemaDiscoveryProgress("", toDescribe.Count, toDescribe.Count));

        if (!described.Any(d => d.Object.IsPerson))
            throw new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.PermissionDenied,
                $"The sync user can see neither {string.Join(" nor ", _objects.PersonObjects)}; CrmSync needs at least one of them " +
                "to keep the person table.",
                $"Give the sync user read access to {string.Join(" and ", _objects.PersonObjects)} in the CRM (profile or permission set), then run {ShellAction.SyncFields} again.",
                string.Join(",", _objects.PersonObjects));
        return new CrmSchemaSnapshot(described, skipped);
    }
}
