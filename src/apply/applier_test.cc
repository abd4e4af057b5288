#include "apply/applier.h"

#include <gtest/gtest.h>

#include "apply/dead_letter_retry.h"
#include "change/codec.h"
#include "change/fragment.h"
#include "change/shard.h"
#include "state/dead_letters.h"
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
    return {shard, seq, change::Encode(b, {.compress = (seq % 2) == 0}), std::nullopt};
  }

  // Apply takes the messages by reference (it caches their decoding); tests hand over temporaries.
  static Status ApplyAll(Applier& applier, std::vector<Incoming> messages) {
    return applier.Apply(messages);
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
  ASSERT_TRUE(ApplyAll(*applier, std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 1 AND v = 'c'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit"), 0);
  EXPECT_EQ(applier->Position(1), 2u);
  EXPECT_EQ(Count("SELECT stream_seq FROM __harmony_apply_position WHERE shard = 1"), 2);

  // A re-delivery of an applied message changes nothing.
  std::vector<Incoming> again;
  again.push_back(Msg(1, Rows({{1, "old"}})));
  ASSERT_TRUE(ApplyAll(*applier, std::move(again)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 1 AND v = 'c'"), 1);

  // Positions survive reopening.
  applier.reset();
  EXPECT_EQ(Open()->Position(1), 2u);
}

TEST_F(ApplierTest, MultiPartBatchIsInvisibleUntilItsLastPart) {
  auto applier = Open();
  std::vector<Incoming> first;
  first.push_back(Msg(1, Rows({{1, "a"}}, 0, false)));
  ASSERT_TRUE(ApplyAll(*applier, std::move(first)).ok());
  EXPECT_EQ(applier->stats().partial.load(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);
  // No transaction stays open while the rest is awaited: the app can write meanwhile.
  ASSERT_TRUE(app_->Exec("BEGIN IMMEDIATE; INSERT INTO audit VALUES(1); COMMIT").ok());
  // And the part waits in the database, so a restart loses nothing.
  applier.reset();
  applier = Open();
  EXPECT_EQ(applier->stats().partial.load(), 1u);
  std::vector<Incoming> second;
  second.push_back(Msg(2, Rows({{2, "b"}}, 1, true)));
  ASSERT_TRUE(ApplyAll(*applier, std::move(second)).ok());
  EXPECT_EQ(applier->stats().partial.load(), 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_partial"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 2);
}

TEST_F(ApplierTest, DeleteAndKeyChangeAreApplied) {
  auto applier = Open();
  change::Batch b = Rows({{1, "a"}, {2, "b"}});
  b.changes.push_back({change::Op::kDelete, 0, {int64_t{1}}});
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, b));
  ASSERT_TRUE(ApplyAll(*applier, std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT group_concat(id) FROM \"my t\""), 2);
}

TEST_F(ApplierTest, UndecodableMessageIsSetAsideNotLost) {
  auto applier = Open();
  std::vector<Incoming> msgs;
  msgs.push_back({1, 1, std::string("\x09garbage", 8), std::nullopt});
  msgs.push_back(Msg(2, Rows({{5, "ok"}})));
  ASSERT_TRUE(ApplyAll(*applier, std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_dead_letters WHERE stream_seq = 1"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 5"), 1);
  EXPECT_EQ(applier->stats().dead_letters.load(), 1u);
}

TEST_F(ApplierTest, ChangesForAMissingTableOrColumnAreHeldThenLandInOrder) {
  auto applier = Open();
  change::Batch later;
  later.node_id = 3;
  later.tables.push_back({"later", {"id", "v"}, {0}});
  later.changes.push_back({change::Op::kUpsert, 0, {int64_t{1}, Text{"first"}}});
  later.changes.push_back({change::Op::kUpsert, 0, {int64_t{2}, Text{"x"}}});
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, Rows({{1, "a"}})));
  msgs.push_back(Msg(2, later));
  ASSERT_TRUE(ApplyAll(*applier, std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 1);  // other tables go on
  EXPECT_EQ(applier->Position(1), 2u);
  EXPECT_EQ(applier->stats().held.load(), 2u);
  EXPECT_EQ(applier->stats().paused_tables.load(), 1u);

  // Later changes to a held table are held behind the earlier ones, even once the table exists
  // with too few columns.
  ASSERT_TRUE(app_->Exec("CREATE TABLE later(id INTEGER PRIMARY KEY)").ok());
  change::Batch more = later;
  more.changes = {{change::Op::kUpsert, 0, {int64_t{1}, Text{"second"}}},
                  {change::Op::kDelete, 0, {int64_t{2}}}};
  std::vector<Incoming> next;
  next.push_back(Msg(3, more));
  ASSERT_TRUE(ApplyAll(*applier, std::move(next)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM later"), 0);

  ASSERT_TRUE(app_->Exec("ALTER TABLE later ADD COLUMN v").ok());
  ASSERT_TRUE(ApplyAll(*applier, {}).ok());  // the next transaction notices the schema change
  ASSERT_TRUE(ApplyAll(*applier, std::vector<Incoming>{Msg(4, Rows({{9, "z"}}))}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM later"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM later WHERE id = 1 AND v = 'second'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_held"), 0);
  EXPECT_EQ(applier->stats().released.load(), 4u);
  EXPECT_EQ(applier->stats().paused_tables.load(), 0u);
}

TEST_F(ApplierTest, FailureRollsBackAndTheRetrySucceedsOnceTheCauseIsGone) {
  auto a = Applier::Open({.db_path = path_, .busy_timeout_ms = 50}, nullptr);
  ASSERT_TRUE(a.ok());
  auto& applier = *a;
  ASSERT_TRUE(app_->Exec("BEGIN IMMEDIATE; INSERT INTO audit VALUES(0)").ok());  // holds the lock
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, Rows({{1, "a"}})));
  msgs.push_back(Msg(2, Rows({{2, "b"}})));
  Status s = applier->Apply(msgs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_EQ(applier->Position(1), 0u);

  ASSERT_TRUE(app_->Exec("COMMIT").ok());
  ASSERT_TRUE(applier->Apply(msgs).ok());  // the caller retries the same messages
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 2);
  EXPECT_EQ(applier->Position(1), 2u);
}

TEST_F(ApplierTest, UpsertKeepsColumnsTheSenderDoesNotKnow) {
  ASSERT_TRUE(app_->Exec("ALTER TABLE \"my t\" ADD COLUMN extra; "
                         "INSERT INTO \"my t\" VALUES(1, 'old', 'mine')")
                  .ok());
  auto applier = Open();
  ASSERT_TRUE(ApplyAll(*applier, std::vector<Incoming>{Msg(1, Rows({{1, "new"}}))}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE v = 'new' AND extra = 'mine'"), 1);
}

TEST_F(ApplierTest, OwnMessageEndsTheProtectionOfItsPendingRows) {
  Value one{int64_t{1}};
  const uint64_t key = change::RowKeyHash(change::TableSchema{"my t", {"id", "v"}, {0}},
                                          std::span<const Value>(&one, 1));
  // Row 1 was changed locally at change-log seq 5, published (message 1 below) but the publish
  // progress is not recorded yet, so it still looks pending.
  auto applier = Open([key](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    return PendingKeys{.rows = {{key, {5, 1}}}};
  });
  change::Batch own = Rows({{1, "mine"}});
  own.node_id = 42;
  own.last_seq = 5;
  change::Batch remote = Rows({{1, "later remote"}});
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, own));
  msgs.push_back(Msg(2, remote));
  // Without knowing its node id the applier must protect row 1 from both...
  ASSERT_TRUE(ApplyAll(*applier, std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);
  applier.reset();
  ASSERT_TRUE(app_->Exec("DELETE FROM __harmony_apply_position").ok());
  // ...but knowing it, the remote change that follows its own message wins, as on every node.
  auto a = Applier::Open({.db_path = path_, .node_id = 42},
                         [key](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
                           return PendingKeys{.rows = {{key, {5, 1}}}};
                         });
  ASSERT_TRUE(a.ok());
  std::vector<Incoming> again;
  again.push_back(Msg(1, own));
  again.push_back(Msg(2, remote));
  ASSERT_TRUE(ApplyAll(**a, std::move(again)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE v = 'later remote'"), 1);
}

TEST_F(ApplierTest, RowsWithPendingLocalChangesAreNotOverwritten) {
  Value one{int64_t{1}};
  const uint64_t key = change::RowKeyHash(change::TableSchema{"my t", {"id", "v"}, {0}},
                                          std::span<const Value>(&one, 1));
  auto applier = Open([key](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    return PendingKeys{.rows = {{key, {5, 1}}}};
  });
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, Rows({{1, "remote"}, {2, "remote"}})));
  ASSERT_TRUE(ApplyAll(*applier, std::move(msgs)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 1);
  EXPECT_EQ(applier->stats().skipped_pending.load(), 1u);
}

TEST_F(ApplierTest, OwnMessagesOfThisEpochAreSkippedWithoutATransaction) {
  OwnProgress progress;
  auto a = Applier::Open({.db_path = path_,
                          .node_id = 42,
                          .busy_timeout_ms = 50,
                          .epoch = 9,
                          .own_progress = &progress},
                         nullptr);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  change::Batch own = Rows({{1, "mine"}, {2, "mine"}});
  own.node_id = 42;
  own.epoch = 9;
  own.last_seq = 12;
  // The app holds the write lock: an apply transaction could not even begin.
  ASSERT_TRUE(app_->Exec("BEGIN IMMEDIATE").ok());
  std::vector<Incoming> msgs;
  msgs.push_back(Msg(1, own));
  msgs.push_back(Msg(2, own));
  ASSERT_TRUE(ApplyAll(**a, std::move(msgs)).ok());
  EXPECT_EQ((*a)->stats().own_skipped.load(), 2u);
  EXPECT_FALSE((*a)->Flush().ok());  // storing the positions does need the lock
  ASSERT_TRUE(app_->Exec("ROLLBACK").ok());
  ASSERT_TRUE((*a)->Flush().ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);  // nothing written
  EXPECT_EQ(Count("SELECT stream_seq * 100 + own_seq FROM __harmony_apply_position"), 212);
  EXPECT_EQ((*a)->Position(1), 2u);
}

TEST_F(ApplierTest, OwnMessagesOfAnEarlierEpochAreApplied) {
  // Same node id, but the database was replaced since (new change-log epoch): its old changes
  // are not here and must be applied like anyone's.
  OwnProgress progress;
  auto a = Applier::Open({.db_path = path_, .node_id = 42, .epoch = 9, .own_progress = &progress},
                         nullptr);
  ASSERT_TRUE(a.ok());
  change::Batch old = Rows({{1, "from before"}});
  old.node_id = 42;
  old.epoch = 8;
  ASSERT_TRUE(ApplyAll(**a, std::vector<Incoming>{Msg(1, old)}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE v = 'from before'"), 1);
  EXPECT_EQ((*a)->stats().own_skipped.load(), 0u);
}

TEST_F(ApplierTest, LocalChangeIsProtectedUntilItsOwnMessageIsPassed) {
  Value one{int64_t{1}};
  const uint64_t key = change::RowKeyHash(change::TableSchema{"my t", {"id", "v"}, {0}},
                                          std::span<const Value>(&one, 1));
  OwnProgress progress;
  // Row 1 changed locally at change-log seq 5; that round was acked at stream seq 2.
  progress.Published(5, {{1, 2}});
  std::vector<std::optional<uint64_t>> asked;
  auto a =
      Applier::Open({.db_path = path_, .node_id = 42, .epoch = 9, .own_progress = &progress},
                    [&](sqlite::Database&, std::optional<uint64_t> after) -> Result<PendingKeys> {
                      asked.push_back(after);
                      return after && *after >= 5 ? PendingKeys{} : PendingKeys{.rows = {{key, {5, 1}}}};
                    });
  ASSERT_TRUE(a.ok());
  change::Batch own = Rows({{1, "mine"}});
  own.node_id = 42;
  own.epoch = 9;
  own.last_seq = 5;
  // A remote change stored before our message: older, skipped although already acked.
  ASSERT_TRUE(ApplyAll(**a, std::vector<Incoming>{Msg(1, Rows({{1, "older remote"}}))}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);
  // Our own message passes; the remote change after it wins, as on every other node.
  ASSERT_TRUE(ApplyAll(**a, std::vector<Incoming>{Msg(2, own)}).ok());
  EXPECT_EQ(progress.seen(), 5u);
  ASSERT_TRUE(ApplyAll(**a, std::vector<Incoming>{Msg(3, Rows({{1, "newer remote"}}))}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE v = 'newer remote'"), 1);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], std::optional<uint64_t>(0));
  EXPECT_EQ(asked[1], std::optional<uint64_t>(5));
}

TEST_F(ApplierTest, ChangeRefusedForGoodIsSetAsideAndTheShardMovesOn) {
  // A CHECK only this node has: the row can never be applied here.
  ASSERT_TRUE(app_->Exec("CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER CHECK (v < 10))").ok());
  auto applier = Open();
  change::Batch b;
  b.node_id = 7;
  b.tables.push_back({"c", {"id", "v"}, {0}});
  b.changes.push_back({change::Op::kUpsert, 0, {int64_t{1}, int64_t{5}}});
  b.changes.push_back({change::Op::kUpsert, 0, {int64_t{2}, int64_t{50}}});  // refused
  b.changes.push_back({change::Op::kUpsert, 0, {int64_t{3}, int64_t{7}}});
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, b), Msg(2, Rows({{1, "next"}}))}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM c"), 13);
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 1);
  EXPECT_EQ(applier->Position(1), 2u);
  EXPECT_EQ(applier->stats().dead_letters.load(), 1u);
  auto listed = state::ListDeadLetters(*app_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].kind, "change");
  EXPECT_EQ((*listed)[0].table, "c");
  EXPECT_EQ((*listed)[0].origin, 7u);
  EXPECT_NE((*listed)[0].error.find("CHECK constraint failed"), std::string::npos);

  // Once the cause is fixed the operator applies it again.
  applier.reset();
  ASSERT_TRUE(app_->Exec("DROP TABLE c; CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER)").ok());
  auto report = RetryDeadLetters(path_, {}, 1000, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->applied, 1);
  EXPECT_EQ(Count("SELECT v FROM c WHERE id = 2"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_dead_letters"), 0);
}

TEST_F(ApplierTest, SetAsideChangeIsSupersededByALaterChangeToItsRow) {
  ASSERT_TRUE(app_->Exec("CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER CHECK (v < 10))").ok());
  auto applier = Open();
  change::Batch refused;
  refused.node_id = 7;
  refused.tables.push_back({"c", {"id", "v"}, {0}});
  refused.changes.push_back({change::Op::kUpsert, 0, {int64_t{2}, int64_t{50}}});
  change::Batch later = refused;
  later.changes[0].values[1] = int64_t{3};
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, refused)}).ok());
  ASSERT_TRUE(ApplyAll(*applier, {Msg(2, later)}).ok());
  applier.reset();
  ASSERT_TRUE(app_->Exec("DROP TABLE c; CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER)").ok());
  ASSERT_TRUE(app_->Exec("INSERT INTO c VALUES(2, 3)").ok());
  auto report = RetryDeadLetters(path_, {}, 1000, nullptr);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->superseded, 1);
  EXPECT_EQ(report->applied, 0);
  EXPECT_EQ(Count("SELECT v FROM c WHERE id = 2"), 3);  // never rolled back to 50
}

// A local change of the row made after the change was set aside comes later in the stream on
// every node: retrying must not roll it back. Published, it supersedes the entry
// (state::SupersedeDeadLetters, called by the publish loop); not yet published, the retry itself
// sees it (`pending`) and supersedes the entry.
TEST_F(ApplierTest, RetryLeavesAloneASetAsideChangeWhoseRowChangedLocallySince) {
  ASSERT_TRUE(app_->Exec("CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER CHECK (v < 10))").ok());
  auto applier = Open();
  change::Batch refused;
  refused.node_id = 7;
  const change::TableSchema c{"c", {"id", "v"}, {0}};
  refused.tables.push_back(c);
  refused.changes.push_back({change::Op::kUpsert, 0, {int64_t{2}, int64_t{50}}});
  refused.changes.push_back({change::Op::kUpsert, 0, {int64_t{4}, int64_t{40}}});
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, refused)}).ok());
  applier.reset();
  ASSERT_TRUE(app_->Exec("DROP TABLE c; CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER);"
                         "INSERT INTO c VALUES(2, 3), (4, 4)")
                  .ok());
  const uint64_t row2 = change::RowKeyHash(c, std::vector<Value>{int64_t{2}});
  const uint64_t row4 = change::RowKeyHash(c, std::vector<Value>{int64_t{4}});
  ASSERT_TRUE(state::SupersedeDeadLetters(*app_, {row4}).ok());  // row 4's change published
  auto report = RetryDeadLetters(path_, {}, 1000, [&](sqlite::Database&) {
    change::PendingChanges local;
    local.rows[row2] = {9, 1};  // row 2's change not yet published
    return Result<change::PendingChanges>(local);
  });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->superseded, 2);
  EXPECT_EQ(report->applied, 0);
  EXPECT_EQ(Count("SELECT group_concat(v, '') FROM c ORDER BY id"), 34);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_dead_letters WHERE status = 'superseded'"), 2);
}

