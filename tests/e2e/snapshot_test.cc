// End-to-end: snapshots. A stream that keeps only 500 messages, 5,000 changes, and nodes that
// could not catch up by replay: a brand-new node with no database file, a node that was offline
// past retention with local writes of its own, and a corrupt snapshot that must be refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nats/connection.h"
#include "nats/jetstream.h"
#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"

namespace harmony::test {
namespace {

namespace fs = std::filesystem;

// store = "nats" (JetStream object store) or "file" (a directory shared by the nodes).
class SnapshotTest : public ClusterTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string ExtraConfig(int node) const override {
    std::string c = "scan_max_changes = 5\n[replication_log]\nmax_entries = 500\n[snapshot]\n";
    if (GetParam() == "file") {
      c += "store = \"file\"\n[snapshot.file]\ndir = \"" + dir_.path() + "/snapshots\"\n";
    }
    return c;
  }

  // 5,000 new rows on `node` in 1,000 transactions of 5: with scan_max_changes = 5, at least
  // 1,000 messages, twice what the stream keeps.
  void WriteManyChanges(int node, int first_id) {
    auto db = Connect(node);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int t = 0; t < 1000; ++t) {
      std::string sql = "BEGIN IMMEDIATE;";
      for (int r = 0; r < 5; ++r) {
        const int id = first_id + t * 5 + r;
        sql += "INSERT INTO items VALUES(" + std::to_string(id) + ", 'row " + std::to_string(id) +
               "', " + std::to_string(id % 97) + ");";
      }
      ASSERT_TRUE(db->Exec(sql + "COMMIT;").ok());
    }
  }

  // The oldest sequence shard 1's stream still holds.
  uint64_t StreamFirstSeq() {
    nats::ConnectionOptions options;
    options.urls = {nats_->url()};
    options.connect_retries = 0;
    auto conn = nats::Connection::Connect(options);
    if (!conn.ok()) return 0;
    auto js = nats::JetStream::Create(conn.value());
    if (!js.ok()) return 0;
    auto info = js.value()->GetStreamInfo("harmony-changes-1");
    return info.ok() ? info->first_seq : 0;
  }

  // Waits until one of the running nodes has logged a saved snapshot.
  bool AwaitSnapshot() {
    return PollUntil(
        [&] {
          return !LogLine(0, {"snapshot", "saved in"}).empty() ||
                 !LogLine(1, {"snapshot", "saved in"}).empty();
        },
        std::chrono::seconds(60), std::chrono::milliseconds(50));
  }

  void RemoveDatabase(int node) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(nodes_[node].db_path + suffix);
  }

  std::string UserSchema(int node) {
    return Query(
        node,
        "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema WHERE name "
        "NOT LIKE 'sqlite%' AND name NOT LIKE '\\_\\_harmony%' ESCAPE '\\' ORDER BY name)");
  }
};

TEST_P(SnapshotTest, NewNodeWithoutDataJoinsFromASnapshotAndFollowsLiveChanges) {
  StopNode(2);
  RemoveDatabase(2);
  // Both kinds of new node: no database file at all (nats), an empty one (file).
  if (GetParam() == "file") std::ofstream(nodes_[2].db_path).close();
  WriteManyChanges(0, 1);
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "5000", std::chrono::seconds(60)));
  ASSERT_TRUE(AwaitSnapshot());
  ASSERT_GT(StreamFirstSeq(), 1u) << "the stream should have dropped its oldest messages";

  StartNode(2);
  ASSERT_TRUE(WaitForSameData({}, std::chrono::seconds(60)));
  EXPECT_EQ(UserSchema(2), UserSchema(0));
  EXPECT_FALSE(LogLine(2, {"restored snapshot"}).empty());

  Exec(0, "UPDATE items SET name = 'live' WHERE id = 7");
  Exec(2, "INSERT INTO items VALUES(900001, 'from the new node', 1)");
  ASSERT_TRUE(WaitForSameData());
  EXPECT_EQ(Query(2, "SELECT name FROM items WHERE id = 7"), "live");
  EXPECT_EQ(Query(0, "SELECT name FROM items WHERE id = 900001"), "from the new node");
}

TEST_P(SnapshotTest, NodeOfflinePastRetentionRejoinsWithItsLocalWritesIntact) {
  StopNode(2);
  // Written while its harmony is stopped: captured, not yet published.
  Exec(2, "INSERT INTO items VALUES(800001, 'written offline', 5)");
  WriteManyChanges(0, 1);
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "5000", std::chrono::seconds(60)));
  ASSERT_TRUE(AwaitSnapshot());
  ASSERT_GT(StreamFirstSeq(), 1u);

  StartNode(2);
  ASSERT_TRUE(WaitForSameData({}, std::chrono::seconds(60)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT name FROM items WHERE id = 800001"), "written offline")
        << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM items"), "5001") << "node " << i + 1;
  }
}

