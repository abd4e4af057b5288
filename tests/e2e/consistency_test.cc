// End-to-end: replicas end identical — exact values, every key shape, atomic transactions.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class ConsistencyTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE v(id INTEGER PRIMARY KEY, x, n INTEGER);"
           "CREATE TABLE \"order items\"(\"select\" TEXT PRIMARY KEY, \"from\" INTEGER);"
           "CREATE TABLE \"we\"\"ird\"(a INTEGER, b TEXT, c, PRIMARY KEY(a, b));"
           "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
           "CREATE TABLE auto(id INTEGER PRIMARY KEY AUTOINCREMENT, v);"
           "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT UNIQUE, v);"
           "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
           "CREATE TABLE child(id INTEGER PRIMARY KEY,"
           "  p INTEGER REFERENCES parent(id) ON DELETE CASCADE);"
           "CREATE TABLE g(id INTEGER PRIMARY KEY, a, s AS (a * 2) STORED, t AS (a + 1),"
           "  made DEFAULT (random()));"
           "CREATE TABLE nokey(a, b);"
           "CREATE VIRTUAL TABLE docs USING fts5(body);";
  }
  std::string ExtraConfig(int) const override { return "scan_max_changes = 100"; }
};

TEST_F(ConsistencyTest, EveryStorageClassArrivesBitExact) {
  Exec(0,
       "INSERT INTO v(id, x) VALUES"
       " (1, -9223372036854775808), (2, 9223372036854775807), (3, 0), (4, -1),"
       " (5, 1e308), (6, 4.9406564584124654e-324), (7, 3.0), (8, 0.1), (9, -0.0),"
       " (10, 'héllo ✓ 𝄞'), (11, 'it''s \"q\"' || char(10, 9, 1)), (12, ''), (13, x''),"
       " (14, x'00ff00'), (15, NULL), (16, '123'), (17, CAST('a' || x'00' || 'b' AS TEXT)),"
       " (18, randomblob(5 * 1024 * 1024));"
       "INSERT INTO v(id, n) VALUES (19, '123');");
  EXPECT_TRUE(WaitForSameRows("SELECT id, x, typeof(x), n, typeof(n) FROM v ORDER BY id"));
  EXPECT_EQ(Query(1, "SELECT typeof(x) || typeof(n) FROM v WHERE id = 16"), "textnull");
  EXPECT_EQ(Query(2, "SELECT typeof(n) FROM v WHERE id = 19"), "integer");
  EXPECT_EQ(Query(2, "SELECT length(x) FROM v WHERE id = 18"), "5242880");
}

TEST_F(ConsistencyTest, EveryKeyShapeSurvivesInsertUpdateKeyChangeAndDelete) {
  Exec(0,
       "INSERT INTO \"order items\" VALUES('a', 1), ('b', 2);"
       "INSERT INTO \"we\"\"ird\" VALUES(1, 'x', 'c1'), (2, 'y', 'c2');"
       "INSERT INTO w VALUES('k1', 1), ('k2', 2);"
       "INSERT INTO auto(v) VALUES('first'), ('second');");
  // Each node edits rows it has received.
  for (int i = 1; i < 3; ++i) ASSERT_TRUE(WaitFor(i, "SELECT count(*) FROM auto", "2"));
  Exec(1,
       "UPDATE \"order items\" SET \"from\" = 10 WHERE \"select\" = 'a';"
       "UPDATE \"order items\" SET \"select\" = 'bb' WHERE \"select\" = 'b';");
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM \"order items\" WHERE \"select\" = 'bb'", "1"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM \"order items\" ORDER BY 1"));
  Exec(2,
       "UPDATE \"we\"\"ird\" SET b = 'z' WHERE a = 1;"
       "UPDATE w SET k = 'k3' WHERE k = 'k1'; DELETE FROM w WHERE k = 'k2';"
       "UPDATE auto SET id = 10 WHERE v = 'first';"
       "DELETE FROM \"we\"\"ird\" WHERE a = 2;");
  EXPECT_TRUE(WaitFor(0, "SELECT group_concat(k) FROM w", "k3"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM \"we\"\"ird\" ORDER BY 1, 2"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM w ORDER BY 1"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM auto ORDER BY 1"));
  EXPECT_EQ(Query(0, "SELECT group_concat(\"select\") FROM (SELECT * FROM \"order items\" "
                     "ORDER BY 1)"),
            "a,bb");
  EXPECT_EQ(Query(1, "SELECT group_concat(k) FROM w"), "k3");
  EXPECT_EQ(Query(0, "SELECT group_concat(a || b) FROM \"we\"\"ird\""), "1z");
}

