#include "capture/schema_diff.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "capture/schema_apply.h"
#include "capture/schema_sync.h"
#include "capture/triggers.h"
#include "sqlite/database.h"
#include "state/schema_history.h"
#include "capture/capture_test_util.h"

namespace harmony::capture {
namespace {

using change::SchemaStep;
using Kind = change::SchemaStep::Kind;

TEST(ColumnDefinitionsTest, SplitsAtTopLevelCommasOnly) {
  auto defs = ColumnDefinitions(
      "CREATE TABLE \"a(b\"(id INTEGER PRIMARY KEY, \"x,y\" TEXT DEFAULT 'p,q', z NUMERIC(10, 2) "
      "CHECK (z > 0), -- a comment, here\n [w] /* c,d */ INT, UNIQUE(z, w))");
  ASSERT_EQ(defs.size(), 5u);
  EXPECT_EQ(LeadingIdentifier(defs[0]), "id");
  EXPECT_EQ(LeadingIdentifier(defs[1]), "x,y");
  EXPECT_EQ(defs[1], "\"x,y\" TEXT DEFAULT 'p,q'");
  EXPECT_EQ(LeadingIdentifier(defs[2]), "z");
  EXPECT_EQ(LeadingIdentifier(defs[3]), "w");
  EXPECT_EQ(LeadingIdentifier(defs[4]), "UNIQUE");
}

// A database whose schema changes are read the way capture reads them: triggers installed.
class SchemaDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.emplace(testing_util::OpenApp(dir_));
    Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INT)");
    Exec("CREATE INDEX t_a ON t(a)");
    Sync();
  }
  void Exec(const std::string& sql) {
    Status s = db_->Exec(sql);
    ASSERT_TRUE(s.ok()) << sql << ": " << s.message();
  }
  SyncResult Sync() {
    auto r = SyncCapture(*db_, {}, /*backfill=*/false, SchemaCapture::kRecord);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : SyncResult{};
  }
  std::vector<SchemaStep> StepsAfter(const std::string& ddl) {
    Exec(ddl);
    SyncResult r = Sync();
    return r.schema_change ? r.schema_change->steps : std::vector<SchemaStep>{};
  }
  test::TempDir dir_;
  std::optional<sqlite::Database> db_;
};

TEST_F(SchemaDiffTest, NothingChangedNoSteps) { EXPECT_TRUE(StepsAfter("SELECT 1").empty()); }

TEST_F(SchemaDiffTest, AddColumnKeepsItsDefinition) {
  auto steps = StepsAfter("ALTER TABLE t ADD COLUMN \"c d\" TEXT DEFAULT 'x, y' NOT NULL");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, Kind::kAddColumn);
  EXPECT_EQ(steps[0].table, "t");
  EXPECT_EQ(steps[0].name, "c d");
  EXPECT_EQ(steps[0].sql, "\"c d\" TEXT DEFAULT 'x, y' NOT NULL");
}

TEST_F(SchemaDiffTest, RenameColumnIsReadOffTheTrigger) {
  // Rename and add in one reading: the trigger tells "b" became "bb" (not dropped).
  Exec("BEGIN");
  Exec("ALTER TABLE t RENAME COLUMN b TO bb");
  Exec("ALTER TABLE t ADD COLUMN c INT");
  auto steps = StepsAfter("COMMIT");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].kind, Kind::kRenameColumn);
  EXPECT_EQ(steps[0].old_name, "b");
  EXPECT_EQ(steps[0].name, "bb");
  EXPECT_EQ(steps[1].kind, Kind::kAddColumn);
  EXPECT_EQ(steps[1].name, "c");
  auto history = state::ReadHistory(*db_, 0);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].kind, "rename_column");
}

TEST_F(SchemaDiffTest, RenameTableIsReadOffTheTrigger) {
  auto steps = StepsAfter("ALTER TABLE t RENAME TO u");
  ASSERT_EQ(steps.size(), 2u) << steps.size();
  EXPECT_EQ(steps[0].kind, Kind::kRenameTable);
  EXPECT_EQ(steps[0].table, "t");
  EXPECT_EQ(steps[0].name, "u");
  // SQLite rewrote the index on it; a node that renamed the table finds the same SQL.
  EXPECT_EQ(steps[1].kind, Kind::kCreate);
  EXPECT_EQ(steps[1].sql, "CREATE INDEX t_a ON \"u\"(a)");
}

