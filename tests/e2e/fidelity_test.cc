// End-to-end: values keep their storage class and exact bits, and awkward identifiers work.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

using namespace std::string_literals;

constexpr int kBigBlobId = 100;

class FidelityTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE v(id INTEGER PRIMARY KEY, x);"
           "CREATE TABLE typed(id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT);";
  }

  // Values bound through the wrapper, so each has exactly the storage class and bits given.
  static std::vector<std::pair<int, Value>> BoundValues() {
    return {
        {1, int64_t{std::numeric_limits<int64_t>::min()}},
        {2, int64_t{std::numeric_limits<int64_t>::max()}},
        {3, int64_t{0}},
        {4, int64_t{-1}},
        {5, 1e308},
        {6, 5e-324},  // the smallest subnormal
        {7, 3.0},     // integral REAL: must not turn into INTEGER 3
        {8, 0.1},
        {9, -0.0},  // sign bit only
        {10, std::numeric_limits<double>::infinity()},
        {11, -std::numeric_limits<double>::infinity()},
        {12, -1e-310},  // negative subnormal
        {13, Text{"héllo ✓ 𝄞"}},
        {14, Text{"it's \"quoted\" `back` [br] 'single' ''double''"}},
        {15, Text{"\t\n\r\x01\x1b\x7f end"}},
        {16, Text{"a\0b\0"s}},  // embedded NUL in TEXT
        {17, Text{""}},
        {18, Blob{""}},
        {19, Blob{"\0\0\xff\0"s}},
        {20, Null{}},
        {21, Text{"123"}},  // stays TEXT in an untyped column
        {22, Blob{"not text \xc3\x28"}},
    };
  }

  void WriteValues() {
    auto db = Connect(0);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("BEGIN").ok());
    auto insert = db->Prepare("INSERT INTO v(id, x) VALUES(?1, ?2)");
    ASSERT_TRUE(insert.ok()) << insert.status().ToString();
    for (const auto& [id, value] : BoundValues()) {
      ASSERT_TRUE(insert->BindInt(1, id).ok());
      ASSERT_TRUE(insert->Bind(2, value).ok());
      Status s = insert->Run();
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    ASSERT_TRUE(db->Exec("COMMIT").ok());
    // Values made by SQL on the origin, including a 5 MiB blob (larger than NATS' default
    // max_payload of 1 MiB) in its own transaction.
    Exec(0,
         "INSERT INTO v VALUES(30, 'x' || char(0) || 'y');"
         "INSERT INTO v VALUES(31, CAST(x'610062' AS TEXT));"
         "INSERT INTO v VALUES(32, '123');"
         "INSERT INTO v VALUES(33, x'00');"
         "INSERT INTO v VALUES(34, -9223372036854775808);"
         "INSERT INTO v VALUES(35, 1.5e-320);");
    Exec(0, "INSERT INTO v VALUES(" + std::to_string(kBigBlobId) + ", randomblob(5*1024*1024))");
    // Type affinity is applied on the origin: '123' in an INTEGER column is the integer 123.
    Exec(0,
         "INSERT INTO typed VALUES(1, '123', '1.5', 123);"
         "INSERT INTO typed VALUES(2, '12.0', 3, 4.5);"
         "INSERT INTO typed VALUES(3, 'abc', 'x', x'01');");
  }

  // Every row of `table` on node i as exact Values, by id.
  std::vector<std::pair<int64_t, std::vector<Value>>> ExactRows(int i, const std::string& table) {
    std::vector<std::pair<int64_t, std::vector<Value>>> rows;
    sqlite::OpenOptions options;
    options.wal = false;
    auto db = Connect(i, options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return rows;
    auto stmt = db->Prepare("SELECT * FROM " + sqlite::QuoteIdentifier(table) + " ORDER BY id");
    EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
    if (!stmt.ok()) return rows;
    while (true) {
      auto more = stmt->Step();
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      std::vector<Value> row;
      for (int c = 1; c < stmt->ColumnCount(); ++c) row.push_back(stmt->Column(c));
      rows.emplace_back(stmt->ColumnInt(0), std::move(row));
    }
    return rows;
  }

  // Compares every cell of node `peer` with node 1 bit-exactly.
  void ExpectSameAsOrigin(int peer, const std::string& table) {
    auto origin = ExactRows(0, table);
    auto copy = ExactRows(peer, table);
    ASSERT_EQ(origin.size(), copy.size()) << table << " on node " << peer + 1;
    for (size_t k = 0; k < origin.size(); ++k) {
      ASSERT_EQ(origin[k].first, copy[k].first) << table << " on node " << peer + 1;
      ASSERT_EQ(origin[k].second.size(), copy[k].second.size());
      for (size_t c = 0; c < origin[k].second.size(); ++c) {
        const Value& a = origin[k].second[c];
        const Value& b = copy[k].second[c];
        EXPECT_TRUE(SameValue(a, b))
            << table << " id " << origin[k].first << " column " << c + 1 << " on node " << peer + 1
            << ": " << DebugString(b) << ", origin has " << DebugString(a);
      }
    }
  }
};

