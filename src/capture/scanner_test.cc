#include "capture/scanner.h"

#include <gtest/gtest.h>

#include <set>

#include "capture/capture_test_util.h"
#include "capture/catalog.h"
#include "capture/schema_sync.h"
#include "capture/triggers.h"
#include "change/shard.h"

namespace harmony::capture {
namespace {

using testing_util::Exec;

struct Emitted {
  uint32_t shard;
  change::Batch batch;
};

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<sqlite::Database>(testing_util::OpenApp(dir_));
    Exec(*db_,
         "CREATE TABLE t(id INTEGER PRIMARY KEY, v); CREATE TABLE u(k TEXT PRIMARY KEY);"
         "CREATE TABLE n(k TEXT COLLATE NOCASE PRIMARY KEY, v); CREATE TABLE z(k PRIMARY KEY, v)");
    auto catalog = ReadCatalog(*db_);
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE(InstallTriggers(*db_, catalog->tables).ok());
  }
  std::vector<Emitted> Scan(ScanOptions options, uint64_t after = 0, ScanResult* result = nullptr) {
    Scanner scanner(db_.get(), options);
    std::vector<Emitted> out;
    auto r = scanner.Scan(after, 0, [&](uint32_t shard, change::Batch&& b) {
      out.push_back({shard, std::move(b)});
      return Status::Ok();
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (result && r.ok()) *result = *r;
    return out;
  }
  test::TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
};

TEST_F(ScannerTest, OneBatchPerShardCoveringEveryChange) {
  Exec(*db_,
       "INSERT INTO t VALUES(1, 'a'), (2, 'b'); INSERT INTO u VALUES('x'); DELETE FROM t WHERE id "
       "= 1");
  ScanResult result;
  auto out = Scan({.shards = 1, .max_changes_per_batch = 100, .node_id = 9}, 0, &result);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(result.last_seq, 4u);
  EXPECT_EQ(result.changes, 4u);
  const change::Batch& b = out[0].batch;
  EXPECT_EQ(out[0].shard, 1u);
  EXPECT_EQ(b.node_id, 9u);
  EXPECT_EQ(b.first_seq, 1u);
  EXPECT_EQ(b.last_seq, 4u);
  EXPECT_TRUE(b.last_part);
  ASSERT_EQ(b.tables.size(), 2u);
  ASSERT_EQ(b.changes.size(), 4u);
  EXPECT_EQ(b.changes[3].op, change::Op::kDelete);
  EXPECT_TRUE(SameValue(b.changes[3].values[0], Value{int64_t{1}}));
  EXPECT_TRUE(Scan({.shards = 1}, 4).empty());  // nothing after seq 4
}

TEST_F(ScannerTest, KeyChangingUpdateBecomesDeleteThenUpsert) {
  Exec(*db_, "INSERT INTO t VALUES(1, 'a'); UPDATE t SET id = 2 WHERE id = 1");
  auto out = Scan({.shards = 1}, 1);
  ASSERT_EQ(out.size(), 1u);
  const auto& changes = out[0].batch.changes;
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].op, change::Op::kDelete);
  EXPECT_TRUE(SameValue(changes[0].values[0], Value{int64_t{1}}));
  EXPECT_EQ(changes[1].op, change::Op::kUpsert);
  EXPECT_TRUE(SameValue(changes[1].values[0], Value{int64_t{2}}));
}

TEST_F(ScannerTest, ChangesGoToTheShardOfTheirRowKey) {
  for (int i = 0; i < 50; ++i) Exec(*db_, "INSERT INTO t VALUES(" + std::to_string(i) + ", 0)");
  auto out = Scan({.shards = 4, .max_changes_per_batch = 1000});
  size_t total = 0;
  for (const Emitted& e : out) {
    for (const auto& c : e.batch.changes) {
      uint64_t h = change::ShardHash(e.batch.tables[c.table], c);
      EXPECT_EQ(change::ShardOf(h, 4), e.shard);
      ++total;
    }
  }
  EXPECT_EQ(total, 50u);
  EXPECT_GT(out.size(), 1u);
}