TEST_F(ConsistencyTest, ReplaceUpsertAndCascadesEndTheSameEverywhere) {
  Exec(0, "INSERT INTO u VALUES(1, 'a@x', 1), (2, 'b@x', 2)");
  EXPECT_TRUE(WaitFor(2, "SELECT count(*) FROM u", "2"));
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM u", "2"));
  Exec(1, "INSERT OR REPLACE INTO u VALUES(3, 'a@x', 3)");  // deletes row 1 (same email)
  Exec(2, "INSERT INTO u VALUES(2, 'b@x', 20) ON CONFLICT(id) DO UPDATE SET v = excluded.v");
  EXPECT_TRUE(WaitFor(0, "SELECT group_concat(id || ':' || v) FROM u", "2:20,3:3"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM u ORDER BY id"));
  EXPECT_EQ(Query(0, "SELECT group_concat(id || ':' || v) FROM u"), "2:20,3:3");

  Exec(0, "INSERT INTO parent VALUES(1), (2); INSERT INTO child VALUES(10, 1), (11, 1), (12, 2)");
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM child", "3"));
  Exec(1, "PRAGMA foreign_keys = ON; DELETE FROM parent WHERE id = 1");
  EXPECT_TRUE(WaitFor(0, "SELECT count(*) FROM child", "1"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM child ORDER BY id"));
  EXPECT_EQ(Query(2, "SELECT group_concat(id) FROM child"), "12");
}

TEST_F(ConsistencyTest, GeneratedColumnsAndDefaultsAreTheOriginsValues) {
  Exec(0, "INSERT INTO g(id, a) VALUES(1, 5), (2, 7)");
  EXPECT_TRUE(WaitForSameRows("SELECT id, a, s, t, made FROM g ORDER BY id"));
  EXPECT_EQ(Query(2, "SELECT s || ',' || t FROM g WHERE id = 1"), "10,6");
}

TEST_F(ConsistencyTest, TablesItCannotReplicateAreSkippedWithAReason) {
  EXPECT_NE(nodes_[0].process->Log().find("\"nokey\" is not replicated"), std::string::npos);
  EXPECT_NE(nodes_[0].process->Log().find("\"docs\" is not replicated"), std::string::npos);
  Exec(0, "INSERT INTO nokey VALUES(1, 2); INSERT INTO docs VALUES('hello');"
          "INSERT INTO v(id, x) VALUES(100, 'marker')");
  EXPECT_TRUE(WaitFor(1, "SELECT x FROM v WHERE id = 100", "marker"));
  EXPECT_EQ(Query(1, "SELECT count(*) FROM nokey"), "0");
}

TEST_F(ConsistencyTest, APeerNeverSeesPartOfATransaction) {
  std::atomic<bool> done{false};
  std::vector<std::string> partial;
  std::thread reader([&] {
    while (!done) {
      std::string n = Query(1, "SELECT count(*) FROM v WHERE id >= 1000");
      if (n != "0" && n != "5000" && n.rfind("error", 0) != 0) partial.push_back(n);
      if (n == "5000") return;
    }
  });
  Exec(0,
       "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 5999)"
       " INSERT INTO v(id, x) SELECT i, 'row' FROM n");
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM v WHERE id >= 1000", "5000"));
  done = true;
  reader.join();
  EXPECT_TRUE(partial.empty()) << "a reader saw " << partial.size() << " partial counts, first "
                               << partial.front();
}

}  // namespace
}  // namespace harmony::test
