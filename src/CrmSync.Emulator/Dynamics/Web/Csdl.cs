using System.Xml.Linq;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Schema;

namespace CrmSync.Emulator.Dynamics.Web;

/// <summary>
/// The <c>$metadata</c> CSDL (EDMX 4.0) of the emulated org: an entity type per table (key, properties with Edm types,
/// <c>_x_value</c> lookup properties and single-valued navigation properties), the entity sets, WhoAmI,
/// RetrieveVersion, RetrieveCurrentOrganization, QualifyLead, Merge and AddMemberList, in namespace
/// <c>Microsoft.Dynamics.CRM</c> (alias <c>mscrm</c>) as Dataverse publishes it.
/// </summary>
public static class Csdl
{
    private static readonly XNamespace Edmx = "http://docs.oasis-open.org/odata/ns/edmx";
    private static readonly XNamespace Edm = "http://docs.oasis-open.org/odata/ns/edm";

    private static string EdmType(AttributeDef a) => a.Kind switch
    {
        AttributeKind.String or AttributeKind.Memo => "Edm.String",
        AttributeKind.Integer or AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status => "Edm.Int32",
        AttributeKind.BigInt => "Edm.Int64",
        AttributeKind.Decimal or AttributeKind.Money => "Edm.Decimal",
        AttributeKind.Double => "Edm.Double",
        AttributeKind.Boolean => "Edm.Boolean",
        AttributeKind.DateTime => a.DateOnly ? "Edm.Date" : "Edm.DateTimeOffset",
        _ => "Edm.Guid",
    };

    private static XElement Property(string name, string type, bool nullable = true) =>
        new(Edm + "Property", new XAttribute("Name", name), new XAttribute("Type", type), nullable ? null : new XAttribute("Nullable", "false"));

