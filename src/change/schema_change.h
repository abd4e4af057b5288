// change: what a schema change (DDL) is when it travels between nodes. A SchemaChange is the
// difference between two readings of a node's sqlite_schema, as a list of idempotent steps
// (capture::DiffSchema makes it, capture::ApplySchemaChange carries it out). It travels as the
// one TEXT value of an Op::kSchema change, as JSON (docs/wire-format.md, "Schema changes").
// Pure computation: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace harmony::change {

struct SchemaStep {
  enum class Kind : uint8_t {
    // Make object `name` (type `type`: table, index, view, trigger) exist with exactly `sql`:
    // nothing if it does already, replaced if it exists with other SQL (indexes, views,
    // triggers), refused as a conflict for a table that exists with other columns.
    kCreate,
    kDrop,           // drop object `name` of type `type` if it exists
    kRenameTable,    // ALTER TABLE `table` RENAME TO `name`
    kAddColumn,      // ALTER TABLE `table` ADD COLUMN `sql` (the column's definition); `name`
    kRenameColumn,   // ALTER TABLE `table` RENAME COLUMN `old_name` TO `name`
    kDropColumn,     // ALTER TABLE `table` DROP COLUMN `name`
    // Give table `name` the definition `sql` keeping its rows (the columns both definitions
    // have): what the origin did by dropping the table and creating it again, which is also
    // SQLite's documented way to make any other change to a table
    // (https://www.sqlite.org/lang_altertable.html#otheralter). Its indexes and triggers follow
    // as kCreate steps.
    kRebuildTable,
  };
  Kind kind = Kind::kCreate;
  std::string type;      // kCreate, kDrop: "table", "index", "view" or "trigger"
  std::string name;      // the object, the new table name, or the column
  std::string table;     // the table an ALTER TABLE step changes
  std::string old_name;  // kRenameColumn: the column's old name
  // kCreate, kRebuildTable: the CREATE statement; kAddColumn: the column definition;
  // kRenameColumn: the new name as the origin spelled it (quotes included), when known.
  std::string sql;

  bool operator==(const SchemaStep&) const = default;
};

// One schema change as its origin made it (one reading of sqlite_schema to the next).
struct SchemaChange {
  // Unique in the cluster: "<node_id>-<epoch>-<change-log seq>" of the origin. The copies of one
  // change that arrive in each shard stream share it, so it is carried out once per node.
  std::string id;
  std::vector<SchemaStep> steps;  // in the order they are carried out

  bool operator==(const SchemaChange&) const = default;
};

const char* KindName(SchemaStep::Kind kind);

// JSON: {"id": "...", "steps": [{"kind": "create", "type": "table", "name": "t", ...}]}.
std::string EncodeSchemaChange(const SchemaChange& change);
// Errors: kCorruption naming what is wrong (not JSON, a missing field, an unknown kind).
Result<SchemaChange> DecodeSchemaChange(std::string_view json);

}  // namespace harmony::change