// Issue #9 item 2: rows of a table with a UNIQUE constraint besides its key are ordered against
// each other only inside one stream, so all of its changes share the shard of its name; the
// pending-row protection routes them the same way. A UNIQUE index created later moves the table.
TEST_F(ScannerTest, TablesWithASecondaryUniqueConstraintUseOneShard) {
  Exec(*db_, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE)");
  auto sync = SyncCapture(*db_, {}, /*backfill=*/true);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  const change::TableSchema users{"users", {"id", "email"}, {0}};
  const uint32_t table_shard = change::ShardOf(change::TableShardHash(users), 4);
  auto expect_one_shard = [&](const std::string& table, uint64_t after) {
    std::set<uint32_t> shards;
    for (const Emitted& e : Scan({.shards = 4, .max_changes_per_batch = 1000}, after)) {
      for (const auto& c : e.batch.changes) {
        if (e.batch.tables[c.table].name == table) shards.insert(e.shard);
      }
    }
    return shards;
  };
  for (int i = 0; i < 40; ++i) {
    const std::string id = std::to_string(i);
    Exec(*db_, "INSERT INTO users VALUES(" + id + ", 'u" + id + "'); INSERT INTO t VALUES(" + id +
                   ", 0)");
  }
  Exec(*db_, "DELETE FROM users WHERE id < 5; UPDATE users SET id = 100 WHERE id = 7");
  EXPECT_EQ(expect_one_shard("users", 0), std::set<uint32_t>{table_shard});
  EXPECT_GT(expect_one_shard("t", 0).size(), 1u);  // other tables stay spread by key
  auto keys = PendingRowKeys(*db_, 4);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  const std::vector<Value> k20 = {int64_t{20}}, k100 = {int64_t{100}};
  EXPECT_EQ(keys->rows.at(change::RowKeyHash(users, k20)).shard, table_shard);
  EXPECT_EQ(keys->rows.at(change::RowKeyHash(users, k100)).shard, table_shard);
  const change::TableSchema t{"t", {"id", "v"}, {0}};
  const std::vector<Value> t20 = {int64_t{20}};
  EXPECT_EQ(keys->rows.at(change::RowKeyHash(t, t20)).shard,
            change::ShardOf(change::RowKeyHash(t, t20), 4));
  // Every value a pending change wrote into users is listed, intermediate ones included (the
  // row 7 that became 100), in log order; t's are not (no UNIQUE index besides its key).
  ASSERT_EQ(keys->tables.size(), 1u);
  EXPECT_EQ(keys->tables[0].name, "users");
  ASSERT_EQ(keys->upserts.size(), 41u);  // 40 inserts and the key change's new row
  EXPECT_TRUE(SameValue(keys->upserts[7].values[1], Value{Text{"u7"}}));
  EXPECT_EQ(keys->upserts[7].row_hash, change::RowKeyHash(users, std::vector<Value>{int64_t{7}}));
  EXPECT_TRUE(SameValue(keys->upserts[40].values[0], Value{int64_t{100}}));
  EXPECT_EQ(keys->upserts[40].shard, table_shard);
  EXPECT_LT(keys->upserts[7].log_seq, keys->upserts[40].log_seq);

  // A UNIQUE index made later reshapes t: its new changes go to its one shard.
  auto last = db_->QueryInt("SELECT max(seq) FROM __harmony_change_log");
  ASSERT_TRUE(last.ok());
  Exec(*db_, "CREATE UNIQUE INDEX t_v ON t(v, id)");
  sync = SyncCapture(*db_, {}, /*backfill=*/true);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  for (int i = 0; i < 40; ++i) Exec(*db_, "UPDATE t SET v = 1 WHERE id = " + std::to_string(i));
  const uint32_t t_shard = change::ShardOf(change::TableShardHash(t), 4);
  EXPECT_EQ(expect_one_shard("t", static_cast<uint64_t>(*last)), std::set<uint32_t>{t_shard});
}

TEST_F(ScannerTest, LargeBatchesAreSplitIntoPartsEndingWithLastPart) {
  Exec(*db_,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)"
       " INSERT INTO t SELECT i, i FROM n");
  auto out = Scan({.shards = 1, .max_changes_per_batch = 10});
  ASSERT_EQ(out.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].batch.part, i);
    EXPECT_EQ(out[i].batch.last_part, i == 2);
    EXPECT_EQ(out[i].batch.first_seq, 1u);
    EXPECT_EQ(out[i].batch.last_seq, 25u);
  }
  EXPECT_EQ(out[2].batch.changes.size(), 5u);
}

TEST_F(ScannerTest, PendingRowKeysCoverUnpublishedOldAndNewKeys) {
  Exec(*db_, "INSERT INTO t VALUES(1, 'a'); UPDATE t SET id = 2 WHERE id = 1");
  auto keys = PendingRowKeys(*db_, 1);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  Value one{int64_t{1}}, two{int64_t{2}}, three{int64_t{3}};
  const change::TableSchema t{"t", {"id", "v"}, {0}};
  EXPECT_EQ(keys->rows.at(change::RowKeyHash(t, std::span<const Value>(&one, 1))).log_seq, 2u);
  EXPECT_EQ(keys->rows.at(change::RowKeyHash(t, std::span<const Value>(&two, 1))).log_seq, 2u);
  EXPECT_FALSE(keys->rows.count(change::RowKeyHash(t, std::span<const Value>(&three, 1))));
}

