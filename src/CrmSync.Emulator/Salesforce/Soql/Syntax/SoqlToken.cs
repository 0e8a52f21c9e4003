namespace CrmSync.Emulator.Salesforce.Soql.Syntax;

/// <summary>What a <see cref="SoqlToken"/> is.</summary>
internal enum SoqlTokenKind
{
    /// <summary>An identifier or keyword, possibly a dotted path (<c>Owner.Name</c>).</summary>
    Word,
    /// <summary>A quoted string; <see cref="SoqlToken.Text"/> is the raw text between the quotes.</summary>
    String,
    /// <summary>An integer or decimal number, possibly signed.</summary>
    Number,
    /// <summary>An unquoted date, <c>YYYY-MM-DD</c>.</summary>
    Date,
    /// <summary>An unquoted datetime, <c>YYYY-MM-DDThh:mm:ss(.sss)(Z|±hh:mm)</c>.</summary>
    DateTime,
    /// <summary>An operator or punctuation: <c>= != &lt;&gt; &lt; &lt;= &gt; &gt;= ( ) , :</c>.</summary>
    Symbol,
    /// <summary>The end of the query.</summary>
    End,
}

/// <summary>One token and where it starts (0-based offset into the query text).</summary>
internal sealed record SoqlToken(SoqlTokenKind Kind, string Text, int Offset, int Length)
{
    /// <summary>True when this is a word equal to <paramref name="keyword"/>, ignoring case.</summary>
    public bool IsKeyword(string keyword) =>
        Kind == SoqlTokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when this is the symbol <paramref name="symbol"/>.</summary>
    public bool IsSymbol(string symbol) => Kind == SoqlTokenKind.Symbol && Text == symbol;
}