TEST_F(ApplierTest, AFailedApplyTakesInNothingAndNothingLaterCanJumpAheadOfIt) {
  // Issue #9 item 4: while the messages of a failed apply wait for their retry, a later message
  // (here an own one, which needs no transaction) must not move the position past them.
  OwnProgress progress;
  auto a = Applier::Open({.db_path = path_,
                          .node_id = 42,
                          .busy_timeout_ms = 50,
                          .epoch = 9,
                          .own_progress = &progress},
                         nullptr);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(app_->Exec("BEGIN IMMEDIATE; INSERT INTO audit VALUES(0)").ok());
  std::vector<Incoming> remote{Msg(1, Rows({{1, "a"}})), Msg(2, Rows({{2, "b"}}))};
  ASSERT_EQ((*a)->Apply(remote).code(), Status::Code::kUnavailable);
  change::Batch own = Rows({{3, "mine"}});
  own.node_id = 42;
  own.epoch = 9;
  Status jumped = ApplyAll(**a, {Msg(3, own)});
  EXPECT_EQ(jumped.code(), Status::Code::kNotFound) << jumped.ToString();
  EXPECT_EQ((*a)->Position(1), 0u);
  ASSERT_TRUE(app_->Exec("COMMIT").ok());
  ASSERT_TRUE((*a)->Apply(remote).ok());
  ASSERT_TRUE(ApplyAll(**a, {Msg(3, own)}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM \"my t\""), 12);
  EXPECT_EQ((*a)->Position(1), 3u);
}

