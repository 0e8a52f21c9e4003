namespace CrmSync.Cli.Output;

/// <summary>How results are written to standard output.</summary>
public enum OutputFormat
{
    /// <summary>Aligned text for people.</summary>
    Text,

    /// <summary>JSON (camelCase property names, enums as names) for scripts.</summary>
    Json,
}
