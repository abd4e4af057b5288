#include "sqlite/database.h"

#include <gtest/gtest.h>

#include <climits>
#include <filesystem>
#include <string>

#include "tests/support/database_file.h"
#include "tests/support/temp_dir.h"

namespace harmony::sqlite {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  Database OpenDb(OpenOptions options = {}) {
    options.create = true;
    auto db = Database::Open(dir_.path() + "/t.db", options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }
  test::TempDir dir_;
};

TEST_F(DatabaseTest, ValuesRoundTripWithTheirStorageClass) {
  Database db = OpenDb();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(v)").ok());
  const Value values[] = {Null{},        int64_t{INT64_MIN}, int64_t{INT64_MAX}, 0.1,
                          3.0,           Text{"123"},        Text{""},           Blob{""},
                          Blob{std::string("a\0b", 3)}};
  auto ins = db.Prepare("INSERT INTO t(rowid, v) VALUES(?, ?)");
  ASSERT_TRUE(ins.ok());
  int64_t id = 1;
  for (const Value& v : values) {
    ASSERT_TRUE(ins->BindInt(1, id++).ok());
    ASSERT_TRUE(ins->Bind(2, v).ok());
    ASSERT_TRUE(ins->Run().ok());
  }
  auto sel = db.Prepare("SELECT v FROM t ORDER BY rowid");
  ASSERT_TRUE(sel.ok());
  for (const Value& v : values) {
    auto row = sel->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_TRUE(SameValue(sel->Column(0), v)) << DebugString(sel->Column(0)) << " vs "
                                              << DebugString(v);
  }
}

TEST_F(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  Database db = OpenDb();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(v)").ok());
  {
    auto tx = Transaction::Begin(db, Transaction::Mode::kImmediate);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES(1)").ok());
  }
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 0);
  {
    auto tx = Transaction::Begin(db, Transaction::Mode::kDeferred);
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES(1)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 1);
}

TEST_F(DatabaseTest, TriggersCanBeDisabledPerConnection) {
  {
    Database db = OpenDb();
    ASSERT_TRUE(db.Exec("CREATE TABLE t(v); CREATE TABLE log(v);"
                        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(1); END;")
                    .ok());
  }
  OpenOptions no_triggers;
  no_triggers.enable_triggers = false;
  Database db = OpenDb(no_triggers);
  ASSERT_TRUE(db.Exec("INSERT INTO t VALUES(1)").ok());
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM log"), 0);
}

TEST_F(DatabaseTest, ErrorsNameThePathAndStatement) {
  Database db = OpenDb();
  Status s = db.Exec("SELEC 1");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.db"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("SELEC 1"), std::string::npos) << s.message();
}

TEST_F(DatabaseTest, MissingFileWithoutCreateIsNotFound) {
  auto db = Database::Open(dir_.path() + "/missing.db", OpenOptions{});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kNotFound);
}

TEST_F(DatabaseTest, NotADatabaseIsReportedAtOpen) {
  std::string path = dir_.path() + "/junk.db";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not a database file, not at all, really not", f);
  std::fclose(f);
  auto db = Database::Open(path, OpenOptions{});
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("junk.db"), std::string::npos);
}

TEST_F(DatabaseTest, QuickCheckReportsTheFirstComplaintOfACorruptPage) {
  int64_t root = 0, page_size = 0;
  {
    Database db = OpenDb();
    ASSERT_TRUE(db.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                        "INSERT INTO t(v) VALUES('a'), ('b')")
                    .ok());
    EXPECT_TRUE(QuickCheck(db).ok());
    root = *db.QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    page_size = *db.QueryInt("PRAGMA page_size");
  }  // the last connection checkpoints the WAL into the file
  ASSERT_TRUE(test::CorruptPage(dir_.path() + "/t.db", root, static_cast<int>(page_size)));
  Database db = OpenDb();  // page 1 is intact: opening works
  Status s = QuickCheck(db);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("quick_check"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Page " + std::to_string(root)), std::string::npos) << s.message();
  // Reading the page is corruption too, not an I/O error.
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t").status().code(), Status::Code::kCorruption);
}

TEST_F(DatabaseTest, FullDatabaseIsUnavailableNotAnIoError) {
  // max_page_count gives the same SQLITE_FULL as a full disk, which clears once space is freed.
  Database db = OpenDb();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(v); PRAGMA max_page_count = 3").ok());
  Status s = db.Exec("INSERT INTO t VALUES(zeroblob(100000))");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("full"), std::string::npos) << s.message();
}

TEST_F(DatabaseTest, WritingADeletedDatabaseIsAnIoError) {
  // In rollback-journal mode SQLite notices the file is gone when it opens the journal
  // (SQLITE_READONLY_DBMOVED); in WAL mode it writes on into the unlinked file.
  OpenOptions rollback;
  rollback.wal = false;
  Database db = OpenDb(rollback);
  ASSERT_TRUE(db.Exec("CREATE TABLE t(v)").ok());
  std::filesystem::remove(dir_.path() + "/t.db");
  Status s = db.Exec("INSERT INTO t VALUES(1)");  // SQLITE_READONLY_DBMOVED
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
}

TEST_F(DatabaseTest, ExclusiveLockingModeCannotWriteBesideAnotherConnection) {
  // docs/applications.md: an app connection in exclusive mode cannot write while harmony's
  // connections have the WAL database open.
  Database harmony = OpenDb();
  ASSERT_TRUE(harmony.Exec("CREATE TABLE t(v)").ok());
  OpenOptions app_options;
  app_options.wal = false;
  app_options.busy_timeout_ms = 200;
  Database app = OpenDb(app_options);
  ASSERT_TRUE(app.Exec("PRAGMA locking_mode=EXCLUSIVE").ok());
  Status s = app.Exec("INSERT INTO t VALUES(1)");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("database is locked"), std::string::npos) << s.message();
}

TEST(SameIdentifierTest, FoldsAsciiCaseOnlyLikeSqlite) {
  EXPECT_TRUE(SameIdentifier("Users", "users"));
  EXPECT_TRUE(SameIdentifier("ORDER_items", "order_ITEMS"));
  EXPECT_FALSE(SameIdentifier("users", "user"));
  EXPECT_FALSE(SameIdentifier("\xc3\x89t\xc3\xa9", "\xc3\xa9t\xc3\xa9"));  // "Été" vs "été"
  // SQLite agrees: the second CREATE TABLE names the same table.
  test::TempDir dir;
  OpenOptions options;
  options.create = true;
  auto db = Database::Open(dir.path() + "/t.db", options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Exec("CREATE TABLE Users(id)").ok());
  EXPECT_FALSE(db->Exec("CREATE TABLE users(id)").ok());
  EXPECT_TRUE(db->Exec("CREATE TABLE \"\xc3\xa9t\xc3\xa9\"(id); CREATE TABLE \"\xc3\x89t\xc3\xa9\"(id)").ok());
}

TEST(QuoteTest, QuotesAreDoubled) {
  EXPECT_EQ(QuoteIdentifier("a\"b c"), "\"a\"\"b c\"");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
}

}  // namespace
}  // namespace harmony::sqlite
