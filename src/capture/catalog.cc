#include "capture/catalog.h"

#include <fnmatch.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

namespace harmony::capture {
namespace {

bool IsHarmonyName(std::string_view name) { return name.starts_with(kObjectPrefix); }

// Flags 0: case-sensitive, and '*' also matches '/' and a leading '.', which are ordinary
// characters in a table name.
Result<bool> Matches(const std::string& pattern, const std::string& name, std::string_view key) {
  int rc = fnmatch(pattern.c_str(), name.c_str(), 0);
  if (rc == 0) return true;
  if (rc == FNM_NOMATCH) return false;
  return Status::InvalidArgument(std::string(key) + " pattern '" + pattern +
                                 "': fnmatch failed on table \"" + name + "\"");
}

// The collation SQLite's key index uses for each column, by column name. A rowid alias (INTEGER
// PRIMARY KEY) has no index and compares integers only, so it is absent (BINARY).
Result<std::map<std::string, std::string>> KeyIndexCollations(sqlite::Database& db,
                                                              const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT x.name, x.coll FROM pragma_index_list(?1, 'main') AS l, "
                 "pragma_index_xinfo(l.name, 'main') AS x WHERE l.origin = 'pk' AND x.key = 1"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  std::map<std::string, std::string> out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    if (!q.ColumnIsNull(0)) out[q.ColumnText(0)] = q.ColumnText(1);
  }
  return out;
}

}  // namespace

Result<std::string> ExclusionReason(const std::string& name, const CatalogOptions& options) {
  bool included = options.include_tables.empty();
  for (const std::string& pattern : options.include_tables) {
    HARMONY_ASSIGN_OR_RETURN(included, Matches(pattern, name, "include_tables"));
    if (included) break;
  }
  if (!included) return std::string("not matched by include_tables");
  for (const std::string& pattern : options.ignore_tables) {
    HARMONY_ASSIGN_OR_RETURN(bool ignored, Matches(pattern, name, "ignore_tables"));
    if (ignored) return "excluded by ignore_tables pattern '" + pattern + "'";
  }
  return std::string();
}

namespace {

// A UNIQUE index that can stand in for a missing PRIMARY KEY.
struct KeyIndex {
  std::string name;
  std::vector<uint32_t> columns;  // indexes into TableSchema::columns, in index order
  std::vector<change::Collation> collations;
};

// The first, by name under BINARY, of the UNIQUE indexes of `table` that are not partial, index
// plain columns only, each NOT NULL and compared with a built-in collation: a row's values
// there name it on every node as a key would (issue #10, item 3). Names make the choice the same
// on every node whatever order the indexes were created in; an inline UNIQUE constraint's index is
// "sqlite_autoindex_<table>_<n>". None: nullopt.
Result<std::optional<KeyIndex>> ChooseKeyIndex(sqlite::Database& db,
                                               const change::TableSchema& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement list,
      db.Prepare("SELECT name FROM pragma_index_list(?1, 'main') WHERE \"unique\" = 1 AND "
                 "partial = 0 ORDER BY name COLLATE BINARY"));
  HARMONY_RETURN_IF_ERROR(list.BindText(1, table.name));
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    names.push_back(list.ColumnText(0));
  }
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement cols,
      db.Prepare("SELECT x.cid, x.coll, c.\"notnull\", c.name FROM pragma_index_xinfo(?1, 'main') AS x "
                 "LEFT JOIN pragma_table_xinfo(?2, 'main') AS c ON c.cid = x.cid "
                 "WHERE x.key = 1 ORDER BY x.seqno"));
  for (const std::string& index : names) {
    HARMONY_RETURN_IF_ERROR(cols.BindText(1, index));
    HARMONY_RETURN_IF_ERROR(cols.BindText(2, table.name));
    KeyIndex key{index, {}, {}};
    bool usable = true;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
      if (!row) break;
      const int64_t cid = cols.ColumnInt(0);  // -2: an expression, -1: the rowid
      std::optional<change::Collation> collation =
          change::CollationNamed(cols.ColumnIsNull(1) ? "" : cols.ColumnText(1));
      if (cid < 0 || cols.ColumnIsNull(2) || cols.ColumnInt(2) == 0 || !collation) {
        usable = false;
        continue;
      }
      const std::string name = cols.ColumnText(3);
      auto it = std::find(table.columns.begin(), table.columns.end(), name);
      if (it == table.columns.end()) {
        usable = false;  // a generated column
        continue;
      }
      key.columns.push_back(static_cast<uint32_t>(it - table.columns.begin()));
      key.collations.push_back(*collation);
    }
    cols.Reset();
    if (usable && !key.columns.empty()) return std::optional<KeyIndex>(std::move(key));
  }
  return std::optional<KeyIndex>();
}

