namespace CrmSync.Engine.Crm;

/// <summary>
/// The person fields the duplicate report reads (Find-CrmDuplicate), as one CRM names them: the e-mail, first and last
/// name and company of a person, and the reference to its account with that object's name field (the company of a person
/// whose own company field is empty). A CRM's provider supplies them (<see cref="ICrmProvider.DuplicateFields"/>).
/// </summary>
public sealed record CrmDuplicateFields(
    string Email,
    string FirstName,
    string LastName,
    string Company,
    string AccountReference,
    string AccountObject,
    string AccountName);