TEST_F(ApplierTest, AMessageAfterAStreamGapIsNeverApplied) {
  auto applier = Open();
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, Rows({{1, "a"}}))}).ok());
  Status s = ApplyAll(*applier, {Msg(5, Rows({{2, "b"}}))});
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find("messages 2 to 4 were dropped"), std::string::npos) << s.message();
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\" WHERE id = 2"), 0);
  EXPECT_EQ(applier->Position(1), 1u);
}

TEST_F(ApplierTest, FragmentsWaitInTheDatabaseNotInAnOpenTransaction) {
  auto applier = Open();
  change::Batch big = Rows({{1, std::string(5000, 'x')}});
  const std::string encoded = change::Encode(big, {});
  std::vector<std::string> pieces = change::Fragment(encoded, 1024, 7);
  ASSERT_GE(pieces.size(), 3u);
  uint64_t seq = 0;
  ASSERT_TRUE(ApplyAll(*applier, {Incoming{1, ++seq, pieces[0], std::nullopt}}).ok());
  // The app writes while the rest is awaited: no write lock is held.
  ASSERT_TRUE(app_->Exec("BEGIN IMMEDIATE; INSERT INTO audit VALUES(1); COMMIT").ok());
  // The sender is killed and restarts: JetStream's duplicate window drops the fragments it sends
  // again that were stored already, so the rest continues what this node kept, even across a
  // restart of this node.
  applier.reset();
  applier = Open();
  for (size_t i = 1; i < pieces.size(); ++i) {
    ASSERT_TRUE(ApplyAll(*applier, {Incoming{1, ++seq, pieces[i], std::nullopt}}).ok());
  }
  EXPECT_EQ(Count("SELECT length(v) FROM \"my t\" WHERE id = 1"), 5000);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_partial"), 0);

  // Past the duplicate window the sender's fragments all come again: fragment 0 restarts.
  change::Batch big2 = Rows({{2, std::string(5000, 'y')}});
  std::vector<std::string> again = change::Fragment(change::Encode(big2, {}), 1024, 7);
  ASSERT_TRUE(ApplyAll(*applier, {Incoming{1, ++seq, again[0], std::nullopt},
                                  Incoming{1, ++seq, again[1], std::nullopt}})
                  .ok());
  for (size_t i = 0; i < again.size(); ++i) {
    ASSERT_TRUE(ApplyAll(*applier, {Incoming{1, ++seq, again[i], std::nullopt}}).ok());
  }
  EXPECT_EQ(Count("SELECT length(v) FROM \"my t\" WHERE id = 2"), 5000);
  EXPECT_EQ(applier->stats().dead_letters.load(), 0u);
}

