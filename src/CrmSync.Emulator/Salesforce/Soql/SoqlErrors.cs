namespace CrmSync.Emulator.Salesforce.Soql;

/// <summary>
/// Builds errors in Salesforce's shape: the offending line (or a window of it around the error for long
/// lines), a caret under the error, <c>ERROR at Row:r:Column:c</c>, then the explanation, each on its own line.
/// </summary>
internal static class SoqlErrors
{
    // Salesforce shows a window of a long line around the error, cut at word boundaries. These widths
    // reproduce the windows seen in captured Salesforce errors (Salesforce CLI, restforce and MuleSoft
    // reports); a short line is shown whole.
    private const int WindowBefore = 44;
    private const int WindowAfter = 36;

    public static SoqlException Positioned(string errorCode, string soql, int offset, string explanation)
    {
        offset = Math.Clamp(offset, 0, soql.Length);
        var lineStart = offset == 0 ? 0 : soql.LastIndexOf('\n', offset - 1) + 1;
        var row = 1;
        for (var k = 0; k < lineStart; k++)
        {
            if (soql[k] == '\n')
            {
                row++;
            }
        }

        var lineEnd = soql.IndexOf('\n', offset);
        if (lineEnd < 0)
        {
            lineEnd = soql.Length;
        }

        var line = soql[lineStart..lineEnd].TrimEnd('\r');
        var column = offset - lineStart + 1;
        var (snippet, caret) = Window(line, offset - lineStart);
        var message = $"\n{snippet}\n{new string(' ', caret)}^\nERROR at Row:{row}:Column:{column}\n{explanation}";
        return new SoqlException(errorCode, message, row, column);
    }

    public static SoqlException NoSuchColumn(string soql, int offset, string field, string entity) =>
        Positioned(
            SoqlErrorCodes.InvalidField,
            soql,
            offset,
            $"No such column '{field}' on entity '{entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.");

    public static SoqlException UnknownRelationship(string soql, int offset, string relationship) =>
        Positioned(
            SoqlErrorCodes.InvalidField,
            soql,
            offset,
            $"Didn't understand relationship '{relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.");

    public static SoqlException UnknownObject(string soql, int offset, string objectName) =>
        Positioned(
            SoqlErrorCodes.InvalidType,
            soql,
            offset,
            $"sObject type '{objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.");

    public static SoqlException UnexpectedToken(string soql, Syntax.SoqlToken token) =>
        Positioned(SoqlErrorCodes.MalformedQuery, soql, token.Offset, token.Kind == Syntax.SoqlTokenKind.End
                ? "unexpected token: <EOF>"
                : $"unexpected token: '{soql.Substring(token.Offset, token.Length)}'");

    /// <summary>
    /// The part of <paramref name="line"/> to show and where the caret goes inside it: the characters from
    /// <see cref="WindowBefore"/> before the error to <see cref="WindowAfter"/> after it, cut back to whole
    /// words at separators (whitespace or commas), which are trimmed off both ends.
    /// </summary>
    private static (string Snippet, int Caret) Window(string line, int column)
    {
        var from = column - WindowBefore;
        var to = column + WindowAfter;
        if (from <= 0 && to >= line.Length)
        {
            return (line, column);
        }

        if (from <= 0)
        {
            from = 0;
        }
        else
        {
            // Skip the word the window starts inside of.
            while (from < column && !IsSeparator(line[from - 1]))
            {
                from++;
            }
        }

        if (to >= line.Length)
        {
            to = line.Length;
        }
        else
        {
            // Drop the word the window ends inside of, but never the word in error.
            var errorWordEnd = column;
            while (errorWordEnd < line.Length && !IsSeparator(line[errorWordEnd]))
            {
                errorWordEnd++;
            }

            while (to > errorWordEnd && !IsSeparator(line[to]))
            {
                to--;
            }

            to = Math.Max(to, errorWordEnd);
        }

        while (from < column && IsSeparator(line[from]))
        {
            from++;
        }

        while (to > Math.Max(from, column + 1) && IsSeparator(line[to - 1]))
        {
            to--;
        }

        return (line[from..to], column - from);
    }

    private static bool IsSeparator(char c) => c == ',' || char.IsWhiteSpace(c);
}
