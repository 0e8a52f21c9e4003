using System.Security;
using System.Text;
using System.Xml.Linq;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Data;

namespace CrmSync.Emulator.Salesforce.Soap;

/// <summary>A SOAP answer.</summary>
/// <param name="Status">HTTP status (500 for faults).</param>
/// <param name="Xml">The envelope.</param>
public sealed record SoapResponse(int Status, string Xml);

/// <summary>
/// The partner (and enterprise) SOAP API calls the emulator offers: login (password + security token), logout,
/// convertLead and merge.
/// </summary>
public sealed class SoapEndpoint
{
    private const string Envelope = "http://schemas.xmlsoap.org/soap/envelope/";
    private readonly SalesforceOrg _org;

    /// <summary>Creates the endpoint.</summary>
    public SoapEndpoint(SalesforceOrg org) => _org = org;

    /// <summary>Whether a parsed request is the login call (not counted against API usage).</summary>
    public static string? OperationOf(XDocument document) =>
        document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "Body")?.Elements().FirstOrDefault()?.Name.LocalName;

    /// <summary>
    /// Serves one SOAP call. <paramref name="kind"/> is <c>u</c> (partner) or <c>c</c> (enterprise); the answer uses that
    /// WSDL's namespace. Elements are matched by local name, so any prefix (<c>urn:</c>, <c>ns1:</c>, a default namespace)
    /// works. The session comes from the <c>SessionHeader</c>, else from <paramref name="bearerToken"/> (an
    /// <c>Authorization: Bearer</c>/<c>OAuth</c> header).
    /// </summary>
    public SoapResponse Handle(string baseUrl, string kind, string version, XDocument document, string? bearerToken = null)
    {
        var body = document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "Body")?.Elements().FirstOrDefault();
        string ns = kind == "c" ? "urn:enterprise.soap.sforce.com" : "urn:partner.soap.sforce.com";
        if (body is null)
        {
            return Fault("soapenv:Client", "Missing SOAP body", null, ns);
        }
        if (body.Name.LocalName == "login")
        {
            return Login(baseUrl, kind, version, body, ns);
        }
        var header = document.Root!.Elements().FirstOrDefault(e => e.Name.LocalName == "Header");
        var sessionId = header?.Descendants().FirstOrDefault(e => e.Name.LocalName == "sessionId")?.Value.Trim();
        var session = _org.Sessions.Validate(string.IsNullOrEmpty(sessionId) ? bearerToken : sessionId);
        if (session is null)
        {
            return Fault("sf:INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session",
                ("UnexpectedErrorFault", "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session"), ns);
        }
        switch (body.Name.LocalName)
        {
            case "logout":
                _org.Sessions.Revoke(session.Token);
                return Ok("<logoutResponse/>", ns);
            case "getServerTimestamp":
                return Ok($"<getServerTimestampResponse><result><timestamp>{SalesforceFormat.CsvDateTime(SalesforceFormat.TruncateToMilliseconds(_org.Clock.GetUtcNow()))}</timestamp></result></getServerTimestampResponse>", ns);
            case "convertLead":
                if (!_org.Usage.TryConsume())
                {
                    return LimitFault(ns);
                }
                return ConvertLead(body, session, ns);
            case "merge":
                if (!_org.Usage.TryConsume())
                {
                    return LimitFault(ns);
                }
                return Merge(body, session, ns);
            default:
                return Fault("sf:INVALID_OPERATION", $"INVALID_OPERATION: the emulator does not offer {body.Name.LocalName}",
                    ("UnexpectedErrorFault", "INVALID_OPERATION", $"the emulator does not offer {body.Name.LocalName}"), ns);
        }
    }

    private SoapResponse LimitFault(string ns) =>
        Fault("sf:REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.",
            ("UnexpectedErrorFault", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), ns);

    private static string? Child(XElement parent, string name) =>
        parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    private static string X(string? text) => SecurityElement.Escape(text ?? string.Empty);

    private SoapResponse Login(string baseUrl, string kind, string version, XElement body, string ns)
    {
        var user = _org.Authenticate(Child(body, "username"), Child(body, "password"));
        if (user is null)
        {
            const string message = "Invalid username, password, security token; or user locked out.";
            return new SoapResponse(500,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:sf=\"" + FaultNamespace(ns) + "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: " + message + "</faultstring><detail><sf:LoginFault xsi:type=\"sf:LoginFault\"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>" + message + "</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>");
        }
        var session = _org.Sessions.Open(user);
        string org15 = _org.Store.OrganizationId[..15];
        var xml = new StringBuilder();
        xml.Append("<loginResponse><result>");
        xml.Append($"<metadataServerUrl>{X(baseUrl)}/services/Soap/m/{X(version)}/{org15}</metadataServerUrl>");
        xml.Append("<passwordExpired>false</passwordExpired><sandbox>false</sandbox>");
        xml.Append($"<serverUrl>{X(baseUrl)}/services/Soap/{kind}/{X(version)}/{org15}</serverUrl>");
        xml.Append($"<sessionId>{X(session.Token)}</sessionId>");
        xml.Append($"<userId>{user.Id}</userId>");
        xml.Append("<userInfo><accessibilityMode>false</accessibilityMode><chatterExternal>false</chatterExternal><currencySymbol>$</currencySymbol>");
        xml.Append("<orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>");
        xml.Append("<orgDefaultCurrencyLocale>en_US</orgDefaultCurrencyLocale><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts>");
        xml.Append($"<organizationId>{_org.Store.OrganizationId}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency>");
        xml.Append("<organizationName>CrmSync Emulator</organizationName><profileId>00e5g000000AbCdAAK</profileId><roleId xsi:nil=\"true\"/>");
        xml.Append($"<sessionSecondsValid>{(int)_org.Sessions.Timeout.TotalSeconds}</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil=\"true\"/>");
        xml.Append($"<userEmail>{X(user.Username)}</userEmail><userFullName>{X(user.FullName)}</userFullName><userId>{user.Id}</userId>");
        xml.Append($"<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>{X(user.Username)}</userName>");
        xml.Append("<userTimeZone>America/Los_Angeles</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo>");
        xml.Append("</result></loginResponse>");
        return Ok(xml.ToString(), ns);
    }

    private SoapResponse ConvertLead(XElement body, Session session, string ns)
    {
        var xml = new StringBuilder("<convertLeadResponse>");
        var context = new WriteContext(session.User.Id, session.User.Restricted);
        foreach (var convert in body.Elements().Where(e => e.Name.LocalName == "leadConverts"))
        {
            var request = new LeadConvertRequest
            {
                LeadId = Child(convert, "leadId") ?? "",
                AccountId = NullIfEmpty(Child(convert, "accountId")),
                ContactId = NullIfEmpty(Child(convert, "contactId")),
                ConvertedStatus = Child(convert, "convertedStatus") ?? "",
                DoNotCreateOpportunity = string.Equals(Child(convert, "doNotCreateOpportunity"), "true", StringComparison.OrdinalIgnoreCase),
                OpportunityName = NullIfEmpty(Child(convert, "opportunityName")),
                OwnerId = NullIfEmpty(Child(convert, "ownerId")),
                OverwriteLeadSource = string.Equals(Child(convert, "overwriteLeadSource"), "true", StringComparison.OrdinalIgnoreCase),
            };
            var result = _org.Store.ConvertLead(request, context);
            xml.Append("<result>");
            xml.Append(Id("accountId", result.Success ? result.AccountId : null));
            xml.Append(Id("contactId", result.Success ? result.ContactId : null));
            AppendErrors(xml, result.Errors);
            xml.Append(Id("leadId", result.LeadId));
            xml.Append(Id("opportunityId", result.Success ? result.OpportunityId : null));
            xml.Append($"<success>{(result.Success ? "true" : "false")}</success></result>");
        }
        xml.Append("</convertLeadResponse>");
        return Ok(xml.ToString(), ns);
    }

    private SoapResponse Merge(XElement body, Session session, string ns)
    {
        var xml = new StringBuilder("<mergeResponse>");
        var context = new WriteContext(session.User.Id, session.User.Restricted);
        foreach (var request in body.Elements().Where(e => e.Name.LocalName is "request" or "mergeRequests"))
        {
            var master = request.Elements().FirstOrDefault(e => e.Name.LocalName == "masterRecord");
            var mergeIds = request.Elements().Where(e => e.Name.LocalName == "recordToMergeIds").Select(e => e.Value.Trim()).ToList();
            string? masterId = master?.Elements().Where(e => e.Name.LocalName == "Id").Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0);
            string? typeName = master is null ? null : Child(master, "type")
                ?? master.Attributes().FirstOrDefault(a => a.Name.LocalName == "type")?.Value.Split(':').Last();
            MergeResult result;
            var sobject = typeName is not null ? _org.Store.Definition(typeName)
                : masterId is not null && SalesforceId.TryNormalize(masterId, out var normalized) ? _org.Store.DefinitionForId(normalized) : null;
            if (master is null || masterId is null || sobject is null)
            {
                result = new MergeResult(masterId ?? "", [], [], [new SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]);
            }
            else
            {
                var changes = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var element in master.Elements())
                {
                    string name = element.Name.LocalName;
                    if (name is "type" or "Id")
                    {
                        continue;
                    }
                    if (name == "fieldsToNull")
                    {
                        changes[element.Value.Trim()] = null;
                    }
                    else
                    {
                        changes[name] = element.Attributes().Any(a => a.Name.LocalName == "nil" && a.Value == "true") ? null : element.Value;
                    }
                }
                result = _org.Store.Merge(sobject, masterId, mergeIds, changes, context);
            }
            xml.Append("<result>");
            AppendErrors(xml, result.Errors);
            xml.Append(Id("id", result.Id));
            foreach (var merged in result.MergedRecordIds)
            {
                xml.Append($"<mergedRecordIds>{merged}</mergedRecordIds>");
            }
            xml.Append($"<success>{(result.Success ? "true" : "false")}</success>");
            foreach (var related in result.UpdatedRelatedIds)
            {
                xml.Append($"<updatedRelatedIds>{related}</updatedRelatedIds>");
            }
            xml.Append("</result>");
        }
        xml.Append("</mergeResponse>");
        return Ok(xml.ToString(), ns);
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Id(string name, string? value) =>
        value is null ? $"<{name} xsi:nil=\"true\"/>" : $"<{name}>{X(value)}</{name}>";

    private static void AppendErrors(StringBuilder xml, IReadOnlyList<SaveError> errors)
    {
        foreach (var error in errors)
        {
            xml.Append("<errors>");
            foreach (var field in error.Fields)
            {
                xml.Append($"<fields>{X(field)}</fields>");
            }
            xml.Append($"<message>{X(error.Message)}</message><statusCode>{X(error.StatusCode)}</statusCode></errors>");
        }
    }

    /// <summary><c>urn:fault.partner.soap.sforce.com</c> or <c>urn:fault.enterprise.soap.sforce.com</c>.</summary>
    private static string FaultNamespace(string ns) => ns.Replace("urn:", "urn:fault.", StringComparison.Ordinal);

    private static SoapResponse Ok(string inner, string ns) => new(200,
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{Envelope}\" xmlns=\"{ns}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>");

    private static SoapResponse Fault(string code, string message, (string Type, string Code, string Message)? detail, string ns)
    {
        string faultNs = FaultNamespace(ns);
        string detailXml = detail is { } d
            ? $"<detail><sf:{d.Type} xsi:type=\"sf:{d.Type}\"><sf:exceptionCode>{X(d.Code)}</sf:exceptionCode><sf:exceptionMessage>{X(d.Message)}</sf:exceptionMessage></sf:{d.Type}></detail>"
            : "";
        return new SoapResponse(500,
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{Envelope}\" xmlns:sf=\"{faultNs}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><soapenv:Fault><faultcode>{X(code)}</faultcode><faultstring>{X(message)}</faultstring>{detailXml}</soapenv:Fault></soapenv:Body></soapenv:Envelope>");
    }
}
