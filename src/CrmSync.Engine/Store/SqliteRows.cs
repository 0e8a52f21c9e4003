using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>Small typed readers and parameter helpers shared by the store's tables.</summary>
internal static class SqliteRows
{
    public static SqliteCommand Command(this SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static string? NullableString(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? NullableInt64(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static DateTimeOffset Time(this SqliteDataReader reader, int ordinal) => StoreTime.Parse(reader.GetString(ordinal));

    public static DateTimeOffset? NullableTime(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : StoreTime.Parse(reader.GetString(ordinal));

    public static TEnum Enum<TEnum>(this SqliteDataReader reader, int ordinal) where TEnum : struct, Enum =>
        System.Enum.Parse<TEnum>(reader.GetString(ordinal), ignoreCase: false);

    public static bool Flag(this SqliteDataReader reader, int ordinal) => reader.GetInt64(ordinal) != 0;
}
