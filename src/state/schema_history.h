// state: what this node knows of the schema changes it went through, so that row changes captured
// under an older shape still land (issue #10 item 1; docs/schema-changes.md):
//   __harmony_schema_history(seq, change_id, kind, table_name, old_name, new_name)
//     the renames and drops of tables and columns, from changes made here (captured) or carried
//     out here (replicated), newest kHistoryKept kept;
//   __harmony_schema_applied(change_id)  replicated schema changes already carried out here (each
//     arrives once per shard stream and is carried out at its first arrival);
//   __harmony_schema_ahead(change_id, shard)  shards whose copy of a change carried out here has
//     not arrived yet: the row changes still to come before it in that stream were made under
//     the older shape, and are translated by that change's renames and drops.
// Not thread-safe; each owner (the applier, the capture's sync) uses it inside its transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "change/change.h"
#include "change/schema_change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::state {

inline constexpr int64_t kHistoryKept = 10000;

struct HistoryEntry {
  int64_t seq = 0;
  std::string change_id;
  std::string kind;  // "rename_table", "drop_table", "rename_column", "drop_column"
  std::string table_name;  // the table (its name before the step for rename_table / drop_table)
  std::string old_name;    // the column (rename_column, drop_column)
  std::string new_name;    // rename_table: the new table name; rename_column: the new column name
};

// A shape translated through history entries.
struct Translation {
  bool dropped = false;      // the table was dropped: its changes have nowhere to go
  bool changed = false;      // a rename or dropped column applied
  change::TableSchema table;  // the shape under today's names, without dropped columns
  // For each column of `table`, its index in the original shape's columns.
  std::vector<uint32_t> source;
};

// `shape` under the names `entries` (oldest first) give it. Pure.
Translation Translate(const change::TableSchema& shape, const std::vector<HistoryEntry>& entries);
// `c` (a change of the shape `t` was translated from) rewritten for t.table. Pure.
change::Change TranslateChange(const Translation& t, const change::Change& c);

// Creates the three tables if absent. Call inside a transaction.
Status CreateSchemaHistoryTables(sqlite::Database& db);
// Records the renames and drops of `change` (its id as change_id). Call inside a transaction.
Status RecordSchemaChange(sqlite::Database& db, const change::SchemaChange& change);
// drop_column entries (change `change_id`) for the columns of `before` that `after` no longer has:
// what a rebuilt table (SchemaStep::kRebuildTable) implies for rows of its old shape. Pure.
std::vector<HistoryEntry> DroppedColumns(const std::string& change_id, const std::string& table,
                                         const std::vector<std::string>& before,
                                         const std::vector<std::string>& after);
// Records entries as given (seq ignored): what a step implies beyond its own fields, such as the
// columns a rebuilt table no longer has (drop_column). Call inside a transaction.
Status RecordHistoryEntries(sqlite::Database& db, const std::vector<HistoryEntry>& entries);
// Entries with seq > after_seq, oldest first; only those of `change_ids` when given.
Result<std::vector<HistoryEntry>> ReadHistory(sqlite::Database& db, int64_t after_seq,
                                              const std::vector<std::string>* change_ids = nullptr);
// Newest entry's seq (0: none).
Result<int64_t> NewestHistorySeq(sqlite::Database& db);

// True when the replicated schema change `change_id` was carried out here already.
Result<bool> SchemaChangeApplied(sqlite::Database& db, const std::string& change_id);
// Marks `change_id` carried out, having arrived in `shard` of `shards` (1-based): the others are
// ahead of their copy. Call inside the transaction that carries it out.
Status MarkSchemaChangeApplied(sqlite::Database& db, const std::string& change_id, uint32_t shard,
                               uint32_t shards);
// `change_id`'s copy arrived in `shard`.
Status SchemaChangeArrived(sqlite::Database& db, const std::string& change_id, uint32_t shard);
// Schema changes carried out here whose copy has not yet arrived in `shard`, oldest first.
Result<std::vector<std::string>> SchemaChangesAhead(sqlite::Database& db, uint32_t shard);

}  // namespace harmony::state
