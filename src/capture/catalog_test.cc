#include "capture/catalog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

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

std::vector<std::string> TableNames(const Catalog& c) {
  std::vector<std::string> names;
  for (const auto& t : c.tables) names.push_back(t.name);
  return names;
}

// The reason `name` was skipped, or "" if it was not.
std::string SkipReason(const Catalog& c, const std::string& name) {
  for (const auto& s : c.skipped) {
    if (s.name == name) return s.reason;
  }
  return "";
}

Catalog Read(sqlite::Database& db, std::vector<std::string> include,
             std::vector<std::string> ignore) {
  CatalogOptions options;
  options.include_tables = std::move(include);
  options.ignore_tables = std::move(ignore);
  auto catalog = ReadCatalog(db, options);
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return catalog.ok() ? std::move(catalog).value() : Catalog{};
}

void CreateKeyedTables(sqlite::Database& db, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    Exec(db, "CREATE TABLE \"" + name + "\"(id INTEGER PRIMARY KEY, v);");
  }
}

TEST(CatalogTest, ListsOrdinaryTablesWithColumnsAndKeyOrder) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(
      db,
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
       "CREATE VIRTUAL TABLE docs USING fts5(body);"
       "CREATE TABLE __harmony_own(x PRIMARY KEY);"
       "CREATE TABLE keep(id INTEGER PRIMARY KEY AUTOINCREMENT, v);");
  auto catalog = ReadCatalog(db);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->tables.size(), 1u);
  EXPECT_EQ(catalog->tables[0].name, "keep");
  bool saw_fts = false;
  for (const auto& s : catalog->skipped) {
    EXPECT_NE(s.name, "__harmony_own");
    EXPECT_FALSE(s.name.starts_with("sqlite_"));
    if (s.name == "docs") saw_fts = true;
  }
  EXPECT_TRUE(saw_fts);
}

// Issue #10 item 3: a table without PRIMARY KEY is replicated. Its key is the first (by name)
// UNIQUE index over NOT NULL plain columns with a built-in collation; without one, the table has
// no key (every row is identified by its content).
TEST(CatalogTest, TableWithoutPrimaryKeyIsKeyedByItsFirstUsableUniqueIndexElseByContent) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE log(at, msg);"
       "CREATE TABLE link(a INTEGER NOT NULL, b INTEGER NOT NULL, note, UNIQUE(b, a));"
       "CREATE TABLE nullable(a UNIQUE, b);"
       "CREATE TABLE named(x TEXT NOT NULL, y TEXT NOT NULL, z);"
       "CREATE UNIQUE INDEX named_z ON named(z);"  // z may be NULL: not usable
       "CREATE UNIQUE INDEX named_y ON named(y COLLATE NOCASE);"
       "CREATE UNIQUE INDEX named_x ON named(x);"
       "CREATE TABLE partial(a NOT NULL, b); CREATE UNIQUE INDEX partial_a ON partial(a) WHERE b;"
       "CREATE TABLE expr(a NOT NULL); CREATE UNIQUE INDEX expr_a ON expr(lower(a));");
  auto catalog = ReadCatalog(db);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  std::map<std::string, change::TableSchema> by_name;
  for (const auto& t : catalog->tables) by_name[t.name] = t;
  ASSERT_EQ(by_name.size(), 6u);
  for (const char* name : {"log", "nullable", "partial", "expr"}) {
    EXPECT_TRUE(by_name[name].pk.empty()) << name;
  }
  EXPECT_EQ(by_name["link"].pk, (std::vector<uint32_t>{1, 0}));  // in index order
  EXPECT_FALSE(by_name["link"].one_shard);
  // named_x < named_y < named_z; named_x is the key, named_y another UNIQUE index.
  EXPECT_EQ(by_name["named"].pk, (std::vector<uint32_t>{0}));
  EXPECT_EQ(by_name["named"].KeyCollation(0), change::Collation::kBinary);
  EXPECT_TRUE(by_name["named"].one_shard);
  EXPECT_TRUE(by_name["nullable"].one_shard);
  for (const auto& s : catalog->skipped) ADD_FAILURE() << s.name << ": " << s.reason;
}