// A table harmony does not capture (its key uses a collation only the application has) has no
// triggers to follow: its rename is told by its root page, never sent as drop + create.
TEST_F(SchemaDiffTest, RenameOfATableWithoutCaptureTriggers) {
  ASSERT_EQ(sqlite3_create_collation(db_->raw(), "app_order", SQLITE_UTF8, nullptr,
                                     [](void*, int a_len, const void* a, int b_len, const void* b) {
                                       return std::string(static_cast<const char*>(b), b_len)
                                           .compare(std::string(static_cast<const char*>(a), a_len));
                                     }),
            SQLITE_OK);
  Exec("CREATE TABLE local_only(k TEXT PRIMARY KEY COLLATE app_order, v)");
  Sync();
  auto steps = StepsAfter("ALTER TABLE local_only RENAME TO local_only2");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, Kind::kRenameTable);
  EXPECT_EQ(steps[0].table, "local_only");
  EXPECT_EQ(steps[0].name, "local_only2");
}

TEST_F(SchemaDiffTest, DropAndCreateOfEachKind) {
  auto steps = StepsAfter(
      "CREATE TABLE n(k TEXT PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t; CREATE TRIGGER tr "
      "AFTER INSERT ON t BEGIN SELECT 1; END; DROP INDEX t_a; CREATE UNIQUE INDEX n_k ON n(k)");
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0].kind, Kind::kDrop);
  EXPECT_EQ(steps[0].name, "t_a");
  EXPECT_EQ(steps[1].kind, Kind::kCreate);
  EXPECT_EQ(steps[1].name, "n");
  EXPECT_EQ(steps[2].name, "n_k");
  EXPECT_EQ(steps[3].name, "v");
  EXPECT_EQ(steps[4].name, "tr");
  steps = StepsAfter("DROP VIEW v; DROP TABLE n");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].type, "view");
  EXPECT_EQ(steps[1].type, "index");  // went with its table
  EXPECT_EQ(steps[2].type, "table");
  EXPECT_EQ(steps[2].kind, Kind::kDrop);
}

TEST_F(SchemaDiffTest, DropColumnWithTheDocumentedProcedure) {
  Exec("BEGIN");
  auto triggers = db_->Prepare(
      "SELECT group_concat('DROP TRIGGER \"' || name || '\"', ';') FROM sqlite_schema WHERE type "
      "= 'trigger' AND tbl_name = 't' AND name GLOB '__harmony_*'");
  ASSERT_TRUE(triggers.ok());
  ASSERT_TRUE(*triggers->Step());
  const std::string drops = triggers->ColumnText(0);
  Exec(drops);
  Exec("ALTER TABLE t DROP COLUMN b");
  // Harmony's triggers vanished: read as a rebuild (the rows of the columns both definitions
  // have are kept elsewhere), with the table's index created again after it.
  auto steps = StepsAfter("COMMIT");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].kind, Kind::kRebuildTable);
  EXPECT_EQ(steps[0].sql, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT)");
  EXPECT_EQ(steps[1].kind, Kind::kCreate);
  EXPECT_EQ(steps[1].name, "t_a");
}

TEST_F(SchemaDiffTest, ApplyingTheStepsElsewhereGivesTheSameSchemaAndIsIdempotent) {
  test::TempDir other_dir;
  std::optional<sqlite::Database> other(testing_util::OpenApp(other_dir));
  ASSERT_TRUE(other->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INT);"
                          "CREATE INDEX t_a ON t(a)").ok());
  ASSERT_TRUE(SyncCapture(*other, {}, false, SchemaCapture::kRecord).ok());
  Exec("BEGIN");
  Exec("ALTER TABLE t RENAME COLUMN a TO aa");
  Exec("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'z'");
  Exec("CREATE TABLE w(x TEXT PRIMARY KEY, y)");
  Exec("CREATE INDEX w_y ON w(y)");
  Exec("ALTER TABLE t RENAME TO tt");
  auto steps = StepsAfter("COMMIT");
  change::SchemaChange change{"1-2-3", steps};
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(other->Exec("BEGIN IMMEDIATE").ok());
    auto applied = ApplySchemaChange(*other, change, {});
    ASSERT_TRUE(applied.ok()) << applied.status().message();
    EXPECT_TRUE(applied->conflicts.empty()) << applied->conflicts[0];
    EXPECT_EQ(applied->steps_done + applied->steps_present, steps.size());
    if (round == 1) {
      EXPECT_EQ(applied->steps_done, 0u);
    }
    ASSERT_TRUE(other->Exec("COMMIT").ok());
  }
  auto schema = [](sqlite::Database& db) {
    auto q = db.Prepare(
        "SELECT group_concat(type || ' ' || name || ' ' || sql, char(10)) FROM (SELECT * FROM "
        "sqlite_schema WHERE name NOT LIKE '\\_\\_harmony%' ESCAPE '\\' AND tbl_name NOT LIKE "
        "'\\_\\_harmony%' ESCAPE '\\' ORDER BY type, name)");
    EXPECT_TRUE(q.ok());
    EXPECT_TRUE(*q->Step());
    return q->ColumnText(0);
  };
  EXPECT_EQ(schema(*other), schema(*db_));
  // The other node's capture finds nothing of its own to send.
  auto sync = SyncCapture(*other, {}, false, SchemaCapture::kRecord);
  ASSERT_TRUE(sync.ok());
  EXPECT_FALSE(sync->schema_change.has_value());
}

