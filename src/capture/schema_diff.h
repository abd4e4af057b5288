// capture: what the application changed in its schema. A reading of sqlite_schema (the
// application's objects only) is kept in __harmony_schema; when the schema moves, the new
// reading is compared with it and the difference becomes a change::SchemaChange: the steps that
// turn the old schema into the new one on any node that still has the old one (issue #10 item 1;
// docs/schema-changes.md). SQLite keeps no record of the DDL statements themselves, so renames
// are recognised by what SQLite does to harmony's own triggers: RENAME TABLE moves them to the
// new name and RENAME COLUMN rewrites the column names inside them
// (https://www.sqlite.org/lang_altertable.html).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/catalog.h"
#include "change/schema_change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

// One application object of sqlite_schema.
struct SchemaObject {
  std::string type;  // "table", "index", "view", "trigger"
  std::string name;
  std::string tbl_name;
  std::string sql;
  // Tables: column names in declaration order (generated ones included), and the tid of the
  // harmony capture triggers on it (0: none).
  std::vector<std::string> columns;
  int64_t tid = 0;
  // Tables: sqlite_schema.rootpage, which RENAME TABLE keeps; how a table harmony does not capture
  // (no triggers to follow) is recognised under its new name.
  int64_t rootpage = 0;
  // Tables with capture triggers: the column names the insert trigger reads, in shape order
  // (SQLite rewrites them on RENAME COLUMN, which is how a rename is told from drop + add).
  std::vector<std::string> trigger_columns;

  bool operator==(const SchemaObject&) const = default;
};

// The application's objects of the main schema, by type then name: not sqlite_* objects, not
// harmony's (name or table starting with kObjectPrefix), not the shadow tables of virtual
// tables (they come with their virtual table), and not tables left out by `options` nor the
// indexes and triggers on them. Errors: SQLite's.
Result<std::vector<SchemaObject>> ReadSchemaObjects(sqlite::Database& db,
                                                    const CatalogOptions& options);

// The stored reading (__harmony_schema); nullopt when none was stored yet.
Result<std::optional<std::vector<SchemaObject>>> LoadSchemaReading(sqlite::Database& db);
// Replaces the stored reading. Call inside a transaction.
Status StoreSchemaReading(sqlite::Database& db, const std::vector<SchemaObject>& objects);

struct SchemaDiff {
  change::SchemaChange change;  // steps only; the caller gives it its id
  // Tables whose change cannot be expressed as steps (columns both renamed and dropped in one
  // reading with no trigger to tell which), each with the reason: left out of `change`.
  std::vector<std::string> unsupported;
  // Tables dropped and created again between the two readings, sent as kRebuildTable: the other
  // nodes keep their rows (docs/schema-changes.md, "Rebuilding a table").
  std::vector<std::string> rebuilt;
};

// The steps from `before` to `after` (both as ReadSchemaObjects returns them), in this order:
// drop triggers and views that are gone, drop indexes that are gone, rename tables, change
// columns (rename, add, drop), drop tables that are gone, rebuild tables that were dropped and
// created again (their capture triggers vanished), create new tables, then create or replace
// indexes, views and triggers that are new or whose SQL changed, and those of rebuilt tables.
// Pure.
SchemaDiff DiffSchema(const std::vector<SchemaObject>& before,
                      const std::vector<SchemaObject>& after);

// The definitions of the columns and table constraints of a CREATE TABLE statement, split at
// the commas outside parentheses, quotes and comments, trimmed. Pure.
std::vector<std::string> ColumnDefinitions(const std::string& create_table_sql);
// The identifier a column definition starts with, unquoted ("" if none). Pure.
std::string LeadingIdentifier(const std::string& definition);
// The same identifier as written, quotes included. Pure.
std::string LeadingToken(const std::string& definition);

}  // namespace harmony::capture
