#include "capture/triggers.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <string>

#include "capture/capture_test_util.h"
#include "capture/catalog.h"
#include "capture/change_log.h"

namespace harmony::capture {
namespace {

using testing_util::Exec;
using testing_util::Int;

std::vector<TrackedTable> InstallAll(sqlite::Database& db) {
  auto catalog = ReadCatalog(db);
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto tracked = InstallTriggers(db, catalog->tables);
  EXPECT_TRUE(tracked.ok()) << tracked.status().ToString();
  return tracked.ok() ? *tracked : std::vector<TrackedTable>{};
}

TEST(TriggersTest, CaptureWorksFromAnUntrustedDefensiveAppConnection) {
  test::TempDir dir;
  {
    sqlite::Database setup = testing_util::OpenApp(dir);
    Exec(setup, "CREATE TABLE \"we\"\"ird\"(\"select\" INTEGER PRIMARY KEY, \"from\" TEXT)");
    InstallAll(setup);
  }
  sqlite::Database app = testing_util::OpenApp(dir);
  Exec(app, "PRAGMA trusted_schema=OFF");
  int on = 1, out = 0;
  ASSERT_EQ(sqlite3_db_config(app.raw(), SQLITE_DBCONFIG_DEFENSIVE, on, &out), SQLITE_OK);
  Exec(app, "INSERT INTO \"we\"\"ird\" VALUES(1, 'a')");
  Exec(app, "UPDATE \"we\"\"ird\" SET \"from\" = 'b'");
  Exec(app, "UPDATE \"we\"\"ird\" SET \"select\" = 2");
  Exec(app, "DELETE FROM \"we\"\"ird\"");
  EXPECT_EQ(Int(app, "SELECT count(*) FROM __harmony_change_log"), 4);
  EXPECT_EQ(Int(app, "SELECT group_concat(op, '') FROM __harmony_change_log"), 1223);
  // The key-changing update keeps the old key in k0 and the new row in c0, c1.
  EXPECT_EQ(Int(app, "SELECT k0 * 10 + c0 FROM __harmony_change_log WHERE seq = 3"), 12);
}

TEST(TriggersTest, ValuesKeepTheirStorageClassInTheLog) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
  InstallAll(db);
  Exec(db, "INSERT INTO t VALUES(1, '123'), (2, 3.0), (3, x''), (4, NULL), (5, 7)");
  auto q = db.Prepare("SELECT group_concat(typeof(c1), ',') FROM __harmony_change_log");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnText(0), "text,real,blob,null,integer");
}

TEST(TriggersTest, ReinstallKeepsUnchangedShapesAndReplacesChangedOnes) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE a(id INTEGER PRIMARY KEY, v); CREATE TABLE b(id TEXT PRIMARY KEY)");
  auto first = InstallAll(db);
  ASSERT_EQ(first.size(), 2u);
  auto again = InstallAll(db);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(first[0].tid, again[0].tid);
  EXPECT_EQ(first[1].tid, again[1].tid);
  // b's key can be NULL: it also has update_null_key and delete_null_key.
  EXPECT_EQ(Int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 8);

  Exec(db, "ALTER TABLE a ADD COLUMN w");
  auto changed = InstallAll(db);
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_NE(changed[0].tid, first[0].tid);
  EXPECT_EQ(changed[0].schema.columns.size(), 3u);
  EXPECT_EQ(Int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 8);
  Exec(db, "INSERT INTO a VALUES(1, 2, 3)");
  EXPECT_EQ(Int(db, "SELECT c2 FROM __harmony_change_log"), 3);

  Exec(db, "DROP TABLE b");
  auto dropped = InstallAll(db);
  EXPECT_EQ(dropped.size(), 1u);
  EXPECT_EQ(Int(db, "SELECT count(*) FROM __harmony_tables WHERE active = 1"), 1);
}

