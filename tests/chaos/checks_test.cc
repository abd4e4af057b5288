// The chaos suite's checker: journals, the ledger check and the table dumps it compares.
#include "tests/chaos/checks.h"

#include <gtest/gtest.h>

#include <fstream>

#include "sqlite/database.h"
#include "tests/chaos/writer.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace harmony::chaos {
namespace {

using test::IsOk;

TEST(ChaosJournal, CommitOnlyAfterCommitReturnedAndKilledTransactionsNeverCommitted) {
  test::TempDir dir("chaos-checks");
  const std::string path = dir.Sub("writer0.journal");
  std::ofstream(path) << "begin n1g0t0 2\ncommitting n1g0t0\ncommit n1g0t0 2\n"
                      << "abort n1g0t1 begin: database is locked\n"
                      << "begin n1g0t2 1\ncommitting n1g0t2\n"  // killed while committing
                      << "paused\nresumed\n"
                      << "begin n1g0t3 1\n";  // killed inside the transaction
  JournalSummary summary;
  ASSERT_TRUE(IsOk(ReadJournal(path, &summary)));
  EXPECT_EQ(summary.committed, (std::map<std::string, int>{{"n1g0t0", 2}}));
  EXPECT_EQ(summary.never_committed, (std::set<std::string>{"n1g0t1", "n1g0t3"}));
  EXPECT_EQ(summary.unknown, 1);
  EXPECT_EQ(summary.aborted, 1);
}

TEST(ChaosLedger, CountsLostPhantomAndWrongPayloadRows) {
  JournalSummary journal;
  journal.committed = {{"n1g0t0", 2}, {"n2g0t0", 1}};
  journal.never_committed = {"n3g0t5"};
  Ledger complete = {{"n1g0t0-0", {"n1g0t0", LedgerPayload("n1g0t0-0")}},
                     {"n1g0t0-1", {"n1g0t0", LedgerPayload("n1g0t0-1")}},
                     {"n2g0t0-0", {"n2g0t0", LedgerPayload("n2g0t0-0")}}};
  Ledger missing_one = complete;
  missing_one.erase("n1g0t0-1");
  Ledger with_phantom = complete;
  with_phantom["n3g0t5-0"] = {"n3g0t5", LedgerPayload("n3g0t5-0")};
  with_phantom["n2g0t0-0"].payload = "p:other";

  LedgerCheck ok = CheckLedger(journal, {complete, complete, complete});
  EXPECT_EQ(ok.committed_rows, 3);
  EXPECT_EQ(ok.lost_rows, 0);
  EXPECT_EQ(ok.phantom_rows, 0);
  EXPECT_EQ(ok.bad_payload_rows, 0);

  LedgerCheck bad = CheckLedger(journal, {complete, missing_one, with_phantom});
  EXPECT_EQ(bad.lost_rows, 1);
  EXPECT_EQ(bad.missing_per_node, (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(bad.phantom_rows, 1);
  EXPECT_EQ(bad.bad_payload_rows, 1);
  EXPECT_EQ(bad.example, "lost n1g0t0-1 on node 2");
}

TEST(ChaosTables, DumpKeepsStorageClassesAndDifferenceNamesTheRows) {
  test::TempDir dir("chaos-checks");
  sqlite::OpenOptions open;
  open.create = true;
  for (const char* name : {"a.db", "b.db"}) {
    auto db = sqlite::Database::Open(dir.Sub(name), open);
    ASSERT_TRUE(IsOk(db));
    ASSERT_TRUE(IsOk(db->Exec(ChaosSchema())));
    ASSERT_TRUE(IsOk(db->Exec("CREATE TABLE __harmony_state(k PRIMARY KEY, v)")));
  }
  auto a = sqlite::Database::Open(dir.Sub("a.db"), open);
  auto b = sqlite::Database::Open(dir.Sub("b.db"), open);
  ASSERT_TRUE(IsOk(a->Exec("INSERT INTO hot VALUES(1, 1, 1, 0), (2, x'00ff', 1, 0)")));
  ASSERT_TRUE(IsOk(b->Exec("INSERT INTO hot VALUES(1, 1.0, 1, 0), (2, x'00ff', 1, 0)")));
  ASSERT_TRUE(IsOk(b->Exec("INSERT INTO __harmony_state VALUES('published_seq', 7)")));

  auto ta = ReadTables(dir.Sub("a.db"));
  auto tb = ReadTables(dir.Sub("b.db"));
  ASSERT_TRUE(IsOk(ta));
  ASSERT_TRUE(IsOk(tb));
  EXPECT_EQ(ta->size(), 2u) << "harmony's own tables are not compared";
  EXPECT_EQ(ta->at("hot")[1], "i:2 | b:2:00ff | i:1 | i:0");
  EXPECT_NE(*ta, *tb) << "integer 1 and real 1.0 differ";
  const std::string diff = Difference(*ta, *tb, "node 1", "node 2");
  EXPECT_NE(diff.find("only on node 1: i:1 | i:1 | i:1 | i:0"), std::string::npos) << diff;
  EXPECT_NE(diff.find("only on node 2: i:1 | r:3ff0000000000000(1) | i:1 | i:0"), std::string::npos)
      << diff;
  EXPECT_NE(Digest(*ta), Digest(*tb));
}

}  // namespace
}  // namespace harmony::chaos