// A short rendering of a change for comparisons: op letter and values.
std::string Render(const change::Change& c) {
  static constexpr const char* kOps[] = {"?",          "upsert",     "delete",    "insert_row",
                                         "delete_row", "ensure_row", "row_copies"};
  std::string out = kOps[static_cast<int>(c.op)];
  for (const Value& v : c.values) out += " " + DebugString(v);
  return out;
}

std::vector<std::string> RenderAll(const std::vector<Emitted>& out) {
  std::vector<std::string> all;
  for (const Emitted& e : out) {
    for (const auto& c : e.batch.changes) all.push_back(Render(c));
  }
  return all;
}

// Regression (#9): SQLite allows NULL in this key and every NULL-key row is distinct, so such
// rows travel with whole-row identity: an upsert ON CONFLICT(k) or a delete WHERE k IS NULL
// would merge or remove other NULL-key rows on the peers.
TEST_F(ScannerTest, RowsWhoseKeyHasNullTravelWithWholeRowIdentity) {
  Exec(*db_,
       "INSERT INTO z VALUES(NULL, 'a'); UPDATE z SET v = 'b' WHERE k IS NULL;"
       "DELETE FROM z WHERE k IS NULL");
  // Sent as states, counted when the log is read: no such row is left.
  EXPECT_EQ(RenderAll(Scan({.shards = 1})),
            (std::vector<std::string>{"row_copies NULL 'a' 0", "row_copies NULL 'a' 0",
                                      "row_copies NULL 'b' 0", "row_copies NULL 'b' 0"}));
}

TEST_F(ScannerTest, UpdatesBetweenAKeyAndNullMoveTheRowBetweenIdentities) {
  Exec(*db_, "INSERT INTO z VALUES('x', 'a'); UPDATE z SET k = NULL; UPDATE z SET k = 'y'");
  EXPECT_EQ(RenderAll(Scan({.shards = 1})),
            (std::vector<std::string>{"upsert 'x' 'a'", "delete 'x'", "row_copies NULL 'a' 0",
                                      "row_copies NULL 'a' 0", "upsert 'y' 'a'"}));
}

// The copies of a row are counted over the columns of the shape it was captured with: after a
// column is added, rows equal in the old columns but not in the new one are other rows.
TEST_F(ScannerTest, RowCopiesAreCountedOverTheColumnsOfTheirShape) {
  Scanner scanner(db_.get(), {.shards = 1});
  auto scan = [&](uint64_t after) {
    std::vector<Emitted> out;
    auto r = scanner.Scan(after, 0, [&](uint32_t shard, change::Batch&& b) {
      out.push_back({shard, std::move(b)});
      return Status::Ok();
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return RenderAll(out);
  };
  Exec(*db_, "INSERT INTO z VALUES(NULL, 1)");
  EXPECT_EQ(scan(0), (std::vector<std::string>{"row_copies NULL 1 1"}));
  Exec(*db_, "ALTER TABLE z ADD COLUMN w");
  auto sync = SyncCapture(*db_, {}, /*backfill=*/false);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  scanner.set_schema_version(sync->schema_version);
  auto last = db_->QueryInt("SELECT max(seq) FROM __harmony_change_log");
  ASSERT_TRUE(last.ok());
  Exec(*db_, "INSERT INTO z VALUES(NULL, 1, 'x')");
  EXPECT_EQ(scan(static_cast<uint64_t>(*last)),
            (std::vector<std::string>{"row_copies NULL 1 'x' 1"}));
}

// A backfill states that rows exist: a peer that has a NULL-key row already must not get a copy.
TEST_F(ScannerTest, BackfilledRowsWhoseKeyHasNullAreEnsuredNotInserted) {
  Exec(*db_,
       "CREATE TABLE late(k TEXT PRIMARY KEY, v); INSERT INTO late VALUES(NULL, 'x');"
       "INSERT INTO late VALUES('k', 'y')");
  auto sync = SyncCapture(*db_, {}, /*backfill=*/true);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  EXPECT_EQ(sync->backfilled_rows, 2u);
  EXPECT_EQ(RenderAll(Scan({.shards = 1})),
            (std::vector<std::string>{"row_copies NULL 'x' 1", "upsert 'k' 'y'"}));
}

// Regression (#9): 'A' -> 'a' keeps the row for NOCASE, and 1 -> 1.0 in an untyped key: one
// upsert (in the row's one shard), not a delete that could overtake it from another shard.
TEST_F(ScannerTest, KeyChangesSqliteSeesAsTheSameKeyAreOneUpsert) {
  Exec(*db_,
       "INSERT INTO n VALUES('A', 1); UPDATE n SET k = 'a';"
       "INSERT INTO z VALUES(1, 1); UPDATE z SET k = 1.0 WHERE k = 1;"
       "INSERT INTO u VALUES('A'); UPDATE u SET k = 'a'");
  EXPECT_EQ(RenderAll(Scan({.shards = 1})),
            (std::vector<std::string>{"upsert 'A' 1", "upsert 'a' 1", "upsert 1 1", "upsert 1 1",
                                      "upsert 'A'", "delete 'A'", "upsert 'a'"}));
  auto out = Scan({.shards = 4});
  for (const Emitted& e : out) {
    for (const auto& c : e.batch.changes) {
      EXPECT_EQ(change::ShardOf(change::ChangeRowHash(e.batch.tables[c.table], c), 4), e.shard);
    }
  }
}

TEST_F(ScannerTest, ScannedShapesCarryTheKeyCollation) {
  Exec(*db_, "INSERT INTO n VALUES('A', 1)");
  auto out = Scan({.shards = 1});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].batch.tables[0].pk_collations,
            (std::vector<change::Collation>{change::Collation::kNocase}));
}