TEST_F(ApplierTest, UniqueCollisionWithAProtectedLocalRowLosesAndIsRecorded) {
  ASSERT_TRUE(app_->Exec("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
                         "INSERT INTO users VALUES(2, 'a@x')")
                  .ok());
  change::TableSchema users{"users", {"id", "email"}, {0}};
  Value two{int64_t{2}};
  const uint64_t key = change::RowKeyHash(users, std::span<const Value>(&two, 1));
  // Row 2 is a local insert not yet in the stream: it comes later, so it wins.
  auto applier = Open([key](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    return PendingKeys{.rows = {{key, {5, 1}}}};
  });
  change::Batch remote;
  remote.node_id = 7;
  remote.tables.push_back(users);
  remote.changes.push_back({change::Op::kUpsert, 0, {int64_t{1}, Text{"a@x"}}});
  remote.changes.push_back({change::Op::kUpsert, 0, {int64_t{3}, Text{"b@x"}}});
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, remote)}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM users ORDER BY id"), 23);
  EXPECT_EQ(applier->stats().unique_conflicts.load(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_conflicts WHERE kind = 'unique' AND "
                  "losing_origin = 7 AND json_extract(losing_values, '$[1]') = 'a@x'"),
            1);

  // Without protection the later change replaces the colliding row, as INSERT OR REPLACE would.
  applier.reset();
  applier = Open();
  change::Batch later = remote;
  later.changes.resize(1);
  ASSERT_TRUE(ApplyAll(*applier, {Msg(2, later)}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM users ORDER BY id"), 13);
}

TEST_F(ApplierTest, PartsStoredOutOfOrderByARetriedPublishStillMakeTheirBatch) {
  // A publish retried after a lost connection can store p0, p2, then p1 (JetStream drops the
  // duplicates of p0 and p2): the batch is whole once every part is here.
  auto applier = Open();
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, Rows({{1, "a"}}, 0, false)),
                                  Msg(2, Rows({{3, "c"}}, 2, true))})
                  .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM \"my t\""), 0);
  ASSERT_TRUE(ApplyAll(*applier, {Msg(3, Rows({{2, "b"}}, 1, false))}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM \"my t\""), 123);
  EXPECT_EQ(applier->stats().dead_letters.load(), 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_partial"), 0);
}

