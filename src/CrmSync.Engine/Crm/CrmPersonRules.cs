namespace CrmSync.Engine.Crm;

/// <summary>One person object of a CRM and the local kind (<see cref="PersonKind"/>) it maps to.</summary>
/// <param name="Kind">The local kind (<c>_crm_type</c>) of its records.</param>
/// <param name="ObjectName">The CRM object.</param>
/// <param name="RequiredOnCreate">Fields the CRM requires on create: a local create that leaves one empty sends the placeholder.</param>
public sealed record CrmPersonObject(string Kind, string ObjectName, IReadOnlyList<string> RequiredOnCreate);

/// <summary>
/// The membership object of a CRM (a person in a campaign or marketing list): its object, the group object it belongs to,
/// the reference (lookup) field naming the group and, per person kind, the field naming the person (one field for both on
/// a CRM with a polymorphic lookup).
/// </summary>
public sealed record CrmMembershipRules(string ObjectName, string GroupObject, string GroupReference, IReadOnlyDictionary<string, string> PersonReferences)
{
    /// <summary>Every distinct person reference field, in kind order.</summary>
    public IReadOnlyList<string> PersonReferenceFields => PersonReferences.Values.Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The field naming a person of <paramref name="kind"/> (the first kind's when the kind is unknown).</summary>
    public string PersonReferenceFor(string? kind) =>
        kind is not null && PersonReferences.TryGetValue(kind, out var field) ? field : PersonReferences.Values.First();
}

/// <summary>
/// How one CRM keeps persons, as the pull, the push and the reports need it: which objects make up the person table and
/// their kinds, which kind a local create becomes, the e-mail field, and the membership object. A provider supplies it
/// (<see cref="ICrmProvider.SyncedObjects"/>).
/// </summary>
public sealed record CrmPersonRules(IReadOnlyList<CrmPersonObject> Objects, string CreateKind, string EmailField, CrmMembershipRules? Membership)
{
    /// <summary>The person object of <paramref name="kind"/>, or null.</summary>
    public CrmPersonObject? OfKind(string? kind) =>
        kind is null ? null : Objects.FirstOrDefault(o => string.Equals(o.Kind, kind, StringComparison.OrdinalIgnoreCase));

    /// <summary>The person object named <paramref name="objectName"/>, or null.</summary>
    public CrmPersonObject? OfObject(string objectName) =>
        Objects.FirstOrDefault(o => string.Equals(o.ObjectName, objectName, StringComparison.OrdinalIgnoreCase));

    /// <summary>The object a local create without a kind becomes.</summary>
    public CrmPersonObject CreateObject => OfKind(CreateKind) ?? throw new InvalidOperationException("The create kind has no person object.");
}