TEST_F(FidelityTest, EveryValueArrivesWithItsStorageClassAndExactBits) {
  WriteValues();
  // The origin itself holds exactly what was bound (otherwise the comparison below proves less).
  auto origin = ExactRows(0, "v");
  for (const auto& [id, value] : BoundValues()) {
    bool found = false;
    for (const auto& [row_id, cells] : origin) {
      if (row_id != id) continue;
      found = true;
      EXPECT_TRUE(SameValue(cells[0], value))
          << "id " << id << " on node 1: " << DebugString(cells[0]);
    }
    EXPECT_TRUE(found) << "id " << id << " missing on node 1";
  }

  ASSERT_TRUE(WaitForSameData({"v", "typed"}, std::chrono::seconds(40)));
  for (int peer : {1, 2}) {
    ExpectSameAsOrigin(peer, "v");
    ExpectSameAsOrigin(peer, "typed");
    EXPECT_EQ(Query(peer, "SELECT typeof(x) || ':' || x FROM v WHERE id = 21"), "text:123");
    EXPECT_EQ(Query(peer, "SELECT typeof(x) || ':' || x FROM v WHERE id = 7"), "real:3.0");
    EXPECT_EQ(Query(peer, "SELECT hex(x) FROM v WHERE id = 30"), "780079");
    EXPECT_EQ(Query(peer, "SELECT length(x) FROM v WHERE id = " + std::to_string(kBigBlobId)),
              std::to_string(5 * 1024 * 1024));
    EXPECT_EQ(Query(peer, "SELECT typeof(n) || ':' || n FROM typed WHERE id = 1"), "integer:123");
    EXPECT_EQ(Query(peer, "SELECT typeof(n) || ':' || n FROM typed WHERE id = 2"), "integer:12");
    EXPECT_EQ(Query(peer, "SELECT typeof(r) || ':' || r FROM typed WHERE id = 2"), "real:3.0");
  }

  // Updates change values (and some storage classes) in place; peers follow bit for bit.
  Exec(0,
       "UPDATE v SET x = CASE typeof(x)"
       "  WHEN 'integer' THEN -x WHEN 'real' THEN x / 3 WHEN 'text' THEN x || char(0) || 'é'"
       "  WHEN 'blob' THEN CAST(x || x'ff' AS BLOB) ELSE 'was null' END"
       " WHERE id <> " +
           std::to_string(kBigBlobId));
  Exec(0, "UPDATE typed SET n = '77', r = '2', t = 9.25");
  ASSERT_TRUE(WaitForSameData({"v", "typed"}, std::chrono::seconds(30)));
  for (int peer : {1, 2}) {
    ExpectSameAsOrigin(peer, "v");
    ExpectSameAsOrigin(peer, "typed");
  }
}

class IdentifierTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE \"order items\"(\"id\" INTEGER PRIMARY KEY, \"select\" TEXT,"
           "  \"from to\" INTEGER, \"a\"\"b\" TEXT);"
           "CREATE TABLE \"we\"\"ird\"(\"k\"\"ey\" TEXT PRIMARY KEY, \"v[1]\" TEXT, `c``d` INT);"
           "CREATE TABLE \"Ünïcode ✓\"(\"ключ\" INTEGER PRIMARY KEY, \"值\" TEXT);";
  }
};

TEST_F(IdentifierTest, QuotedTableAndColumnNamesReplicateInsertUpdateDelete) {
  const std::vector<std::string> tables = {"order items", "we\"ird", "Ünïcode ✓"};
  Exec(0,
       "INSERT INTO \"order items\" VALUES(1, 'first', 10, 'q1'), (2, 'second', 20, 'q2');"
       "INSERT INTO \"we\"\"ird\" VALUES('k\"1', 'one', 1), ('k''2', 'two', 2);"
       "INSERT INTO \"Ünïcode ✓\" VALUES(1, 'один');");
  ASSERT_TRUE(WaitForSameData(tables));
  EXPECT_EQ(Query(2,
                  "SELECT \"select\" || \"from to\" || \"a\"\"b\" FROM \"order items\" "
                  "WHERE id = 2"),
            "second20q2");
  EXPECT_EQ(Query(1, "SELECT \"v[1]\" || `c``d` FROM \"we\"\"ird\" WHERE \"k\"\"ey\" = 'k\"1'"),
            "one1");

  Exec(1,
       "UPDATE \"order items\" SET \"select\" = 'changed', \"a\"\"b\" = NULL WHERE id = 1;"
       "UPDATE \"we\"\"ird\" SET \"v[1]\" = 'deux' WHERE \"k\"\"ey\" = 'k''2';"
       "UPDATE \"we\"\"ird\" SET \"k\"\"ey\" = 'moved\"' WHERE \"k\"\"ey\" = 'k\"1';"
       "UPDATE \"Ünïcode ✓\" SET \"值\" = 'два' WHERE \"ключ\" = 1;");
  ASSERT_TRUE(WaitForSameData(tables));
  EXPECT_EQ(Query(0, "SELECT \"select\" FROM \"order items\" WHERE id = 1"), "changed");
  EXPECT_EQ(Query(2,
                  "SELECT group_concat(\"k\"\"ey\", ',') FROM "
                  "(SELECT \"k\"\"ey\" FROM \"we\"\"ird\" ORDER BY 1)"),
            "k'2,moved\"");

  Exec(2,
       "DELETE FROM \"order items\" WHERE id = 2;"
       "DELETE FROM \"we\"\"ird\" WHERE \"k\"\"ey\" = 'k''2';"
       "DELETE FROM \"Ünïcode ✓\";");
  ASSERT_TRUE(WaitForSameData(tables));
  EXPECT_EQ(Query(0, "SELECT count(*) FROM \"order items\""), "1");
  EXPECT_EQ(Query(1, "SELECT count(*) FROM \"we\"\"ird\""), "1");
  EXPECT_EQ(Query(0, "SELECT count(*) FROM \"Ünïcode ✓\""), "0");
}

}  // namespace
}  // namespace harmony::test
