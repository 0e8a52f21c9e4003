namespace CrmSync.Emulator.Salesforce.Soql.Evaluation;

/// <summary>Salesforce record ids: the 15-character case-sensitive form and its 18-character checksummed form.</summary>
internal static class SoqlRecordId
{
    private const string SuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

    /// <summary>True for 15 or 18 ASCII letters and digits, the only shapes Salesforce accepts in a filter.</summary>
    public static bool IsWellFormed(string value) =>
        (value.Length == 15 || value.Length == 18) && value.All(char.IsAsciiLetterOrDigit);

    /// <summary>The 18-character form of a 15-character id (other lengths are returned unchanged).</summary>
    public static string To18(string id)
    {
        if (id.Length != 15)
        {
            return id;
        }

        Span<char> result = stackalloc char[18];
        id.AsSpan().CopyTo(result);
        for (var chunk = 0; chunk < 3; chunk++)
        {
            var bits = 0;
            for (var k = 0; k < 5; k++)
            {
                if (char.IsAsciiLetterUpper(id[(chunk * 5) + k]))
                {
                    bits |= 1 << k;
                }
            }

            result[15 + chunk] = SuffixAlphabet[bits];
        }

        return new string(result);
    }
}
