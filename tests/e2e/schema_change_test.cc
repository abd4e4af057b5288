// End-to-end: tables and columns added while harmony runs are replicated without a restart, and
// a migration rolled out by hand (replicate_ddl = false), node by node, converges: rows written
// under the old shape land on nodes that already changed, rows of the new shape wait on nodes
// that have not (issue #10 items 1 and 4).
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"

namespace harmony::test {
namespace {

class RuntimeSchemaTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);"
           "CREATE TABLE other(id INTEGER PRIMARY KEY, v TEXT);";
  }
  // Every node is migrated by hand here (docs/schema-changes.md, "Rolling out a migration").
  std::string ExtraConfig(int) const override { return "replicate_ddl = false\n"; }
};

TEST_F(RuntimeSchemaTest, TableCreatedWhileRunningReplicatesWithoutRestart) {
  for (int i = 1; i < 3; ++i)
    Exec(i, "CREATE TABLE late(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)");
  // The first row is committed with the CREATE itself and the second right after it: harmony
  // cannot have installed a trigger on "late" before either was written.
  Exec(0,
       "BEGIN; CREATE TABLE late(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);"
       "INSERT INTO late VALUES(1, 'in the create transaction', 1); COMMIT;");
  Exec(0, "INSERT INTO late VALUES(2, 'right after', 2)");
  Exec(0, "UPDATE late SET n = 10 WHERE id = 1");
  ASSERT_TRUE(WaitForSameData({"late"}));
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(Query(i,
                    "SELECT group_concat(id || ':' || n, ',') FROM (SELECT * FROM late "
                    "ORDER BY id)"),
              "1:10,2:2")
        << "node " << i + 1;
  }

  // The new table is captured on the other nodes too.
  Exec(1, "INSERT INTO late VALUES(3, 'from node 2', 3); DELETE FROM late WHERE id = 2");
  ASSERT_TRUE(WaitForSameData({"late"}));
  EXPECT_EQ(Query(0, "SELECT group_concat(id) FROM (SELECT id FROM late ORDER BY id)"), "1,3");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;
}

TEST_F(RuntimeSchemaTest, ColumnAddedOnSomeNodesFirstIsHeldOnTheOthersUntilTheyAddIt) {
  Exec(0, "INSERT INTO items VALUES(1, 'before')");
  ASSERT_TRUE(WaitForSameData({"items"}));

  // Nodes 3 and 1 add the column at (nearly) the same time; node 1 writes with it at once, the
  // first row even in the same transaction as the ALTER.
  Exec(2, "ALTER TABLE items ADD COLUMN color TEXT DEFAULT 'none'");
  Exec(0,
       "BEGIN; ALTER TABLE items ADD COLUMN color TEXT DEFAULT 'none';"
       "INSERT INTO items VALUES(2, 'ball', 'red'); COMMIT;");
  Exec(0,
       "INSERT INTO items(id, name, color) VALUES(3, 'cube', 'green');"
       "UPDATE items SET color = 'blue' WHERE id = 1;");
  // Published after the items changes: once node 2 has it, it has received those too.
  Exec(0, "INSERT INTO other VALUES(1, 'marker')");

  std::string diff;
  EXPECT_TRUE(PollUntil(
      [&] {
        return (diff = DataDifference(0, 2, {"items", "other"})).empty();
      },
      std::chrono::seconds(30), std::chrono::milliseconds(20)))
      << "node 3 (has the column) did not get the rows directly: " << diff << "\nlog:\n"
      << nodes_[2].process->Log();
  EXPECT_EQ(Query(2,
                  "SELECT group_concat(id || name || color, ',') FROM "
                  "(SELECT * FROM items ORDER BY id)"),
            "1beforeblue,2ballred,3cubegreen");

  // Node 2 lacks the column: it must keep running (holding the changes) and keep applying other
  // tables.
  EXPECT_TRUE(WaitFor(1, "SELECT v FROM other WHERE id = 1", "marker"));
  ASSERT_TRUE(NodeRunning(1)) << "node 2 exited:\n" << nodes_[1].process->Log();
  EXPECT_EQ(Query(1, "SELECT count(*) FROM items"), "1");

  Exec(1, "ALTER TABLE items ADD COLUMN color TEXT DEFAULT 'none'");
  ASSERT_TRUE(WaitForSameData({"items", "other"}));
  EXPECT_EQ(Query(1,
                  "SELECT group_concat(id || name || color, ',') FROM "
                  "(SELECT * FROM items ORDER BY id)"),
            "1beforeblue,2ballred,3cubegreen");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;

  // And the new column replicates normally from the late node afterwards.
  Exec(1, "UPDATE items SET color = 'late' WHERE id = 2");
  ASSERT_TRUE(WaitForSameData({"items"}));
  EXPECT_EQ(Query(0, "SELECT color FROM items WHERE id = 2"), "late");
}

TEST_F(RuntimeSchemaTest, RollingRenameOfAColumnAndATableConverges) {
  Exec(0, "INSERT INTO items VALUES(1, 'a'); INSERT INTO other VALUES(1, 'x')");
  ASSERT_TRUE(WaitForSameData({"items", "other"}));
  // Node 1 renames first; node 2 goes on writing under the old names for a while.
  Exec(0, "ALTER TABLE items RENAME COLUMN name TO title; ALTER TABLE other RENAME TO other2");
  Exec(1, "INSERT INTO items VALUES(2, 'old column name'); INSERT INTO other VALUES(2, 'old table')");
  ASSERT_TRUE(WaitFor(0, "SELECT title FROM items WHERE id = 2", "old column name"));
  ASSERT_TRUE(WaitFor(0, "SELECT v FROM other2 WHERE id = 2", "old table"));
  // Node 1 writes under the new names: held on the others until they rename too.
  Exec(0, "UPDATE items SET title = 'new' WHERE id = 1; INSERT INTO other2 VALUES(3, 'new table')");
  for (int i : {1, 2}) {
    Exec(i, "ALTER TABLE items RENAME COLUMN name TO title; ALTER TABLE other RENAME TO other2");
  }
  ASSERT_TRUE(WaitForSameData({"items", "other2"})) << DataDifference(0, 1, {"items", "other2"});
  EXPECT_EQ(Query(2, "SELECT group_concat(id || title, ',') FROM (SELECT * FROM items ORDER BY id)"),
            "1new,2old column name");
  EXPECT_EQ(Query(1, "SELECT count(*) FROM other2"), "3");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(WaitFor(i, "SELECT count(*) FROM __harmony_held", "0")) << "node " << i + 1;
  }
}

}  // namespace
}  // namespace harmony::test