// Regression (#9): the applier's protection of unpublished local changes finds the row under
// every spelling SQLite considers the same key; rows whose key has a NULL are protected by their
// content (the old row of a delete too).
TEST_F(ScannerTest, PendingRowKeysUseTheCanonicalKeyAndTheContentOfNullKeyRows) {
  Exec(*db_,
       "INSERT INTO n VALUES('Hello', 1); INSERT INTO z VALUES(NULL, 1);"
       "INSERT INTO z VALUES(2.0, 1); INSERT INTO z VALUES(NULL, 'gone');"
       "DELETE FROM z WHERE v = 'gone'");
  auto keys = PendingRowKeys(*db_, 1);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->rows.size(), 4u);
  const change::TableSchema z_shape{"z", {"k", "v"}, {0}};
  EXPECT_EQ(keys->rows.count(change::WholeRowHash(z_shape, std::vector<Value>{Null{}, int64_t{1}})),
            1u);
  EXPECT_EQ(
      keys->rows.count(change::WholeRowHash(z_shape, std::vector<Value>{Null{}, Text{"gone"}})),
      1u);
  const change::TableSchema n{"N", {"k", "v"}, {0}, {change::Collation::kNocase}};
  const change::TableSchema z{"z", {"k", "v"}, {0}};
  const std::vector<Value> hello = {Text{"hELLO"}};
  const std::vector<Value> two = {int64_t{2}};
  EXPECT_EQ(keys->rows.count(change::RowKeyHash(n, hello)), 1u);
  EXPECT_EQ(keys->rows.count(change::RowKeyHash(z, two)), 1u);
}

}  // namespace
}  // namespace harmony::capture

namespace harmony::capture {
namespace {

// Review of issue #10: changes of a table without a key captured before a column was dropped
// (the documented DROP COLUMN procedure) used to make every later scan fail with "no such
// column", so the node published nothing, for any table, ever again. Their copies are counted
// over the columns the table still has; a table gone entirely makes them unsendable, not fatal.
TEST_F(ScannerTest, KeylessChangesOfAnOlderShapeAreCountedOverTheColumnsLeft) {
  Exec(*db_, "CREATE TABLE k(a, b, c); CREATE TABLE gone(a, b)");
  auto sync = SyncCapture(*db_, {}, false);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  Exec(*db_, "INSERT INTO k VALUES(1, 2, 3), (1, 2, 4); INSERT INTO gone VALUES(5, 6)");
  int64_t k_tid = 0;
  for (const auto& t : sync->tracked) {
    if (t.schema.name == "k") k_tid = t.tid;
  }
  const std::string tid = std::to_string(k_tid);
  Exec(*db_, "BEGIN; DROP TRIGGER \"__harmony_" + tid + "_insert\"; DROP TRIGGER \"__harmony_" +
                 tid + "_update\"; DROP TRIGGER \"__harmony_" + tid +
                 "_delete\"; ALTER TABLE k DROP COLUMN c; DROP TABLE gone; COMMIT;");
  ASSERT_TRUE(SyncCapture(*db_, {}, false).ok());
  ScanResult result;
  auto out = Scan({.shards = 1}, 0, &result);
  EXPECT_EQ(result.unsendable, 1u);  // the row of the dropped table
  ASSERT_EQ(out.size(), 1u);
  const auto& changes = out[0].batch.changes;
  ASSERT_EQ(changes.size(), 2u);
  for (const auto& c : changes) {
    EXPECT_EQ(c.op, change::Op::kRowCopies);
    // (1, 2, *): both rows match on the columns that are left.
    EXPECT_TRUE(SameValue(c.values.back(), Value{int64_t{2}}));
  }
}

}  // namespace
}  // namespace harmony::capture