TEST(CatalogTest, KeyIndexKeepsItsCollation) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db, "CREATE TABLE tags(name TEXT NOT NULL, n); CREATE UNIQUE INDEX tags_name ON "
           "tags(name COLLATE NOCASE);");
  auto catalog = ReadCatalog(db);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->tables.size(), 1u);
  EXPECT_EQ(catalog->tables[0].pk, (std::vector<uint32_t>{0}));
  EXPECT_EQ(catalog->tables[0].KeyCollation(0), change::Collation::kNocase);
}

TEST(CatalogTest, ReadsEachKeyColumnsCollationFromTheKeyIndex) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE n(k TEXT COLLATE NOCASE PRIMARY KEY, v);"
       "CREATE TABLE r(a, b TEXT COLLATE rtrim, PRIMARY KEY(b, a)) WITHOUT ROWID;"
       "CREATE TABLE o(k TEXT COLLATE NOCASE, PRIMARY KEY(k COLLATE BINARY));"  // the key's wins
       "CREATE TABLE i(id INTEGER PRIMARY KEY, v TEXT COLLATE NOCASE)");
  auto catalog = ReadCatalog(db);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  using change::Collation;
  EXPECT_EQ(Find(*catalog, "n")->pk_collations, (std::vector<Collation>{Collation::kNocase}));
  EXPECT_EQ(Find(*catalog, "r")->pk_collations,
            (std::vector<Collation>{Collation::kRtrim, Collation::kBinary}));
  EXPECT_EQ(Find(*catalog, "o")->pk_collations, (std::vector<Collation>{Collation::kBinary}));
  EXPECT_EQ(Find(*catalog, "i")->pk_collations, (std::vector<Collation>{Collation::kBinary}));
}

int ReverseCompare(void*, int a_len, const void* a, int b_len, const void* b) {
  const std::string x(static_cast<const char*>(a), a_len), y(static_cast<const char*>(b), b_len);
  return y.compare(x);
}

// Regression (#9): other nodes cannot reproduce an application's collation, so they could not
// tell which keys are one row: the table is refused, naming table and column, never replicated
// wrongly.
TEST(CatalogTest, RefusesATableWhoseKeyUsesAnApplicationCollation) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  ASSERT_EQ(sqlite3_create_collation(db.raw(), "reverse", SQLITE_UTF8, nullptr, ReverseCompare),
            SQLITE_OK);
  Exec(db,
       "CREATE TABLE custom(id INTEGER, name TEXT COLLATE reverse, PRIMARY KEY(id, name));"
       "CREATE TABLE value_only(id INTEGER PRIMARY KEY, name TEXT COLLATE reverse)");
  // Harmony's own connection does not know the collation.
  sqlite::Database harmony = testing_util::OpenApp(dir);
  auto catalog = ReadCatalog(harmony);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(TableNames(*catalog), (std::vector<std::string>{"value_only"}));
  const std::string reason = SkipReason(*catalog, "custom");
  EXPECT_NE(reason.find("PRIMARY KEY column \"name\""), std::string::npos) << reason;
  EXPECT_NE(reason.find("\"reverse\""), std::string::npos) << reason;
}

TEST(CatalogTest, CollationNamesAreBuiltInOnes) {
  EXPECT_EQ(change::CollationNamed("nocase"), change::Collation::kNocase);
  EXPECT_EQ(change::CollationNamed("RTRIM"), change::Collation::kRtrim);
  EXPECT_EQ(change::CollationNamed("Binary"), change::Collation::kBinary);
  EXPECT_EQ(change::CollationNamed(""), change::Collation::kBinary);
  EXPECT_EQ(change::CollationNamed("reverse"), std::nullopt);
}

