// End-to-end (issue #10, item 5): any table SQLite accepts is replicated or skipped with a
// message, and never stops other tables or the process: the widest table harmony can capture
// (SQLite's 2,000-column limit less the change log's own columns and the widest key) replicates,
// a 2,000-column table beside it is named once and skipped, at start and when created at runtime.
#include <gtest/gtest.h>

#include <string>

#include "capture/catalog.h"
#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

// CREATE TABLE `name` with an INTEGER PRIMARY KEY and `columns` - 1 more columns c1, c2, ...
std::string WideTable(const std::string& name, int columns) {
  std::string sql = "CREATE TABLE " + name + "(id INTEGER PRIMARY KEY";
  for (int i = 1; i < columns; ++i) sql += ", c" + std::to_string(i);
  return sql + ");";
}

// SQLite's default column limit, less the log's reserve and the widest key (1 column here).
constexpr int kWidest = 2000 - capture::kLogOwnColumnsReserve - 1;

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class SchemaSizeTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);" +
           WideTable("wide", kWidest) + WideTable("too_wide", 2000);
  }
};

TEST_F(SchemaSizeTest, WidestCapturableTableReplicatesAndAWiderOneIsSkippedNamedOnce) {
  const std::string last = "c" + std::to_string(kWidest - 1);
  Exec(0, "INSERT INTO wide(id, c1, " + last + ") VALUES(1, 'first', 'last')");
  Exec(0, "INSERT INTO too_wide(id, c1999) VALUES(1, 'stays here')");
  Exec(1, "INSERT INTO items VALUES(1, 'after', 1)");
  ASSERT_TRUE(WaitFor(2, "SELECT name FROM items WHERE id = 1", "after"));
  ASSERT_TRUE(WaitFor(2, "SELECT c1 || '/' || " + last + " FROM wide WHERE id = 1", "first/last"));
  Exec(2, "UPDATE wide SET " + last + " = 'changed' WHERE id = 1");
  ASSERT_TRUE(WaitFor(0, "SELECT " + last + " FROM wide WHERE id = 1", "changed"));
  EXPECT_EQ(Query(1, "SELECT count(*) FROM too_wide"), "0");
  for (int i = 0; i < 3; ++i) {
    const std::string log = nodes_[i].process->LogSinceStart();
    EXPECT_EQ(Count(log, "table \"too_wide\" is not replicated: it has 2000 columns"), 1u)
        << "node " << i + 1 << ":\n" << log;
  }

  // Created while running: skipped with the same message; the other tables carry on.
  Exec(0, WideTable("later_too_wide", 2000) + "CREATE TABLE later(id INTEGER PRIMARY KEY, v);");
  for (int i = 1; i < 3; ++i) Exec(i, "CREATE TABLE later(id INTEGER PRIMARY KEY, v)");
  Exec(0, "INSERT INTO later_too_wide(id) VALUES(1); INSERT INTO later VALUES(1, 'new table')");
  Exec(0, "INSERT INTO items VALUES(2, 'still', 2)");
  ASSERT_TRUE(WaitFor(1, "SELECT v FROM later WHERE id = 1", "new table"));
  ASSERT_TRUE(WaitFor(2, "SELECT name FROM items WHERE id = 2", "still"));
  EXPECT_TRUE(NodeRunning(0));
  EXPECT_EQ(Count(nodes_[0].process->LogSinceStart(),
                  "table \"later_too_wide\" is not replicated: it has 2000 columns"),
            1u)
      << nodes_[0].process->LogSinceStart();
}

}  // namespace
}  // namespace harmony::test
