#include "apply/row_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace harmony::apply {
namespace {

class RowWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite::OpenOptions options;
    options.create = true;
    auto db = sqlite::Database::Open(dir_.path() + "/app.db", options);
    ASSERT_TRUE(db.ok());
    db_ = std::make_unique<sqlite::Database>(std::move(db).value());
    ASSERT_TRUE(db_->Exec("CREATE TABLE n(k TEXT COLLATE NOCASE PRIMARY KEY, v);"
                          "CREATE TABLE r(k TEXT COLLATE RTRIM PRIMARY KEY, v);"
                          "CREATE TABLE u(k PRIMARY KEY, v);"
                          "CREATE TABLE i(k INTEGER PRIMARY KEY, v);"
                          "CREATE TABLE z(k TEXT PRIMARY KEY, v, rowid)")
                    .ok());
    writer_ = std::make_unique<RowWriter>(db_.get());
    ASSERT_TRUE(writer_->RefreshSchema().ok());
  }

  void Apply(const change::TableSchema& t, change::Op op, std::vector<Value> values) {
    Status s = writer_->Apply(t, {op, 0, std::move(values)});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Every row of `table` as "k|v" with each value's storage class, sorted.
  std::string Rows(const std::string& table) {
    auto q = db_->Prepare(
        "SELECT group_concat(r, ' ') FROM (SELECT typeof(k) || ':' || "
        "coalesce(k, '') || '|' || typeof(v) || ':' || coalesce(v, '') AS r FROM " +
        table + " ORDER BY r)");
    EXPECT_TRUE(q.ok());
    auto row = q->Step();
    EXPECT_TRUE(row.ok() && *row);
    return q->ColumnIsNull(0) ? "" : q->ColumnText(0);
  }

  test::TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<RowWriter> writer_;
};

using change::Collation;
using change::Op;

// Regression (#9): for a NOCASE or RTRIM key, or an untyped key (1 = 1.0), the upsert of an
// equal key updates the row and takes the last writer's spelling of the key, so every node ends
// with the same bytes whichever spelling it had.
TEST_F(RowWriterTest, UpsertOfAnEqualKeyTakesTheLastWritersSpelling) {
  const change::TableSchema n{"n", {"k", "v"}, {0}, {Collation::kNocase}};
  Apply(n, Op::kUpsert, {Text{"A"}, int64_t{1}});
  Apply(n, Op::kUpsert, {Text{"a"}, int64_t{2}});
  EXPECT_EQ(Rows("n"), "text:a|integer:2");

  const change::TableSchema r{"r", {"k", "v"}, {0}, {Collation::kRtrim}};
  Apply(r, Op::kUpsert, {Text{"x"}, int64_t{1}});
  Apply(r, Op::kUpsert, {Text{"x  "}, int64_t{2}});
  EXPECT_EQ(Rows("r"), "text:x  |integer:2");

  const change::TableSchema u{"u", {"k", "v"}, {0}};
  Apply(u, Op::kUpsert, {int64_t{1}, int64_t{1}});
  Apply(u, Op::kUpsert, {1.0, int64_t{2}});
  EXPECT_EQ(Rows("u"), "real:1.0|integer:2");

  const change::TableSchema i{"i", {"k", "v"}, {0}};
  Apply(i, Op::kUpsert, {int64_t{1}, int64_t{1}});
  Apply(i, Op::kUpsert, {int64_t{1}, int64_t{2}});
  EXPECT_EQ(Rows("i"), "integer:1|integer:2");
}

// Regression (#9): rows whose key has a NULL are distinct for SQLite; they are added and removed
// by their whole content, never by `k IS NULL` (which would match all of them).
TEST_F(RowWriterTest, WholeRowOpsAddAndRemoveOneIdenticalRow) {
  // z has a column named "rowid": the real rowid is reached under another name.
  const change::TableSchema z{"z", {"k", "v", "rowid"}, {0}};
  Apply(z, Op::kInsertRow, {Null{}, Text{"a"}, Null{}});
  Apply(z, Op::kInsertRow, {Null{}, Text{"a"}, Null{}});  // a second, identical row
  Apply(z, Op::kInsertRow, {Null{}, Text{"A"}, Null{}});
  Apply(z, Op::kInsertRow, {Null{}, int64_t{1}, Null{}});
  Apply(z, Op::kInsertRow, {Null{}, 1.0, Null{}});
  EXPECT_EQ(Rows("z"), "null:|integer:1 null:|real:1.0 null:|text:A null:|text:a null:|text:a");

  Apply(z, Op::kDeleteRow, {Null{}, Text{"a"}, Null{}});
  Apply(z, Op::kDeleteRow, {Null{}, 1.0, Null{}});
  Apply(z, Op::kDeleteRow, {Null{}, Text{"gone"}, Null{}});  // no such row: fine
  EXPECT_EQ(Rows("z"), "null:|integer:1 null:|text:A null:|text:a");
}

