using System.Reflection;

namespace CrmSync.Engine;

/// <summary>
/// The catalog of ErrorIds. Every <see cref="CrmSyncException"/> and every ErrorRecord the module writes
/// uses one of these constants; tests check that no other id is ever produced. Add new ids here, never reuse one
/// for a different meaning.
/// </summary>
public static class ErrorIds
{
    // profiles and connections
    public const string ProfileNotFound = "ProfileNotFound";
    public const string InvalidProfileName = "InvalidProfileName";
    public const string ProfileExists = "ProfileExists";
    public const string DatabasePathInvalid = "DatabasePathInvalid";
    public const string DatabaseLocked = "DatabaseLocked";
    public const string DatabaseSchemaTooNew = "DatabaseSchemaTooNew";
    public const string DatabaseCorrupt = "DatabaseCorrupt";

    // secrets
    public const string SecretStoreInsecure = "SecretStoreInsecure";
    public const string SecretStoreUnreadable = "SecretStoreUnreadable";
    public const string SecretNotFound = "SecretNotFound";
    public const string CredentialsNotSaved = "CredentialsNotSaved";
    public const string ProfileOrganizationMismatch = "ProfileOrganizationMismatch";

    // CRM access
    public const string InvalidCredentials = "InvalidCredentials";
    public const string CrmUnreachable = "CrmUnreachable";
    public const string NotACrmEndpoint = "NotACrmEndpoint";
    public const string InsecureTransport = "InsecureTransport";
    public const string SessionExpired = "SessionExpired";
    public const string CrmRequestFailed = "CrmRequestFailed";
    public const string CrmApiLimitExceeded = "CrmApiLimitExceeded";
    public const string CrmProtocolError = "CrmProtocolError";
    public const string CrmTimeout = "CrmTimeout";
    public const string CrmCircuitOpen = "CrmCircuitOpen";
    public const string CrmObjectNotFound = "CrmObjectNotFound";
    public const string CrmFieldNotFound = "CrmFieldNotFound";
    /// <summary>The identity provider requires multi-factor authentication, which a password sign-in (ROPC) cannot do.</summary>
    public const string CrmMfaRequired = "CrmMfaRequired";
    /// <summary>The OAuth client (application) was refused: wrong client secret or id, or the app may not use this sign-in flow.</summary>
    public const string CrmClientRejected = "CrmClientRejected";
    /// <summary>The sync user lacks a privilege the request needs (Dataverse 403).</summary>
    public const string CrmPermissionDenied = "CrmPermissionDenied";
    /// <summary>An incremental position (Dataverse delta token) is too old for the CRM: read the object in full again.</summary>
    public const string CrmChangeTokenExpired = "CrmChangeTokenExpired";

    // schema and mappings
    public const string FieldsNotSynced = "FieldsNotSynced";
    public const string MappingLocked = "MappingLocked";
    public const string MappingInvalid = "MappingInvalid";
    public const string CatalogAppendOnly = "CatalogAppendOnly";
    public const string ExternalIdFieldMissing = "ExternalIdFieldMissing";
    public const string ObjectNotSynced = "ObjectNotSynced";
    public const string FieldExclusionRefused = "FieldExclusionRefused";
    public const string FieldPlanStale = "FieldPlanStale";
    public const string CrmNotSupported = "CrmNotSupported";

    // sync
    public const string SyncLockHeld = "SyncLockHeld";
    public const string SyncDisabled = "SyncDisabled";
    public const string SyncFailed = "SyncFailed";
    public const string SyncCancelled = "SyncCancelled";
    public const string ConfirmationRequired = "ConfirmationRequired";
    public const string RecordPushFailed = "RecordPushFailed";
    public const string RecordPullFailed = "RecordPullFailed";
    public const string LocalEditNotPushed = "LocalEditNotPushed";
    public const string PulledValueDoesNotFit = "PulledValueDoesNotFit";

    // e-mail notifications
    public const string NotificationNotConfigured = "NotificationNotConfigured";
    public const string NotificationSendFailed = "NotificationSendFailed";

    // general
    public const string InvalidArgument = "InvalidArgument";
    public const string UnexpectedError = "UnexpectedError";

    private static readonly HashSet<string> All = typeof(ErrorIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Every catalogued id.</summary>
    public static IReadOnlyCollection<string> Catalog => All;

    public static bool IsCatalogued(string id) => All.Contains(id);
}