// Regression (#9): a row whose key has a NULL is logged whole when updated or deleted (op 4),
// from an untrusted, defensive app connection: the WHEN clauses call no function either.
TEST(TriggersTest, NullKeyRowsAreLoggedWholeByPlainInsertTriggers) {
  test::TempDir dir;
  {
    sqlite::Database setup = testing_util::OpenApp(dir);
    Exec(setup, "CREATE TABLE t(k TEXT PRIMARY KEY, v)");
    InstallAll(setup);
  }
  sqlite::Database app = testing_util::OpenApp(dir);
  Exec(app, "PRAGMA trusted_schema=OFF");
  int on = 1, out = 0;
  ASSERT_EQ(sqlite3_db_config(app.raw(), SQLITE_DBCONFIG_DEFENSIVE, on, &out), SQLITE_OK);
  Exec(app,
       "INSERT INTO t VALUES(NULL, 'a'); UPDATE t SET v = 'b' WHERE k IS NULL;"
       "UPDATE t SET k = 'x'; UPDATE t SET v = 'c'; DELETE FROM t;"
       "INSERT INTO t VALUES(NULL, 'd'); DELETE FROM t");
  // insert; update of a NULL-key row = delete_row + insert; update NULL -> 'x' = delete_row +
  // insert; keyed update; keyed delete; insert; delete of a NULL-key row = delete_row.
  auto q = app.Prepare(
      "SELECT group_concat(op || ':' || coalesce(k0, '-') || ':' || coalesce(c0, '-') || ':' || "
      "coalesce(c1, '-'), ' ') FROM (SELECT * FROM __harmony_change_log ORDER BY seq)");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnText(0),
            "1:-:-:a 4:-:-:a 1:-:-:b 4:-:-:b 1:-:x:b 2:x:x:c 3:x:-:- 1:-:-:d 4:-:-:d");
}

TEST(TriggersTest, OnlyKeysThatCanHoldNullGetNullKeyTriggers) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE alias(id INTEGER PRIMARY KEY, v);"
       "CREATE TABLE required(k TEXT NOT NULL PRIMARY KEY, v);"
       "CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
       "CREATE TABLE nullable(a INTEGER NOT NULL, b TEXT, PRIMARY KEY(a, b));"
       "CREATE TABLE intdesc(id INTEGER PRIMARY KEY DESC, v)");  // not a rowid alias
  std::map<std::string, bool> may_be_null;
  for (const TrackedTable& t : InstallAll(db)) may_be_null[t.schema.name] = t.key_may_be_null;
  EXPECT_EQ(may_be_null, (std::map<std::string, bool>{{"alias", false},
                                                      {"intdesc", true},
                                                      {"nullable", true},
                                                      {"required", false},
                                                      {"wr", false}}));
  EXPECT_EQ(Int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 3 * 5 + 2 * 2);
}

// A log installed by an older build has no null-key triggers and an unconditional update
// trigger: reinstalling replaces them without treating the table as having lost changes.
TEST(TriggersTest, ReinstallAddsMissingNullKeyTriggersWithoutBackfill) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE t(k TEXT PRIMARY KEY, v)");
  auto first = InstallAll(db);
  ASSERT_EQ(first.size(), 1u);
  Exec(db, "DROP TRIGGER \"__harmony_" + std::to_string(first[0].tid) + "_update_null_key\"");
  auto again = InstallAll(db);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].tid, first[0].tid);
  EXPECT_FALSE(again[0].triggers_were_missing);
  EXPECT_EQ(Int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 5);
}