TEST_F(ApplierTest, AnUpdateThatLosesAUniqueCollisionRemovesItsRowAsEverywhereElse) {
  // Row 2 exists everywhere; a remote UPDATE gives it the email of a local insert (row 1) that
  // is later in the stream. Everywhere else row 1's arrival replaces row 2; so here row 2 goes.
  ASSERT_TRUE(app_->Exec("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
                         "INSERT INTO users VALUES(2, 'e2'), (1, 'e')")
                  .ok());
  change::TableSchema users{"users", {"id", "email"}, {0}};
  Value one{int64_t{1}};
  const uint64_t key = change::RowKeyHash(users, std::span<const Value>(&one, 1));
  auto applier = Open([key](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    return PendingKeys{.rows = {{key, {5, 1}}}};
  });
  change::Batch update;
  update.node_id = 7;
  update.tables.push_back(users);
  update.changes.push_back({change::Op::kUpsert, 0, {int64_t{2}, Text{"e"}}});
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, update)}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM users"), 1);
}

// Regression (#9 item 2, found by the random writers): a pending local transaction wrote
// 'a@x' into row 1 and then moved it to 'z@x'. Everywhere else that transaction arrives after
// the remote insert of (2, 'a@x') and its first write replaces row 2; so row 2 must not stay here.
TEST_F(ApplierTest, AnUpsertCollidingWithAValueAPendingLocalChangeWroteLoses) {
  ASSERT_TRUE(app_->Exec("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
                         "INSERT INTO users VALUES(1, 'z@x')")
                  .ok());
  change::TableSchema users{"users", {"id", "email"}, {0}};
  users.one_shard = true;
  const std::vector<Value> one = {int64_t{1}};
  const uint64_t key = change::RowKeyHash(users, one);
  auto applier = Open([&](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    PendingKeys pending;
    pending.rows[key] = {6, 1};
    pending.tables.push_back(users);
    pending.upserts.push_back({0, key, 5, 1, {int64_t{1}, Text{"A@X"}}});
    pending.upserts.push_back({0, key, 6, 1, {int64_t{1}, Text{"z@x"}}});
    return pending;
  });
  change::Batch remote;
  remote.node_id = 7;
  remote.tables.push_back(users);
  remote.changes.push_back({change::Op::kUpsert, 0, {int64_t{2}, Text{"a@x"}}});  // case differs
  remote.changes.push_back({change::Op::kUpsert, 0, {int64_t{3}, Text{"b@x"}}});
  ASSERT_TRUE(app_->Exec("CREATE UNIQUE INDEX users_email_nocase ON users(email COLLATE NOCASE)")
                  .ok());
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, remote)}).ok());
  EXPECT_EQ(Count("SELECT group_concat(id, '') FROM users ORDER BY id"), 13);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_conflicts WHERE kind = 'unique' AND "
                  "json_extract(losing_values, '$[1]') = 'a@x'"),
            1);
}

