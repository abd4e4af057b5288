#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::state {

// Changes for tables the local schema cannot take yet (a table or column another node has and
// this one does not), kept in __harmony_held in arrival order inside the apply transaction, so
// they are neither lost nor applied out of order. Once a table is held, every later change to it
// is held too, until the whole backlog can be applied. Not thread-safe; used by the Applier only.
class HeldChanges {
 public:
  // "db" must outlive this.
  explicit HeldChanges(sqlite::Database* db) : db_(db) {}

  Status CreateTable();
  // Re-reads which tables are held (after a rollback the in-memory view may be stale).
  Status Load();
  bool empty() const { return tables_.empty(); }
  bool IsHeld(const std::string& table) const { return tables_.count(table) > 0; }
  const std::set<std::string>& tables() const { return tables_; }

  // Appends `changes` (all of table `table`) from a batch sent by `node_id`.
  Status Hold(const change::TableSchema& table, std::vector<change::Change> changes,
              uint64_t node_id);

  // The held batches of `table`, oldest first (each holds that one table).
  Result<std::vector<change::Batch>> Batches(const std::string& table);
  // Forgets everything held for `table` (after it was applied).
  Status Release(const std::string& table);
  Result<int64_t> CountChanges();

 private:
  sqlite::Database* db_;  // not owned
  std::set<std::string> tables_;
};

// Number of batches held in the database `db` (0 when the table does not exist). A snapshot must
// not be taken while any are held: their stream positions are counted, their rows not written.
Result<int64_t> CountHeldBatches(sqlite::Database& db);

}  // namespace harmony::state