Result<change::TableSchema> ReadTable(sqlite::Database& db, const std::string& name,
                                      std::string* skip_reason) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement info,
      db.Prepare("SELECT name, pk, hidden FROM pragma_table_xinfo(?1, 'main') ORDER BY cid"));
  HARMONY_RETURN_IF_ERROR(info.BindText(1, name));
  change::TableSchema table;
  table.name = name;
  std::vector<std::pair<int64_t, uint32_t>> pk_order;  // (position in key, column index)
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, info.Step());
    if (!row) break;
    int64_t hidden = info.ColumnInt(2);
    if (hidden != 0) continue;  // 2 and 3: generated columns; 1: hidden virtual-table column
    int64_t pk = info.ColumnInt(1);
    if (pk > 0) pk_order.emplace_back(pk, static_cast<uint32_t>(table.columns.size()));
    table.columns.push_back(info.ColumnText(0));
  }
  std::sort(pk_order.begin(), pk_order.end());
  for (const auto& [pos, index] : pk_order) table.pk.push_back(index);
  if (table.pk.empty()) {
    // No declared PRIMARY KEY: rowids are assigned independently on each node and are never
    // sent. The key is the first usable UNIQUE index, else none (whole-row identity).
    HARMONY_ASSIGN_OR_RETURN(std::optional<KeyIndex> key, ChooseKeyIndex(db, table));
    if (key) {
      table.pk = key->columns;
      table.pk_collations = key->collations;
    }  // else pk stays empty: every row is identified by its content
    HARMONY_ASSIGN_OR_RETURN(table.one_shard, sqlite::HasUniqueIndexBesidesKey(
                                                  db, name, key ? key->name : std::string()));
    return table;
  }
  // Which keys are one row depends on the key's collation; every node must reproduce it.
  HARMONY_ASSIGN_OR_RETURN(auto collations, KeyIndexCollations(db, name));
  for (uint32_t index : table.pk) {
    const std::string& column = table.columns[index];
    auto it = collations.find(column);
    const std::string declared = it == collations.end() ? "" : it->second;
    std::optional<change::Collation> collation = change::CollationNamed(declared);
    if (!collation) {
      *skip_reason = "PRIMARY KEY column \"" + column + "\" uses collation \"" + declared +
                     "\", which only the application defines: other nodes cannot tell which "
                     "keys it considers equal; declare the key with BINARY, NOCASE or RTRIM to "
                     "replicate it";
      return table;
    }
    table.pk_collations.push_back(*collation);
  }
  HARMONY_ASSIGN_OR_RETURN(table.one_shard, sqlite::HasUniqueIndexBesidesKey(db, name));
  return table;
}

// The change log keeps a change's key and values in one row (k0.., c0..; change_log.h), so a
// table fits only if SQLite's column limit (SQLITE_LIMIT_COLUMN, 2000 by default) leaves room for
// its columns, the widest key of the tables tracked and the log's own columns. Wider tables are
// skipped with the reason rather than fail the install of every table (issue #10, item 5).
void SkipTooWide(int column_limit, std::vector<change::TableSchema> tables, Catalog* catalog) {
  const size_t budget =
      column_limit > kLogOwnColumnsReserve ? size_t(column_limit - kLogOwnColumnsReserve) : 0;
  auto fits = [&](const change::TableSchema& t, size_t keys) {
    return t.columns.size() + keys <= budget;
  };
  size_t widest_key = 0;
  for (const auto& t : tables) {
    if (fits(t, t.pk.size())) widest_key = std::max(widest_key, t.pk.size());
  }
  const size_t most_columns = budget > widest_key ? budget - widest_key : 0;
  for (auto& t : tables) {
    if (fits(t, widest_key)) {
      catalog->tables.push_back(std::move(t));
      continue;
    }
    catalog->skipped.push_back(
        {t.name, "it has " + std::to_string(t.columns.size()) +
                     " columns, more than the " + std::to_string(most_columns) +
                     " harmony can capture: its change log keeps a change in one row, and SQLite "
                     "allows at most " + std::to_string(column_limit) +
                     " columns per table (SQLITE_MAX_COLUMN)"});
  }
}

}  // namespace

Result<Catalog> ReadCatalog(sqlite::Database& db, const CatalogOptions& options) {
  // PRAGMA table_list (SQLite >= 3.37) tells ordinary tables from virtual and shadow tables.
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement list,
      db.Prepare("SELECT name, type FROM pragma_table_list WHERE schema = 'main' ORDER BY name"));
  Catalog catalog;
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    std::string name = list.ColumnText(0);
    std::string type = list.ColumnText(1);
    if (name.starts_with("sqlite_") || IsHarmonyName(name)) continue;
    bool virtual_or_shadow = type == "virtual" || type == "shadow";
    if (type != "table" && !virtual_or_shadow) continue;  // views, and types newer SQLites may add
    HARMONY_ASSIGN_OR_RETURN(std::string excluded, ExclusionReason(name, options));
    if (!excluded.empty()) {
      catalog.skipped.push_back({std::move(name), std::move(excluded)});
    } else if (virtual_or_shadow) {
      catalog.skipped.push_back(
          {name, type + " table: not replicated; rebuild it on each node from replicated data"});
    } else {
      names.push_back(std::move(name));
    }
  }
  std::vector<change::TableSchema> readable;
  for (const std::string& name : names) {
    std::string reason;
    HARMONY_ASSIGN_OR_RETURN(change::TableSchema table, ReadTable(db, name, &reason));
    if (!reason.empty()) {
      catalog.skipped.push_back({name, std::move(reason)});
    } else {
      readable.push_back(std::move(table));
    }
  }
  SkipTooWide(sqlite3_limit(db.raw(), SQLITE_LIMIT_COLUMN, -1), std::move(readable), &catalog);
  return catalog;
}

}  // namespace harmony::capture