// A remote upsert left out because its own row has a pending local change still removes, here,
// the unprotected rows it collides with: it removes them on every other node before the local
// change arrives there.
TEST_F(ApplierTest, ALeftOutUpsertStillRemovesTheRowsItCollidesWith) {
  ASSERT_TRUE(app_->Exec("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
                         "INSERT INTO users VALUES(1, 'mine'), (3, 'b@x'), (4, 'c@x')")
                  .ok());
  change::TableSchema users{"users", {"id", "email"}, {0}};
  const std::vector<Value> one = {int64_t{1}}, four = {int64_t{4}};
  const uint64_t key1 = change::RowKeyHash(users, one);
  const uint64_t key4 = change::RowKeyHash(users, four);
  auto applier = Open([&](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    return PendingKeys{.rows = {{key1, {5, 1}}, {key4, {5, 1}}}};
  });
  change::Batch remote;
  remote.node_id = 7;
  remote.tables.push_back(users);
  remote.changes.push_back({change::Op::kUpsert, 0, {int64_t{1}, Text{"b@x"}}});  // left out
  remote.changes.push_back({change::Op::kUpsert, 0, {int64_t{1}, Text{"c@x"}}});  // left out
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, remote)}).ok());
  // Row 3 ('b@x') goes as everywhere else; row 4 is protected (its local change re-creates it
  // everywhere); row 1 keeps its local value.
  EXPECT_EQ(Count("SELECT group_concat(id || email, ',') = '1mine,4c@x' FROM users ORDER BY id"),
            1);
}

