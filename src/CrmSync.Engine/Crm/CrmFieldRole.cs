namespace CrmSync.Engine.Crm;

/// <summary>
/// What a field means to the sync, whatever the CRM calls it. The schema reader reports the roles
/// (<see cref="CrmObjectSchema"/>), Sync-CrmField keeps them in the field catalog, and the pull and push read them from there.
/// </summary>
[Flags]
public enum CrmFieldRole
{
    None = 0,
    /// <summary>The record's id.</summary>
    PrimaryId = 1,
    /// <summary>The stamp that moves on every change.</summary>
    ModificationStamp = 2,
    /// <summary>The soft-delete flag.</summary>
    DeletedFlag = 4,
    /// <summary>The record a deleted record was merged into.</summary>
    MergedInto = 8,
    /// <summary>A field the adapter reads to fill <see cref="CrmRecord.ConvertedIntoId"/>.</summary>
    ConvertedInto = 16,
    /// <summary>When the record was created in the CRM.</summary>
    CreatedDate = 32,
}