TEST(TriggersTest, ShapesRememberKeyCollationsAndChangeWithThem) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE t(a TEXT COLLATE RTRIM, b TEXT, PRIMARY KEY(b COLLATE NOCASE, a))");
  auto first = InstallAll(db);
  ASSERT_EQ(first.size(), 1u);
  auto shape = LoadShape(db, first[0].tid);
  ASSERT_TRUE(shape.ok()) << shape.status().ToString();
  EXPECT_EQ(shape->pk_collations, (std::vector<change::Collation>{change::Collation::kNocase,
                                                                  change::Collation::kRtrim}));
  EXPECT_EQ(*shape, first[0].schema);
  Exec(db, "DROP TABLE t; CREATE TABLE t(a TEXT, b TEXT, PRIMARY KEY(b, a))");
  auto second = InstallAll(db);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].tid, first[0].tid);
  EXPECT_EQ(second[0].install, TrackedTable::Install::kReshaped);
}

TEST(TriggersTest, RemoveTriggersStopsCaptureAndRemoveAllLeavesOnlyAppData) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES(1, 'x')");
  InstallAll(db);
  ASSERT_TRUE(RemoveTriggers(db).ok());
  Exec(db, "INSERT INTO t VALUES(2, 'y')");
  EXPECT_EQ(Int(db, "SELECT count(*) FROM __harmony_change_log"), 0);

  InstallAll(db);
  ASSERT_TRUE(RemoveAllObjects(db).ok());
  ASSERT_TRUE(RemoveAllObjects(db).ok());  // twice is fine
  EXPECT_EQ(Int(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%harmony%'"), 0);
  EXPECT_EQ(Int(db, "SELECT count(*) FROM t"), 2);
}

TEST(ChangeLogTest, CleanupKeepsTheNewestRowSoSequenceNumbersNeverRepeat) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY)");
  InstallAll(db);
  Exec(db, "INSERT INTO t VALUES(1), (2), (3)");
  ASSERT_TRUE(WritePublishedSeq(db, 3).ok());
  auto removed = CleanupPublished(db);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
  Exec(db, "INSERT INTO t VALUES(4)");
  EXPECT_EQ(Int(db, "SELECT max(seq) FROM __harmony_change_log"), 4);
  auto epoch = ReadEpoch(db);
  ASSERT_TRUE(epoch.ok());
  EXPECT_GT(*epoch, 0u);
}

}  // namespace
}  // namespace harmony::capture

namespace harmony::capture {
namespace {

// Issue #10 item 5: a table far wider than the log widens it in one rebuild, keeping the rows
// already logged and the triggers of the other tables working; with no-key tables as well.
TEST(TriggersTest, WideTableWidensTheLogKeepingItsRowsAndOtherTablesTriggers) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v); CREATE TABLE n(a, b)");
  InstallAll(db);
  Exec(db, "INSERT INTO t VALUES(1, 'before'); INSERT INTO n VALUES('x', 'y')");
  std::string wide = "CREATE TABLE w(id INTEGER PRIMARY KEY";
  for (int i = 1; i < 1500; ++i) wide += ", c" + std::to_string(i);
  Exec(db, wide + ")");
  InstallAll(db);
  auto width = ReadLogWidth(db);
  ASSERT_TRUE(width.ok());
  EXPECT_EQ(width->value_columns, 1500);
  EXPECT_EQ(Int(db, "PRAGMA legacy_alter_table"), 0);
  Exec(db, "INSERT INTO t VALUES(2, 'after'); INSERT INTO w(id, c1499) VALUES(1, 7);"
           "UPDATE n SET b = 'z'");
  EXPECT_EQ(Int(db, "SELECT count(*) FROM __harmony_change_log"), 6);  // n's update logs 2 rows
  EXPECT_EQ(Int(db, "SELECT count(*) FROM __harmony_change_log WHERE c1 = 'before'"), 1);
  EXPECT_EQ(Int(db, "SELECT c1499 FROM __harmony_change_log WHERE c0 = 1 AND c1499 IS NOT NULL"),
            7);
  EXPECT_EQ(Int(db, "SELECT group_concat(op, '') FROM __harmony_change_log"), 111141);
  auto check = db.Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(*check->Step());
  EXPECT_EQ(check->ColumnText(0), "ok");
}

}  // namespace
}  // namespace harmony::capture