// Regression (#9 item 1, found by the random writers with 4 shards): this node inserted a row
// with a NULL key and then deleted it, not yet in the stream; a remote update that removed and
// re-added an identical row comes earlier in the stream. Everywhere else the local delete comes
// last and no such row is left: the remote state of that content is left out here.
TEST_F(ApplierTest, RowCopiesOfContentWithAPendingLocalChangeAreLeftOut) {
  ASSERT_TRUE(app_->Exec("CREATE TABLE f(k TEXT PRIMARY KEY, v)").ok());
  const change::TableSchema f{"f", {"k", "v"}, {0}};
  const std::vector<Value> row = {Null{}, int64_t{91}};
  const uint64_t content = change::WholeRowHash(f, row);
  auto applier = Open([&](sqlite::Database&, std::optional<uint64_t>) -> Result<PendingKeys> {
    return PendingKeys{.rows = {{content, {5, 1}}}};
  });
  change::Batch remote;
  remote.node_id = 7;
  remote.tables.push_back(f);
  remote.changes.push_back({change::Op::kRowCopies, 0, {Null{}, int64_t{91}, int64_t{1}}});
  remote.changes.push_back({change::Op::kRowCopies, 0, {Null{}, int64_t{92}, int64_t{1}}});
  ASSERT_TRUE(ApplyAll(*applier, {Msg(1, remote)}).ok());
  EXPECT_EQ(Count("SELECT group_concat(v) FROM f"), 92);
  EXPECT_EQ(Count("SELECT count(*) FROM __harmony_conflicts WHERE kind = 'row' AND tbl = 'f'"), 1);
}

}  // namespace
}  // namespace harmony::apply
