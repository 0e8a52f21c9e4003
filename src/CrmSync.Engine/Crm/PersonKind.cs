namespace CrmSync.Engine.Crm;

/// <summary>
/// The local vocabulary of persons (the person table's <c>_crm_type</c>): the same two kinds for every CRM. Each provider's
/// person rules (<see cref="CrmPersonRules"/>) map a kind to and from its own object names, so nothing outside a provider
/// names a CRM's person objects.
/// </summary>
public static class PersonKind
{
    /// <summary>A person the CRM keeps as a lead (a prospect; a local create becomes one unless it asks otherwise).</summary>
    public const string Lead = "Lead";

    /// <summary>A person the CRM keeps as a contact (of an account; a converted or qualified lead becomes one).</summary>
    public const string Contact = "Contact";

    /// <summary>Every kind, in precedence order.</summary>
    public static IReadOnlyList<string> All { get; } = [Lead, Contact];
}
