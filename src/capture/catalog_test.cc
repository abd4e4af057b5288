#include "capture/catalog.h"

#include <gtest/gtest.h>

#include "capture/capture_test_util.h"

namespace harmony::capture {
namespace {

using testing_util::Exec;

const change::TableSchema* Find(const Catalog& c, const std::string& name) {
  for (const auto& t : c.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(CatalogTest, ListsOrdinaryTablesWithColumnsAndKeyOrder) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE \"order items\"(\"select\" TEXT, id INTEGER, qty, PRIMARY KEY(id, \"select\"));"
       "CREATE TABLE t(a INTEGER PRIMARY KEY, b, c AS (b * 2) STORED, d AS (b + 1));"
       "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
       "CREATE VIEW v AS SELECT * FROM t;");
  auto catalog = ReadCatalog(db);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->tables.size(), 3u);
  const auto* items = Find(*catalog, "order items");
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(items->columns, (std::vector<std::string>{"select", "id", "qty"}));
  EXPECT_EQ(items->pk, (std::vector<uint32_t>{1, 0}));  // id first, as declared in PRIMARY KEY
  const auto* t = Find(*catalog, "t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->columns, (std::vector<std::string>{"a", "b"}));  // generated columns left out
  EXPECT_NE(Find(*catalog, "w"), nullptr);
}

TEST(CatalogTest, SkipsTablesItCannotReplicateAndSaysWhy) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE nokey(a, b);"
       "CREATE VIRTUAL TABLE docs USING fts5(body);"
       "CREATE TABLE __harmony_own(x PRIMARY KEY);"
       "CREATE TABLE keep(id INTEGER PRIMARY KEY AUTOINCREMENT, v);");
  auto catalog = ReadCatalog(db);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->tables.size(), 1u);
  EXPECT_EQ(catalog->tables[0].name, "keep");
  bool saw_nokey = false, saw_fts = false;
  for (const auto& s : catalog->skipped) {
    EXPECT_NE(s.name, "__harmony_own");
    EXPECT_FALSE(s.name.starts_with("sqlite_"));
    if (s.name == "nokey") {
      saw_nokey = true;
      EXPECT_NE(s.reason.find("PRIMARY KEY"), std::string::npos);
    }
    if (s.name == "docs") saw_fts = true;
  }
  EXPECT_TRUE(saw_nokey);
  EXPECT_TRUE(saw_fts);
}

}  // namespace
}  // namespace harmony::capture