    public static string Document(DataverseStore store)
    {
        var schema = new XElement(Edm + "Schema", new XAttribute("Namespace", "Microsoft.Dynamics.CRM"), new XAttribute("Alias", "mscrm"),
            new XElement(Edm + "EntityType", new XAttribute("Name", "crmbaseentity"), new XAttribute("Abstract", "true")));
        var container = new XElement(Edm + "EntityContainer", new XAttribute("Name", "System"));
        lock (store.Sync)
        {
            foreach (var e in store.Entities)
            {
                var type = new XElement(Edm + "EntityType", new XAttribute("Name", e.LogicalName), new XAttribute("BaseType", "mscrm.crmbaseentity"),
                    new XElement(Edm + "Key", new XElement(Edm + "PropertyRef", new XAttribute("Name", e.PrimaryIdAttribute))));
                foreach (var a in e.Attributes)
                {
                    type.Add(Property(a.WebName, EdmType(a), !a.IsPrimaryId));
                }
                foreach (var a in e.Attributes.Where(a => a.IsLookup))
                {
                    foreach (var target in a.Targets.Where(t => store.Entity(t) is not null))
                    {
                        string nav = a.Targets.Count > 1 ? a.LogicalName + "_" + target : a.LogicalName;
                        type.Add(new XElement(Edm + "NavigationProperty", new XAttribute("Name", nav), new XAttribute("Type", "mscrm." + target),
                            new XElement(Edm + "ReferentialConstraint", new XAttribute("Property", a.WebName), new XAttribute("ReferencedProperty", store.Entity(target)!.PrimaryIdAttribute))));
                    }
                }
                if (e.LogicalName == "list")
                {
                    foreach (var (nav, member) in new[] { ("listlead_association", "lead"), ("listcontact_association", "contact"), ("listaccount_association", "account") })
                    {
                        type.Add(new XElement(Edm + "NavigationProperty", new XAttribute("Name", nav), new XAttribute("Type", $"Collection(mscrm.{member})")));
                    }
                }
                schema.Add(type);
                container.Add(new XElement(Edm + "EntitySet", new XAttribute("Name", e.EntitySetName), new XAttribute("EntityType", "Microsoft.Dynamics.CRM." + e.LogicalName)));
            }
        }
        schema.Add(new XElement(Edm + "ComplexType", new XAttribute("Name", "WhoAmIResponse"),
            Property("BusinessUnitId", "Edm.Guid", false), Property("UserId", "Edm.Guid", false), Property("OrganizationId", "Edm.Guid", false)));
        schema.Add(new XElement(Edm + "ComplexType", new XAttribute("Name", "RetrieveVersionResponse"), Property("Version", "Edm.String")));
        schema.Add(new XElement(Edm + "ComplexType", new XAttribute("Name", "AddMemberListResponse"), Property("id", "Edm.Guid", false)));
        schema.Add(new XElement(Edm + "Function", new XAttribute("Name", "WhoAmI"), new XElement(Edm + "ReturnType", new XAttribute("Type", "mscrm.WhoAmIResponse"), new XAttribute("Nullable", "false"))));
        schema.Add(new XElement(Edm + "Function", new XAttribute("Name", "RetrieveVersion"), new XElement(Edm + "ReturnType", new XAttribute("Type", "mscrm.RetrieveVersionResponse"), new XAttribute("Nullable", "false"))));
        schema.Add(new XElement(Edm + "Action", new XAttribute("Name", "QualifyLead"), new XAttribute("IsBound", "true"),
            new XElement(Edm + "Parameter", new XAttribute("Name", "entity"), new XAttribute("Type", "mscrm.lead"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "CreateAccount"), new XAttribute("Type", "Edm.Boolean"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "CreateContact"), new XAttribute("Type", "Edm.Boolean"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "CreateOpportunity"), new XAttribute("Type", "Edm.Boolean"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "Status"), new XAttribute("Type", "Edm.Int32"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "ReturnType", new XAttribute("Type", "Collection(mscrm.crmbaseentity)"), new XAttribute("Nullable", "false"))));
        schema.Add(new XElement(Edm + "Action", new XAttribute("Name", "AddMemberList"), new XAttribute("IsBound", "true"),
            new XElement(Edm + "Parameter", new XAttribute("Name", "entity"), new XAttribute("Type", "mscrm.list"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "EntityId"), new XAttribute("Type", "Edm.Guid"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "ReturnType", new XAttribute("Type", "mscrm.AddMemberListResponse"), new XAttribute("Nullable", "false"))));
        schema.Add(new XElement(Edm + "Action", new XAttribute("Name", "Merge"),
            new XElement(Edm + "Parameter", new XAttribute("Name", "Target"), new XAttribute("Type", "mscrm.crmbaseentity"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "Subordinate"), new XAttribute("Type", "mscrm.crmbaseentity"), new XAttribute("Nullable", "false")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "UpdateContent"), new XAttribute("Type", "mscrm.crmbaseentity")),
            new XElement(Edm + "Parameter", new XAttribute("Name", "PerformParentingChecks"), new XAttribute("Type", "Edm.Boolean"), new XAttribute("Nullable", "false"))));
        container.Add(new XElement(Edm + "FunctionImport", new XAttribute("Name", "WhoAmI"), new XAttribute("Function", "Microsoft.Dynamics.CRM.WhoAmI")));
        container.Add(new XElement(Edm + "FunctionImport", new XAttribute("Name", "RetrieveVersion"), new XAttribute("Function", "Microsoft.Dynamics.CRM.RetrieveVersion")));
        container.Add(new XElement(Edm + "ActionImport", new XAttribute("Name", "Merge"), new XAttribute("Action", "Microsoft.Dynamics.CRM.Merge")));
        schema.Add(container);
        var doc = new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(Edmx + "Edmx", new XAttribute("Version", "4.0"), new XAttribute(XNamespace.Xmlns + "edmx", Edmx.NamespaceName),
                new XElement(Edmx + "DataServices", schema)));
        return doc.Declaration + Environment.NewLine + doc.Root!.ToString(SaveOptions.DisableFormatting);
    }
}