// The same, with the node's triggers on items dropped while it was stopped: start-up records a
// backfill of items. The local changes published before the restore must not carry it: the
// node's rows are stale, and sending them would roll the newer values back on every node (issue
// #11, item 6).
TEST_P(SnapshotTest, NodeOfflinePastRetentionSendsNoStaleRowsBeforeItsRestore) {
  for (int id = 900101; id <= 900105; ++id) {
    Exec(0, "INSERT INTO items VALUES(" + std::to_string(id) + ", 'v1', 1)");
  }
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM items WHERE name = 'v1'", "5"));
  StopNode(2);
  Exec(0, "UPDATE items SET name = 'v2' WHERE name = 'v1'");          // node 3 keeps v1
  Exec(2, "INSERT INTO items VALUES(800001, 'written offline', 5)");  // captured
  DropCaptureTriggers(2, "items");
  WriteManyChanges(0, 1);
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "5005", std::chrono::seconds(60)));
  ASSERT_TRUE(AwaitSnapshot());
  ASSERT_GT(StreamFirstSeq(), 1u);

  StartNode(2);
  ASSERT_TRUE(WaitForSameData({}, std::chrono::seconds(60)));
  EXPECT_FALSE(LogLine(2, {"local change(s) before the restore replaces their rows"}).empty());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM items WHERE name = 'v2'"), "5") << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT name FROM items WHERE id = 800001"), "written offline")
        << "node " << i + 1;
  }
}

TEST_P(SnapshotTest, NodeWithAnotherSchemaIsNotReplacedBySnapshot) {
  StopNode(2);
  Exec(2, "ALTER TABLE items ADD COLUMN note TEXT");
  Exec(2, "INSERT INTO items VALUES(700001, 'mine', 1, 'kept')");
  WriteManyChanges(0, 1);
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "5000", std::chrono::seconds(60)));
  ASSERT_TRUE(AwaitSnapshot());
  ASSERT_GT(StreamFirstSeq(), 1u);

  nodes_[2].process = std::make_unique<HarmonyProcess>(
      std::vector<std::string>{"-config", nodes_[2].config_path}, nodes_[2].log_path);
  ASSERT_TRUE(nodes_[2].process->Start());
  EXPECT_EQ(nodes_[2].process->WaitForExit(std::chrono::seconds(60)), 1);
  EXPECT_NE(nodes_[2].process->Log().find("another schema"), std::string::npos)
      << nodes_[2].process->Log();
  EXPECT_EQ(Query(2, "SELECT note FROM items WHERE id = 700001"), "kept");
}

INSTANTIATE_TEST_SUITE_P(Stores, SnapshotTest, ::testing::Values("nats", "file"),
                         [](const auto& info) { return info.param; });

class CorruptSnapshotTest : public SnapshotTest {};

TEST_P(CorruptSnapshotTest, CorruptSnapshotIsRefusedAndTheDatabaseLeftUntouched) {
  Exec(0, "INSERT INTO items VALUES(1, 'one', 1)");
  ASSERT_TRUE(WaitForSameData());
  std::string out;
  ASSERT_EQ(RunHarmony({"-config", nodes_[0].config_path, "-save-snapshot"},
                       dir_.path() + "/save.log", &out),
            0)
      << out;
  // Flip one byte of the stored snapshot.
  std::string stored;
  for (const auto& entry : fs::directory_iterator(dir_.path() + "/snapshots")) {
    if (entry.path().string().size() > 7 &&
        entry.path().string().substr(entry.path().string().size() - 7) == ".db.zst") {
      stored = entry.path().string();
    }
  }
  ASSERT_FALSE(stored.empty());
  {
    std::fstream f(stored, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(stored) / 2));
    f.put('\x5a');
  }
  StopNode(2);
  RemoveDatabase(2);
  std::ofstream(nodes_[2].db_path).close();  // an empty database file: a new node
  nodes_[2].process = std::make_unique<HarmonyProcess>(
      std::vector<std::string>{"-config", nodes_[2].config_path}, nodes_[2].log_path);
  ASSERT_TRUE(nodes_[2].process->Start());
  EXPECT_EQ(nodes_[2].process->WaitForExit(std::chrono::seconds(60)), 1);
  EXPECT_NE(nodes_[2].process->Log().find("checksum"), std::string::npos)
      << nodes_[2].process->Log();
  // Nothing of the snapshot was installed: still no application table.
  EXPECT_EQ(UserSchema(2), "NULL");
}

INSTANTIATE_TEST_SUITE_P(FileStore, CorruptSnapshotTest, ::testing::Values("file"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace harmony::test
