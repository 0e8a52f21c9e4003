using CrmSync.Engine.Sync;
using SQLitePCL;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>The row writer's raw SQLite calls reach the library SQLitePCLRaw loaded (else it leaves every row to the record path).</summary>
public sealed class SqliteNativeTests
{
    [Fact]
    public void The_raw_calls_reach_the_sqlite_sqlitepclraw_uses()
    {
        Batteries.Init(); // what Microsoft.Data.Sqlite does before the row writer ever runs
        Assert.True(SqliteNative.Available);

        // Bind and step through the raw pointers of a statement SQLitePCLRaw prepared, read back through SQLitePCLRaw.
        Assert.Equal(raw.SQLITE_OK, raw.sqlite3_open(":memory:", out var db));
        using (db)
        {
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_exec(db, "CREATE TABLE t (a TEXT, b INTEGER, c REAL, d);"));
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4);", out var insert));
            using (insert)
            {
                var statement = SqliteNative.Pointer(insert);
                Assert.Equal(raw.SQLITE_OK, SqliteNative.BindText(statement, 1, "Zoë"u8));
                Assert.Equal(raw.SQLITE_OK, SqliteNative.BindInt64(statement, 2, 42));
                Assert.Equal(raw.SQLITE_OK, SqliteNative.BindDouble(statement, 3, 0.5));
                Assert.Equal(raw.SQLITE_OK, SqliteNative.BindNull(statement, 4));
                Assert.Equal(raw.SQLITE_DONE, SqliteNative.Step(statement));
                Assert.Equal(1, SqliteNative.Changes(SqliteNative.Pointer(db)));
                Assert.Equal(raw.SQLITE_OK, SqliteNative.Reset(statement));
                Assert.Equal(raw.SQLITE_OK, SqliteNative.BindText(statement, 1, ""u8)); // empty text, not NULL
                Assert.Equal(raw.SQLITE_DONE, SqliteNative.Step(statement));
            }
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_prepare_v2(db, "SELECT a, typeof(a), b, c, typeof(d) FROM t ORDER BY rowid;", out var select));
            using (select)
            {
                Assert.Equal(raw.SQLITE_ROW, raw.sqlite3_step(select));
                Assert.Equal("Zoë", raw.sqlite3_column_text(select, 0).utf8_to_string());
                Assert.Equal(42, raw.sqlite3_column_int64(select, 2));
                Assert.Equal(0.5, raw.sqlite3_column_double(select, 3));
                Assert.Equal("null", raw.sqlite3_column_text(select, 4).utf8_to_string());
                Assert.Equal(raw.SQLITE_ROW, raw.sqlite3_step(select));
                Assert.Equal("", raw.sqlite3_column_text(select, 0).utf8_to_string());
                Assert.Equal("text", raw.sqlite3_column_text(select, 1).utf8_to_string());
            }
        }
    }
}