TEST_F(SchemaDiffTest, ConflictingAddColumnIsReported) {
  test::TempDir other_dir;
  std::optional<sqlite::Database> other(testing_util::OpenApp(other_dir));
  ASSERT_TRUE(other->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, c INT)").ok());
  change::SchemaChange change{"1-2-3", {{Kind::kCreate, "table", "t", "", "", "CREATE TABLE t(id)"},
                                        {Kind::kRenameColumn, "", "d", "t", "nope", ""}}};
  ASSERT_TRUE(other->Exec("BEGIN IMMEDIATE").ok());
  auto applied = ApplySchemaChange(*other, change, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  ASSERT_EQ(applied->conflicts.size(), 2u);
  EXPECT_NE(applied->conflicts[0].find("create table \"t\""), std::string::npos);
  EXPECT_NE(applied->conflicts[1].find("no such column"), std::string::npos);
  ASSERT_TRUE(other->Exec("COMMIT").ok());
}

// A change carried out here while an application change here was not read yet: the reading takes
// the carried-out change only, and capture still finds and sends the application's.
TEST_F(SchemaDiffTest, CarriedOutChangeDoesNotSwallowAnUnreadLocalOne) {
  Exec("CREATE TABLE b(id INTEGER PRIMARY KEY, x)");
  Sync();
  Exec("ALTER TABLE b ADD COLUMN y TEXT");  // the application's, not read yet
  change::SchemaChange remote{"9-9-9", {{Kind::kAddColumn, "", "z", "t", "", "z INT"}}};
  ASSERT_TRUE(db_->Exec("BEGIN IMMEDIATE").ok());
  auto applied = ApplySchemaChange(*db_, remote, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  SyncResult r = Sync();
  ASSERT_TRUE(r.schema_change.has_value());
  ASSERT_EQ(r.schema_change->steps.size(), 1u);
  EXPECT_EQ(r.schema_change->steps[0].kind, Kind::kAddColumn);
  EXPECT_EQ(r.schema_change->steps[0].table, "b");
  EXPECT_EQ(r.schema_change->steps[0].name, "y");
}

TEST_F(SchemaDiffTest, CaptureRemovedAndBackStartsFromAFreshReading) {
  ASSERT_TRUE(RemoveTriggers(*db_).ok());
  SyncResult r = Sync();  // triggers back: no table reads as dropped and created again
  EXPECT_FALSE(r.schema_change.has_value());
}

TEST_F(SchemaDiffTest, SameColumnAddedWithAnotherDefinitionIsAConflict) {
  test::TempDir other_dir;
  std::optional<sqlite::Database> other(testing_util::OpenApp(other_dir));
  ASSERT_TRUE(other->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, c TEXT)").ok());
  change::SchemaChange same{"1-2-3", {{Kind::kAddColumn, "", "c", "t", "", "c TEXT"}}};
  change::SchemaChange clash{"1-2-4", {{Kind::kAddColumn, "", "c", "t", "", "c INTEGER"}}};
  ASSERT_TRUE(other->Exec("BEGIN IMMEDIATE").ok());
  auto applied = ApplySchemaChange(*other, same, {});
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(applied->conflicts.empty());
  EXPECT_EQ(applied->steps_present, 1u);
  applied = ApplySchemaChange(*other, clash, {});
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->conflicts.size(), 1u);
  EXPECT_NE(applied->conflicts[0].find("exists here as `c TEXT`"), std::string::npos)
      << applied->conflicts[0];
  ASSERT_TRUE(other->Exec("COMMIT").ok());
}

}  // namespace
}  // namespace harmony::capture