// A backfill says the row exists: applying it where the row is already present adds nothing.
TEST_F(RowWriterTest, EnsureRowAddsARowOnlyWhereNoIdenticalOneExists) {
  const change::TableSchema z{"z", {"k", "v", "rowid"}, {0}};
  Apply(z, Op::kEnsureRow, {Null{}, Text{"a"}, Null{}});
  Apply(z, Op::kEnsureRow, {Null{}, Text{"a"}, Null{}});
  Apply(z, Op::kEnsureRow, {Null{}, Text{"A"}, Null{}});
  EXPECT_EQ(Rows("z"), "null:|text:A null:|text:a");
}

TEST_F(RowWriterTest, DeleteRowRemovesOnlyOneOfSeveralIdenticalRows) {
  ASSERT_TRUE(db_->Exec("INSERT INTO z VALUES(NULL, 'd', NULL), (NULL, 'd', NULL)").ok());
  const change::TableSchema z{"z", {"k", "v", "rowid"}, {0}};
  Apply(z, Op::kDeleteRow, {Null{}, Text{"d"}, Null{}});
  EXPECT_EQ(Rows("z"), "null:|text:d");
}

// kRowCopies states how many identical rows there are: copies are added or removed to match, and
// applying it twice changes nothing (issue #9 item 1).
TEST_F(RowWriterTest, RowCopiesMakeTheNumberOfIdenticalRowsExact) {
  const change::TableSchema z{"z", {"k", "v", "rowid"}, {0}};
  ASSERT_TRUE(db_->Exec("INSERT INTO z VALUES(NULL, 'A', NULL), (NULL, 1.0, NULL)").ok());
  Apply(z, Op::kRowCopies, {Null{}, Text{"a"}, Null{}, int64_t{3}});
  Apply(z, Op::kRowCopies, {Null{}, Text{"a"}, Null{}, int64_t{3}});
  Apply(z, Op::kRowCopies, {Null{}, int64_t{1}, Null{}, int64_t{1}});
  EXPECT_EQ(Rows("z"),
            "null:|integer:1 null:|real:1.0 null:|text:A null:|text:a null:|text:a null:|text:a");
  Apply(z, Op::kRowCopies, {Null{}, Text{"a"}, Null{}, int64_t{1}});
  Apply(z, Op::kRowCopies, {Null{}, 1.0, Null{}, int64_t{0}});
  Apply(z, Op::kRowCopies, {Null{}, Text{"gone"}, Null{}, int64_t{0}});
  EXPECT_EQ(Rows("z"), "null:|integer:1 null:|text:A null:|text:a");
  // A malformed count is refused for good (the change is set aside, not retried).
  Status s = writer_->Apply(z, {Op::kRowCopies, 0, {Null{}, Text{"a"}, Null{}, Text{"2"}}});
  EXPECT_EQ(s.code(), Status::Code::kRejected) << s.ToString();
}

// Issue #10 item 4: SQLite takes "ID" and "id" for one column, and "U" for table u; a sender
// spelling them so is compatible, never held as "no such column".
TEST_F(RowWriterTest, ColumnAndTableNamesMatchAsSqliteMatchesIdentifiers) {
  const change::TableSchema upper{"U", {"K", "V"}, {0}};
  auto why = writer_->Incompatibility(upper);
  ASSERT_TRUE(why.ok());
  EXPECT_EQ(*why, std::nullopt);
  Apply(upper, Op::kUpsert, {int64_t{1}, Text{"x"}});
  EXPECT_EQ(Rows("u"), "integer:1|text:x");
  // Only ASCII letters fold: "\xc3\x89" (E acute) is another column than "\xc3\xa9".
  ASSERT_TRUE(db_->Exec("CREATE TABLE acc(k PRIMARY KEY, \"\xc3\xa9\")").ok());
  ASSERT_TRUE(writer_->RefreshSchema().ok());
  why = writer_->Incompatibility({"acc", {"k", "\xc3\x89"}, {0}});
  ASSERT_TRUE(why.ok());
  EXPECT_NE(*why, std::nullopt);
}

}  // namespace
}  // namespace harmony::apply