TEST(CatalogTest, NoPatternsReplicateEveryTable) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  CreateKeyedTables(db, {"a", "tmp_b"});
  Catalog catalog = Read(db, {}, {});
  EXPECT_EQ(TableNames(catalog), (std::vector<std::string>{"a", "tmp_b"}));
  EXPECT_TRUE(catalog.skipped.empty());
}

TEST(CatalogTest, IncludeTablesKeepsOnlyMatchingTables) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  CreateKeyedTables(db, {"orders", "order_items", "users", "audit"});
  Catalog catalog = Read(db, {"order*", "users"}, {});
  EXPECT_EQ(TableNames(catalog), (std::vector<std::string>{"order_items", "orders", "users"}));
  ASSERT_EQ(catalog.skipped.size(), 1u);
  EXPECT_EQ(catalog.skipped[0].name, "audit");
  EXPECT_EQ(catalog.skipped[0].reason, "not matched by include_tables");
}

TEST(CatalogTest, IgnoreTablesNamesTheFirstMatchingPattern) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  CreateKeyedTables(db, {"orders", "tmp_orders", "cache"});
  Catalog catalog = Read(db, {}, {"cache", "tmp_*", "*"});
  EXPECT_TRUE(catalog.tables.empty());
  EXPECT_EQ(SkipReason(catalog, "tmp_orders"), "excluded by ignore_tables pattern 'tmp_*'");
  EXPECT_EQ(SkipReason(catalog, "cache"), "excluded by ignore_tables pattern 'cache'");
  EXPECT_EQ(SkipReason(catalog, "orders"), "excluded by ignore_tables pattern '*'");
}

TEST(CatalogTest, IgnoreTablesWinsOverIncludeTables) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  CreateKeyedTables(db, {"orders", "orders_tmp", "users"});
  Catalog catalog = Read(db, {"orders*"}, {"*_tmp"});
  EXPECT_EQ(TableNames(catalog), (std::vector<std::string>{"orders"}));
  EXPECT_EQ(SkipReason(catalog, "orders_tmp"), "excluded by ignore_tables pattern '*_tmp'");
  EXPECT_EQ(SkipReason(catalog, "users"), "not matched by include_tables");
}

TEST(CatalogTest, PatternsAreCaseSensitiveGlobsOverTheWholeName) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  CreateKeyedTables(db, {"Log", "log1", "log22", "logs", "xlog", "a.b", "a/b", "[x]"});
  EXPECT_EQ(TableNames(Read(db, {"log?"}, {})), (std::vector<std::string>{"log1", "logs"}));
  EXPECT_EQ(TableNames(Read(db, {"log[0-9]*"}, {})), (std::vector<std::string>{"log1", "log22"}));
  EXPECT_EQ(TableNames(Read(db, {"log[!0-9]"}, {})), (std::vector<std::string>{"logs"}));
  EXPECT_EQ(TableNames(Read(db, {"[[:upper:]]*"}, {})), (std::vector<std::string>{"Log"}));
  // Neither a prefix match nor case-insensitive, though SQLite's own names are.
  EXPECT_EQ(TableNames(Read(db, {"log"}, {})), std::vector<std::string>{});
  // '*' crosses '.' and '/', which are ordinary characters in a table name.
  EXPECT_EQ(TableNames(Read(db, {"a*b"}, {})), (std::vector<std::string>{"a.b", "a/b"}));
  // A literal '[' is written "[[]" or escaped with a backslash.
  EXPECT_EQ(TableNames(Read(db, {"[[]x]"}, {})), (std::vector<std::string>{"[x]"}));
  EXPECT_EQ(TableNames(Read(db, {"\\[x\\]"}, {})), (std::vector<std::string>{"[x]"}));
}

