#include "apply/applier.h"

#include <gtest/gtest.h>

#include "change/codec.h"
#include "change/shard.h"
#include "tests/support/temp_dir.h"

namespace harmony::apply {
namespace {

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/app.db";
    sqlite::OpenOptions options;
    options.create = true;
    auto db = sqlite::Database::Open(path_, options);
    ASSERT_TRUE(db.ok());
    app_ = std::make_unique<sqlite::Database>(std::move(db).value());
    ASSERT_TRUE(app_->Exec("CREATE TABLE \"my t\"(id INTEGER PRIMARY KEY, v);"
                           "CREATE TABLE audit(n);"
                           "CREATE TRIGGER app_trigger AFTER INSERT ON \"my t\" BEGIN"
                           " INSERT INTO audit VALUES(NEW.id); END;")
                    .ok());
  }

  std::unique_ptr<Applier> Open(PendingKeysFn pending = nullptr) {
    auto a = Applier::Open({.db_path = path_}, std::move(pending));
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(a).value() : nullptr;
  }

  static change::Batch Rows(std::vector<std::pair<int64_t, std::string>> rows, uint32_t part = 0,
                            bool last = true) {
    change::Batch b;
    b.node_id = 7;
    b.epoch = 1;
    b.first_seq = 1;
    b.last_seq = 10;
    b.part = part;
    b.last_part = last;
    b.tables.push_back({"my t", {"id", "v"}, {0}});
    for (auto& [id, v] : rows) b.changes.push_back({change::Op::kUpsert, 0, {id, Text{v}}});
    return b;
  }

  static Incoming Msg(uint64_t seq, const change::Batch& b, uint32_t shard = 1) {
    return {shard, seq, change::Encode(b, {.compress = (seq % 2) == 0})};
  }

  int64_t Count(const std::string& sql) {
    auto v = app_->QueryInt(sql);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  test::TempDir dir_;
  std::string path_;
  std::unique_ptr<sqlite::Database> app_;
};

TEST_F(ApplierTest, AppliesInOrderRecordsPositionAndFiresNoAppTrigger) {
  auto applier = Open();
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, Rows({{1, "a"}, {2, "b"}})));
  msgs.push_back(Msg(2, Rows({{1, "c"}})));
  ASSERT_TRUE(applier->Apply(std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 1 AND v = 'c'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit"), 0);
  EXPECT_EQ(applier->Position(1), 2u);
  EXPECT_EQ(Count("SELECT stream_seq FROM __harmony_apply_position WHERE shard = 1"), 2);

  // A re-delivery of an applied message changes nothing.
  std::vector<Incoming> again;
  again.push_back(Msg(1, Rows({{1, "old"}})));
  ASSERT_TRUE(applier->Apply(std::move(again)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 1 AND v = 'c'"), 1);

  // Positions survive reopening.
  applier.reset();
  EXPECT_EQ(Open()->Position(1), 2u);
}

TEST_F(ApplierTest, MultiPartBatchIsInvisibleUntilItsLastPart) {
  auto applier = Open();
  std::vector<Incoming> first;
  first.push_back(Msg(1, Rows({{1, "a"}}, 0, false)));
  ASSERT_TRUE(applier->Apply(std::move(first)).ok());
  EXPECT_TRUE(applier->HasOpenBatch());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);
  std::vector<Incoming> second;
  second.push_back(Msg(2, Rows({{2, "b"}}, 1, true)));
  ASSERT_TRUE(applier->Apply(std::move(second)).ok());
  EXPECT_FALSE(applier->HasOpenBatch());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 2);
}

TEST_F(ApplierTest, DeleteAndKeyChangeAreApplied) {
  auto applier = Open();
  change::Batch b = Rows({{1, "a"}, {2, "b"}});
  b.changes.push_back({change::Op::kDelete, 0, {int64_t{1}}});
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, b));
  ASSERT_TRUE(applier->Apply(std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT group_concat(id) FROM \"my t\""), 2);
}

TEST_F(ApplierTest, UndecodableMessageIsSetAsideNotLost) {
  auto applier = Open();
  std::vector<Incoming> msgs;
  msgs.push_back({1, 1, std::string("\x09garbage", 8)});
  msgs.push_back(Msg(2, Rows({{5, "ok"}})));
  ASSERT_TRUE(applier->Apply(std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_dead_letters WHERE stream_seq = 1"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 5"), 1);
  EXPECT_EQ(applier->stats().dead_letters.load(), 1u);
}

TEST_F(ApplierTest, FailureRollsBackAndTheRetrySucceedsOnceTheCauseIsGone) {
  auto applier = Open();
  change::Batch b;
  b.tables.push_back({"later", {"id"}, {0}});
  b.changes.push_back({change::Op::kUpsert, 0, {int64_t{1}}});
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, Rows({{1, "a"}})));
  msgs.push_back(Msg(2, b));
  Status s = applier->Apply(std::move(msgs));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("later"), std::string::npos) << s.message();
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);  // rolled back as a whole
  EXPECT_EQ(applier->Position(1), 0u);

  ASSERT_TRUE(app_->Exec("CREATE TABLE later(id INTEGER PRIMARY KEY)").ok());
  ASSERT_TRUE(applier->Apply({}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM later"), 1);
  EXPECT_EQ(applier->Position(1), 2u);
}

TEST_F(ApplierTest, RowsWithPendingLocalChangesAreNotOverwritten) {
  Value one{int64_t{1}};
  const uint64_t key = change::RowKeyHash("my t", std::span<const Value>(&one, 1));
  auto applier = Open([key](sqlite::Database&) -> Result<std::unordered_set<uint64_t>> {
    return std::unordered_set<uint64_t>{key};
  });
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, Rows({{1, "remote"}, {2, "remote"}})));
  ASSERT_TRUE(applier->Apply(std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 1);
  EXPECT_EQ(applier->stats().skipped_pending.load(), 1u);
}

}  // namespace
}  // namespace harmony::apply
