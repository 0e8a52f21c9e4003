namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>
/// Lead conversion as Salesforce records it (SOAP convertLead and the admin endpoint): the account and contact (and,
/// unless asked not to, an opportunity with its contact role) created or reused, the lead flagged IsConverted with the
/// Converted*Id fields, and its campaign history and activities moved to the contact; all or nothing.
/// </summary>
internal sealed class LeadConversion(SalesforceStore store)
{
    private readonly SalesforceStore _store = store;

    /// <summary>Converts a lead as Salesforce records it: account/contact (and optionally opportunity) created or reused, lead flagged.</summary>
    public LeadConvertResult Convert(LeadConvertRequest request, WriteContext context)
    {
        LeadConvertResult? result = null;
        _store.RunAtomically(() =>
        {
            result = ConvertCore(request, context);
            return result.Success;
        });
        return result!;
    }

    private LeadConvertResult ConvertCore(LeadConvertRequest request, WriteContext context)
    {
        var leadType = _store.Definition("Lead")!;
        LeadConvertResult Fail(string code, string message) => new(request.LeadId, null, null, null, [new SaveError(code, message)]);
        if (!SalesforceId.TryNormalize(request.LeadId, out var leadId) || _store.DefinitionForId(leadId) != leadType)
        {
            return Fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
        }
        var lead = _store.Find(leadType, leadId);
        if (lead is null || SalesforceStore.IsDeleted(leadType, lead))
        {
            return Fail("ENTITY_IS_DELETED", "entity is deleted");
        }
        var view = _store.View(leadType, lead);
        if (view.ValueOf("IsConverted") is true)
        {
            return Fail("CANNOT_UPDATE_CONVERTED_LEAD", "This lead was already converted.");
        }
        if (request.ConvertedStatus != "Closed - Converted")
        {
            return Fail("INVALID_STATUS", "invalid convertedStatus: " + request.ConvertedStatus);
        }
        var owner = request.OwnerId ?? view.ValueOf("OwnerId") as string ?? context.UserId;
        string? accountId = request.AccountId;
        if (accountId is null)
        {
            var account = _store.Create(_store.Definition("Account")!, new Dictionary<string, object?>
            {
                ["Name"] = view.ValueOf("Company") ?? view.ValueOf("LastName"),
                ["Industry"] = view.ValueOf("Industry"),
                ["BillingCity"] = view.ValueOf("City"),
                ["BillingState"] = view.ValueOf("State"),
                ["BillingCountry"] = view.ValueOf("Country"),
                ["Website"] = view.ValueOf("Website"),
                ["AnnualRevenue"] = view.ValueOf("AnnualRevenue"),
                ["NumberOfEmployees"] = view.ValueOf("NumberOfEmployees"),
                ["OwnerId"] = owner,
            }, context with { Restricted = false });
            if (!account.Success)
            {
                return new LeadConvertResult(leadId, null, null, null, account.Errors);
            }
            accountId = account.Id;
        }
        else if (!SalesforceId.TryNormalize(accountId, out accountId) || _store.Find(_store.Definition("Account")!, accountId) is null)
        {
            return Fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
        }
        string? contactId = request.ContactId;
        if (contactId is null)
        {
            var contact = _store.Create(_store.Definition("Contact")!, new Dictionary<string, object?>
            {
                ["AccountId"] = accountId,
                ["FirstName"] = view.ValueOf("FirstName"),
                ["LastName"] = view.ValueOf("LastName"),
                ["Salutation"] = view.ValueOf("Salutation"),
                ["Title"] = view.ValueOf("Title"),
                ["Email"] = view.ValueOf("Email"),
                ["Phone"] = view.ValueOf("Phone"),
                ["MobilePhone"] = view.ValueOf("MobilePhone"),
                ["LeadSource"] = view.ValueOf("LeadSource"),
                ["MailingCity"] = view.ValueOf("City"),
                ["MailingState"] = view.ValueOf("State"),
                ["MailingPostalCode"] = view.ValueOf("PostalCode"),
                ["MailingCountry"] = view.ValueOf("Country"),
                ["HasOptedOutOfEmail"] = view.ValueOf("HasOptedOutOfEmail"),
                ["DoNotCall"] = view.ValueOf("DoNotCall"),
                ["OwnerId"] = owner,
            }, context with { Restricted = false });
            if (!contact.Success)
            {
                return new LeadConvertResult(leadId, null, null, null, contact.Errors);
            }
            contactId = contact.Id;
        }
        else
        {
            if (!SalesforceId.TryNormalize(contactId, out contactId) || _store.Find(_store.Definition("Contact")!, contactId) is null)
            {
                return Fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
            }
            if (request.OverwriteLeadSource)
            {
                _store.Update(_store.Definition("Contact")!, contactId, new Dictionary<string, object?> { ["LeadSource"] = view.ValueOf("LeadSource") }, context with { Restricted = false });
            }
        }
        string? opportunityId = null;
        if (!request.DoNotCreateOpportunity)
        {
            var opportunity = _store.Create(_store.Definition("Opportunity")!, new Dictionary<string, object?>
            {
                ["AccountId"] = accountId,
                ["Name"] = request.OpportunityName ?? (view.ValueOf("Company") as string ?? "Opportunity") + "-",
                ["StageName"] = "Prospecting",
                ["CloseDate"] = _store.Today.AddDays(30),
                ["LeadSource"] = view.ValueOf("LeadSource"),
                ["OwnerId"] = owner,
            }, context with { Restricted = false });
            if (!opportunity.Success)
            {
                return new LeadConvertResult(leadId, accountId, contactId, null, opportunity.Errors);
            }
            opportunityId = opportunity.Id;
            _store.Create(_store.Definition("OpportunityContactRole")!, new Dictionary<string, object?>
            {
                ["OpportunityId"] = opportunityId, ["ContactId"] = contactId, ["IsPrimary"] = true,
            }, context with { Restricted = false, System = true });
        }
        var system = context with { Restricted = false, System = true };
        var leadUpdate = _store.Update(leadType, leadId, new Dictionary<string, object?>
        {
            ["IsConverted"] = true,
            ["Status"] = request.ConvertedStatus,
            ["ConvertedDate"] = _store.Today,
            ["ConvertedAccountId"] = accountId,
            ["ConvertedContactId"] = contactId,
            ["ConvertedOpportunityId"] = opportunityId,
        }, system);
        if (!leadUpdate.Success)
        {
            return new LeadConvertResult(leadId, accountId, contactId, opportunityId, leadUpdate.Errors);
        }
        // Campaign history and activities follow the person to the contact.
        _store.Repoint("CampaignMember", "LeadId", leadId, "ContactId", contactId!, system, onlyIfEmpty: true);
        _store.Repoint("Task", "WhoId", leadId, "WhoId", contactId!, system, onlyIfEmpty: false);
        _store.Repoint("Event", "WhoId", leadId, "WhoId", contactId!, system, onlyIfEmpty: false);
        return new LeadConvertResult(leadId, accountId, contactId, opportunityId, []);
    }
}