TEST(CatalogTest, PatternsNeverSelectHarmonyOrSqliteTables) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE __harmony_own(x PRIMARY KEY);"
       "CREATE TABLE keep(id INTEGER PRIMARY KEY AUTOINCREMENT, v);"  // creates sqlite_sequence
       "CREATE INDEX keep_v ON keep(v);"
       "ANALYZE;");  // creates sqlite_stat1
  ASSERT_EQ(testing_util::Int(db,
                              "SELECT count(*) FROM sqlite_master "
                              "WHERE name IN ('sqlite_sequence', 'sqlite_stat1')"),
            2);
  Catalog included = Read(db, {"*", "__harmony*", "sqlite_*"}, {});
  EXPECT_EQ(TableNames(included), (std::vector<std::string>{"keep"}));
  EXPECT_TRUE(included.skipped.empty());
  // Nor are they reported as excluded: they were never candidates.
  Catalog ignored = Read(db, {}, {"*"});
  EXPECT_TRUE(ignored.tables.empty());
  ASSERT_EQ(ignored.skipped.size(), 1u);
  EXPECT_EQ(ignored.skipped[0].name, "keep");
}

TEST(CatalogTest, ExcludedTableIsReportedAsExcludedNotAsUnreplicable) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE scratch_nokey(a, b);"
       "CREATE VIRTUAL TABLE scratch_docs USING fts5(body);"
       "CREATE TABLE nokey(a, b);");
  Catalog catalog = Read(db, {}, {"scratch_*"});
  EXPECT_EQ(TableNames(catalog), (std::vector<std::string>{"nokey"}));
  EXPECT_EQ(SkipReason(catalog, "scratch_nokey"), "excluded by ignore_tables pattern 'scratch_*'");
  EXPECT_EQ(SkipReason(catalog, "scratch_docs"), "excluded by ignore_tables pattern 'scratch_*'");
  // The fts5 shadow tables share the prefix, so they are excluded too.
  EXPECT_EQ(SkipReason(catalog, "scratch_docs_data"),
            "excluded by ignore_tables pattern 'scratch_*'");
}

TEST(CatalogTest, PatternsMatchingNoTableAreNotAnError) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  CreateKeyedTables(db, {"a"});
  Catalog catalog = Read(db, {"a", "missing_*"}, {"also_missing"});
  EXPECT_EQ(TableNames(catalog), (std::vector<std::string>{"a"}));
}

// Issue #9 item 2: every UNIQUE constraint or index besides the key makes a table one_shard.
TEST(CatalogTest, TablesWithAUniqueConstraintBesidesTheKeyAreOneShard) {
  test::TempDir dir;
  sqlite::Database db = testing_util::OpenApp(dir);
  Exec(db,
       "CREATE TABLE plain(id INTEGER PRIMARY KEY, v); CREATE INDEX plain_v ON plain(v);"
       "CREATE TABLE text_key(k TEXT PRIMARY KEY, v);"
       "CREATE TABLE column_unique(id INTEGER PRIMARY KEY, email TEXT UNIQUE);"
       "CREATE TABLE table_unique(a, b, c, PRIMARY KEY(a), UNIQUE(b, c)) WITHOUT ROWID;"
       "CREATE TABLE index_unique(id INTEGER PRIMARY KEY, v);"
       "CREATE UNIQUE INDEX index_unique_v ON index_unique(v);"
       "CREATE TABLE partial_unique(id INTEGER PRIMARY KEY, v);"
       "CREATE UNIQUE INDEX partial_unique_v ON partial_unique(v) WHERE v > 0;"
       "CREATE TABLE expression_unique(id INTEGER PRIMARY KEY, v);"
       "CREATE UNIQUE INDEX expression_unique_v ON expression_unique(lower(v));");
  Catalog c = Read(db, {}, {});
  for (const char* name : {"plain", "text_key"}) {
    ASSERT_NE(Find(c, name), nullptr) << name;
    EXPECT_FALSE(Find(c, name)->one_shard) << name;
  }
  for (const char* name : {"column_unique", "table_unique", "index_unique", "partial_unique",
                           "expression_unique"}) {
    ASSERT_NE(Find(c, name), nullptr) << name;
    EXPECT_TRUE(Find(c, name)->one_shard) << name;
  }
}

}  // namespace
}  // namespace harmony::capture
