#include "capture/catalog.h"

#include <fnmatch.h>

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

// Why `options` leave `name` out, or "" when they keep it.
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

namespace {

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
    *skip_reason =
        "no declared PRIMARY KEY (rowids are assigned independently on each node and would "
        "collide); add a PRIMARY KEY to replicate it";
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
  for (const std::string& name : names) {
    std::string reason;
    HARMONY_ASSIGN_OR_RETURN(change::TableSchema table, ReadTable(db, name, &reason));
    if (!reason.empty()) {
      catalog.skipped.push_back({name, std::move(reason)});
    } else {
      catalog.tables.push_back(std::move(table));
    }
  }
  return catalog;
}

}  // namespace harmony::capture
