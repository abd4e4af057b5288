// apply: schema changes arriving from other nodes, and row changes made under an older shape
// (issue #10 item 1; docs/schema-changes.md). A schema change travels in every shard stream; it
// is carried out where it first arrives, and its copies in the other streams only mark that the
// rows before them in that stream were made under the old shape: until its copy arrives in a
// shard, that shard's row changes are translated through its renames and drops. Row changes that
// name a table or column missing here are translated through every rename and drop this node
// went through (its own, made by hand with DDL replication off, included), so a rolling rename
// converges instead of holding them forever.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apply/row_writer.h"
#include "change/change.h"
#include "change/schema_change.h"
#include "common/result.h"
#include "sqlite/database.h"
#include "state/schema_history.h"

namespace harmony::apply {

// What carrying out a schema change did (see capture::ApplySchemaChange).
struct SchemaChangeOutcome {
  size_t steps_done = 0;
  std::vector<std::string> conflicts;       // refused steps, each with why
  std::vector<std::string> dropped_tables;  // tables it dropped here
};
// Carries out a schema change inside the apply transaction, with the apply connection. Unset:
// schema changes from other nodes are not carried out (DDL replication off).
using ApplySchemaFn =
    std::function<Result<SchemaChangeOutcome>(sqlite::Database&, const change::SchemaChange&)>;

struct SchemaStats {
  std::atomic<uint64_t> changes{0};    // schema changes carried out here
  std::atomic<uint64_t> conflicts{0};  // steps refused (the schema here differs)
  std::atomic<uint64_t> ignored{0};    // schema changes not carried out (DDL replication off)
  std::atomic<uint64_t> translated{0};  // row changes renamed or narrowed to today's shape
  std::atomic<uint64_t> dropped{0};     // row changes of a table that was dropped
};

// Not thread-safe: owned and used by the Applier, inside its transactions.
class SchemaFollower {
 public:
  SchemaFollower(sqlite::Database* db, RowWriter* writer, ApplySchemaFn apply_schema,
                 uint32_t shards)
      : db_(db), writer_(writer), apply_schema_(std::move(apply_schema)), shards_(shards) {}

  Status CreateTables() { return state::CreateSchemaHistoryTables(*db_); }
  // A transaction begins: forgets the history it read (capture records this node's own renames
  // and drops from another connection). What is ahead per shard changes only through Take, so it
  // stays cached: reading it cost every apply transaction one query per shard.
  void BeginTransaction() { all_.reset(); }
  // Forgets everything it read (a transaction was rolled back, or Take changed it).
  void Reset();

  // Takes in an Op::kSchema change that arrived in `shard` from `origin`: carries it out at its
  // first arrival, notes the arrival of a copy otherwise. Returns the tables it dropped here (the
  // caller discards what it holds for them). Errors: kCorruption for a malformed change, and
  // what ApplySchemaFn returns.
  Result<std::vector<std::string>> Take(const change::Change& c, uint32_t shard, uint64_t origin);

  struct Landing {
    enum class Kind { kAsIs, kTranslated, kDropped } kind = Kind::kAsIs;
    state::Translation translation;  // kTranslated
  };
  // How the row changes of `table` that arrived in `shard` (0: from the held backlog) land here.
  Result<Landing> Land(const change::TableSchema& table, uint32_t shard);

  const SchemaStats& stats() const { return stats_; }
  SchemaStats& mutable_stats() { return stats_; }

 private:
  Result<const std::vector<state::HistoryEntry>*> Ahead(uint32_t shard);
  Result<const std::vector<state::HistoryEntry>*> All();

  sqlite::Database* db_;
  RowWriter* writer_;
  ApplySchemaFn apply_schema_;
  uint32_t shards_;
  std::map<uint32_t, std::vector<state::HistoryEntry>> ahead_;  // per shard, read at first need
  std::optional<std::vector<state::HistoryEntry>> all_;
  std::set<std::string> reported_;
  SchemaStats stats_;
};

}  // namespace harmony::apply
